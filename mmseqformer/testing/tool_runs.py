"""Running the repository's tools as a user does, for tests: from the
checkout's root, in a fresh Python, one thread."""
import os
import os.path as osp
import signal
import subprocess
import sys
from typing import Sequence

#: The checkout holding ``tools/`` (the package's parent folder).
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_tool(command: Sequence[str], timeout: float = 900) -> str:
    """Run a tool from the repository root; fail with its output (an
    ``AssertionError``) if it fails. Returns stdout + stderr."""
    # PYTHON: the shell launchers must use this interpreter (the venv's).
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable)
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env)
    assert result.returncode == 0, result.stdout[-3000:] + \
        result.stderr[-3000:]
    return result.stdout + result.stderr


def kill_when_ready(command: Sequence[str], what: str) -> None:
    """Start ``command`` (from the repository root), wait until it prints a
    line starting with ``READY`` (an instrumented process about to do
    ``what``), then SIGKILL it: no handler, no cleanup, as a crash or an
    out-of-memory kill."""
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    try:
        # Logs may come first; EOF if the process ends without hanging.
        for line in process.stdout:
            if line.startswith('READY'):
                break
        else:
            raise AssertionError(f'the process never reached {what}')
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
