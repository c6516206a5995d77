"""mmseqformer.benchmark.child_process: rows from child processes, their
failures, and the standalone import of the package."""
import sys

from mmseqformer.benchmark import (child_command, last_error_line, run_child,
                                   run_one_row)

PRINTS_TWO_ROWS_THEN_FAILS = (
    'from mmseqformer.benchmark.child_process import emit\n'
    'emit({"a": 1}); print("noise"); emit({"a": 2})\n'
    'raise ValueError("broken")')
#: The modules that the official code's children import.
OFFICIAL_SIDE = ('gpu_benchmark', 'video_inference', 'training_parity',
                 'official_workloads', 'official_fixtures', 'official_video')
#: Runs the command line's ``-c`` code (argv[1:]) without the OpenMMLab
#: packages, as in the official code's environment, then imports
#: OFFICIAL_SIDE.
WITHOUT_STACK = f"""
import importlib, sys
for name in ('mmcv', 'mmdet', 'mmengine'):
    sys.modules[name] = None
sys.argv = sys.argv[1:]
exec(sys.argv[0])
for name in {OFFICIAL_SIDE}:
    importlib.import_module('mmseqformer.benchmark.' + name)
"""


def test_rows_before_a_failure_are_kept_with_the_error():
    seen = []
    rows, error = run_child([sys.executable, '-c', PRINTS_TWO_ROWS_THEN_FAILS],
                            on_row=seen.append)
    assert rows == seen == [{'a': 1}, {'a': 2}]
    assert last_error_line(error) == 'ValueError: broken'


def test_a_child_that_hangs_is_killed():
    rows, error = run_child(
        [sys.executable, '-c', 'import time; time.sleep(30)'], timeout=1)
    assert rows == [] and error.endswith('timed out after 1 s')
    row = run_one_row([sys.executable, '-c', 'pass'], mode='x')
    assert row == dict(mode='x', error='no result')


def without_stack(command: list) -> list:
    python, flag, bootstrap, *arguments = command
    assert flag == '-c'
    return [python, '-c', WITHOUT_STACK, bootstrap, *arguments]


def test_standalone_child_runs_without_the_openmmlab_stack():
    target = 'mmseqformer.benchmark.child_process:emit'
    standalone = child_command(sys.executable, target, {'b': 3}, True)
    assert run_child(without_stack(standalone)) == ([{'b': 3}], '')
    # A plain child imports mmseqformer, which needs the stack.
    plain = child_command(sys.executable, target, {'b': 3})
    rows, error = run_child(without_stack(plain))
    assert rows == [] and 'mmcv' in error
    assert run_child(plain) == ([{'b': 3}], '')
