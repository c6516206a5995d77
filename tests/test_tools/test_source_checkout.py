"""Every tool runs from a source checkout, without mmseqformer installed."""
import glob
import os.path as osp
import subprocess
import sys

import pytest

from mmseqformer.testing import REPO_ROOT

#: The scripts under tools/ (modules they share have no __main__ block).
TOOLS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'tools', '**', '*.py'), recursive=True)
    if "\nif __name__ == '__main__':" in open(path).read())

#: Runs a tool's --help in an interpreter that cannot find the installed
#: package: the editable install's import hooks and path entries are removed,
#: and the working directory is elsewhere.
WITHOUT_INSTALL = """
import runpy, sys
repo, tool = sys.argv[1], sys.argv[2]
# setuptools installs its editable finder as a class, others as instances.
sys.meta_path[:] = [f for f in sys.meta_path
                    if 'editable' not in (f.__module__ or '').lower()]
sys.path[:] = [p for p in sys.path if p and p.rstrip('/') != repo]
try:
    import mmseqformer  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit('mmseqformer is still importable: the test is void')
sys.argv = [tool, '--help']
runpy.run_path(tool, run_name='__main__')
"""


@pytest.mark.slow
@pytest.mark.parametrize('tool', TOOLS)
def test_tool_runs_from_a_source_checkout(tool, tmp_path):
    result = subprocess.run([
        sys.executable, '-c', WITHOUT_INSTALL, REPO_ROOT,
        osp.join(REPO_ROOT, tool)
    ],
                            cwd=str(tmp_path),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'usage:' in result.stdout


def _imported_modules(path: str) -> set:
    """Top-level names of every module a file imports."""
    import ast
    names = set()
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split('.')[0])
        elif isinstance(node, ast.ImportFrom):  # from . import x
            names.update(alias.name for alias in node.names)
    return names


def test_no_tool_imports_another():
    """Shared code lives in the package: a tool imports no other file
    under tools/ (no module of that name, no relative import)."""
    paths = glob.glob(
        osp.join(REPO_ROOT, 'tools', '**', '*.py'), recursive=True)
    tool_names = {osp.splitext(osp.basename(path))[0] for path in paths}
    assert len(tool_names) > 10 and 'benchmark' in tool_names
    offenders = {
        osp.relpath(path, REPO_ROOT):
        sorted(_imported_modules(path)
               & tool_names)
        for path in paths
    }
    assert {path: names for path, names in offenders.items() if names} == {}
