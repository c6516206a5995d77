"""Measurements in child processes that print their rows as JSON lines.

A measurement runs in a fresh Python (:func:`child_command`) and prints
one JSON object per line (:func:`emit`); the parent reads them back
(:func:`run_child`), so a crash or an out-of-memory kill costs one child,
not the whole table, and each child's peak memory is its own.
"""
import json
import os.path as osp
import subprocess
import tempfile
import threading
from typing import Callable, List, Optional, Sequence, Tuple

#: The prefix of the lines a child prints for its parent.
RESULT_PREFIX = 'RESULT '

#: What a child Python runs: ``module:function`` called with the decoded
#: JSON payload. ``standalone`` imports ``mmseqformer`` as a bare package,
#: without its ``__init__`` (which checks the OpenMMLab stack), so that
#: the official code's environment (torch, torchvision, scipy) can run the
#: modules of :mod:`mmseqformer.benchmark` that need no more than that.
BOOTSTRAP = """
import importlib, json, os, sys, types
root, target, standalone, payload = sys.argv[1:5]
sys.path.insert(0, root)
if standalone == '1':
    package = types.ModuleType('mmseqformer')
    package.__path__ = [os.path.join(root, 'mmseqformer')]
    sys.modules['mmseqformer'] = package
module, function = target.split(':')
getattr(importlib.import_module(module), function)(json.loads(payload))
"""
#: The folder that holds the ``mmseqformer`` package.
PACKAGE_PARENT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def child_command(python: str,
                  target: str,
                  payload: dict,
                  standalone: bool = False) -> List[str]:
    """The command line that calls ``target`` (``'module:function'``) with
    ``payload`` in a fresh ``python``.

    Args:
        python (str): The interpreter.
        target (str): e.g. ``'mmseqformer.benchmark.gpu_benchmark:child'``.
        payload (dict): JSON-serialisable settings of the measurement.
        standalone (bool): The child's Python may lack the OpenMMLab
            packages (see :data:`BOOTSTRAP`).
    """
    return [
        python, '-c', BOOTSTRAP, PACKAGE_PARENT, target,
        '1' if standalone else '0',
        json.dumps(payload)
    ]


def emit(row: dict) -> None:
    """Print one result line for the parent (flushed at once)."""
    print(RESULT_PREFIX + json.dumps(row), flush=True)


def run_child(
        command: Sequence[str],
        timeout: Optional[float] = None,
        on_row: Optional[Callable[[dict],
                                  None]] = None) -> Tuple[List[dict], str]:
    """Run ``command`` and collect the rows it prints with :func:`emit`.

    Args:
        command (Sequence[str]): The child's command line.
        timeout (float, optional): Seconds after which the child is killed.
        on_row (callable, optional): Called with each row as it arrives.

    Returns:
        tuple: The rows, and the end of its stderr if it failed (exit
        status, signal or timeout; empty if it succeeded). Rows printed
        before a failure are kept.
    """
    rows = []
    killed = []
    with tempfile.TemporaryFile('w+') as stderr:
        # stderr goes to a file: a full pipe would block the child.
        process = subprocess.Popen(
            list(command), stdout=subprocess.PIPE, stderr=stderr, text=True)
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, lambda:
                                    (killed.append(1), process.kill()))
            timer.start()
        try:
            for line in process.stdout:
                if line.startswith(RESULT_PREFIX):
                    rows.append(json.loads(line[len(RESULT_PREFIX):]))
                    if on_row is not None:
                        on_row(rows[-1])
            code = process.wait()
        finally:
            if timer is not None:
                timer.cancel()
        stderr.seek(0)
        error = stderr.read().strip()[-2000:]
    if killed:
        return rows, f'{error}\ntimed out after {timeout} s'.strip()
    if code != 0:
        return rows, error or f'exit status {code}'
    return rows, ''


def run_one_row(command: Sequence[str],
                timeout: Optional[float] = None,
                **identity) -> dict:
    """The last row of a child that measures one thing, or ``identity``
    with ``error`` if it failed or printed none."""
    rows, error = run_child(command, timeout=timeout)
    if error or not rows:
        return dict(identity, error=error or 'no result')
    return rows[-1]


def last_error_line(error: str) -> str:
    """The most telling line of a child's stderr (the exception line)."""
    lines = [line for line in error.splitlines() if line.strip()]
    return lines[-1].strip() if lines else 'failed'
