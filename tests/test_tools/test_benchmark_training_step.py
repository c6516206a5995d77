"""``benchmark.py training`` and the other commands on bad input: one
line naming what is wrong, no traceback (the library:
tests/test_benchmark)."""
import subprocess
import sys

import pytest

from mmseqformer.testing import REPO_ROOT

BENCHMARK = 'tools/analysis_tools/benchmark.py'


def failure(*arguments) -> str:
    """stderr of a benchmark command that must fail with status 1."""
    result = subprocess.run([sys.executable, BENCHMARK, *arguments],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Traceback' not in result.stderr, result.stderr
    return result.stderr.strip()


@pytest.mark.slow
def test_bad_inputs_fail_with_one_line(tmp_path):
    assert failure('training', '--official-root', str(tmp_path)) == (
        f'error: {tmp_path}: not an official SeqFormer checkout (no '
        'models/seqformer.py)')
    message = failure('inference', '--config', 'configs/nothing_here.py')
    assert message.startswith('error: configs/nothing_here.py: config not '
                              'found')
    assert failure(
        'mode-memory', '--modes',
        'offline').startswith('error: offline keeps per-frame mask features')
