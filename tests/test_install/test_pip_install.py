"""``pip install`` of the project into an existing OpenMMLab environment.

A user who already has torch, mmcv with its ops, mmengine and mmdet must
get mmseqformer alone: pip may change none of them. The environments here
are virtualenvs holding only stub ``.dist-info`` folders of the stack's
packages (metadata, no code), so pip's resolver sees the installed versions
exactly as it would in a real environment; ``--no-index`` means any package
pip wanted to add or change would fail the install.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import zipfile

import pytest

from mmseqformer.version import __version__
from tests.conftest import REPO_ROOT

#: The tested stacks' versions (requirements/stacks/*.txt) of everything
#: that install_requires names, plus what mmcv brings.
STACKS = {
    'classic': {
        'torch': '2.1.2', 'mmcv': '2.1.0', 'mmengine': '0.10.7',
        'mmdet': '3.3.0', 'numpy': '1.26.4', 'pycocotools': '2.0.7',
        'packaging': '24.0', 'opencv-python': '4.10.0.84'
    },
    'main': {
        'torch': '2.13.0', 'mmcv': '2.1.0', 'mmengine': '0.11.0rc3',
        'mmdet': '3.3.0', 'numpy': '2.3.5', 'pycocotools': '2.0.11',
        'packaging': '25.0', 'opencv-python-headless': '5.0.0.93'
    },
}


def stack_python(stack: str) -> str:
    """The classic stack's Python 3.10 where this machine has one (the
    install must be allowed there), else the tests' own."""
    if stack == 'classic':
        pattern = osp.join(
            osp.expanduser('~'), '.pyenv', 'versions', '3.10.*', 'bin',
            'python3.10')
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    return sys.executable


def stub_environment(folder, python: str, packages: dict) -> str:
    """A virtualenv at ``folder`` whose site-packages holds only the
    metadata of ``packages`` ({name: version}). Returns its Python."""
    subprocess.run([python, '-m', 'venv', '--without-pip',
                    str(folder)], check=True)
    env_python = str(folder / 'bin' / 'python')
    purelib = subprocess.run(
        [env_python, '-c',
         'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        check=True, capture_output=True, text=True).stdout.strip()
    for name, version in packages.items():
        info = osp.join(purelib,
                        f'{name.replace("-", "_")}-{version}.dist-info')
        os.makedirs(info)
        with open(osp.join(info, 'METADATA'), 'w') as f:
            f.write(f'Metadata-Version: 2.1\nName: {name}\n'
                    f'Version: {version}\n')
        with open(osp.join(info, 'INSTALLER'), 'w') as f:
            f.write('pip\n')
    return env_python


@pytest.fixture(scope='module')
def wheel(tmp_path_factory) -> str:
    """The project's wheel, built as ``pip wheel .`` builds it."""
    out = tmp_path_factory.mktemp('wheel')
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '--disable-pip-version-check', '-q', '-w',
        str(out), REPO_ROOT
    ], check=True, capture_output=True, cwd=str(out))
    wheels = glob.glob(str(out / 'mmseqformer-*.whl'))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_carries_configs_and_model_index(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = sorted(
        osp.relpath(path, REPO_ROOT)
        for path in glob.glob(
            osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True))
    assert configs and all(f'mmseqformer/.mim/{path}' in names
                           for path in configs)
    assert 'mmseqformer/.mim/model-index.yml' in names
    assert 'mmseqformer/install_check.py' in names
    assert not any('__pycache__' in name for name in names)


@pytest.mark.parametrize('stack', sorted(STACKS))
def test_install_into_an_openmmlab_environment_adds_only_mmseqformer(
        stack, wheel, tmp_path):
    python = stub_environment(tmp_path / 'env', stack_python(stack),
                              STACKS[stack])
    report = tmp_path / 'report.json'
    result = subprocess.run([
        sys.executable, '-m', 'pip', '--python', python, 'install',
        '--dry-run', '--no-index', '--disable-pip-version-check',
        '--report', str(report), wheel
    ], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    installs = json.loads(report.read_text())['install']
    assert [(item['metadata']['name'], item['metadata']['version'])
            for item in installs] == [('mmseqformer', __version__)]


def test_install_refuses_a_stack_it_cannot_use(wheel, tmp_path):
    """The check above can fail: an mmdet outside the range must be
    replaced, which --no-index cannot do."""
    packages = dict(STACKS['classic'], mmdet='3.2.0')
    python = stub_environment(tmp_path / 'env', sys.executable, packages)
    result = subprocess.run([
        sys.executable, '-m', 'pip', '--python', python, 'install',
        '--dry-run', '--no-index', '--disable-pip-version-check', wheel
    ], capture_output=True, text=True)
    assert result.returncode != 0
    assert 'mmdet' in result.stdout + result.stderr


def test_installed_wheel_builds_configs_by_name_outside_the_repo(
        wheel, tmp_path):
    """The wheel alone (no checkout) gives every config by name."""
    target = tmp_path / 'site'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--no-deps', '-q',
        '--disable-pip-version-check', '--target',
        str(target), wheel
    ], check=True, capture_output=True)
    code = (
        'import mmseqformer\n'
        'from mmseqformer.utils import find_config\n'
        'from mmengine.config import Config\n'
        'path = find_config("seqformer_r50")\n'
        f'assert path.startswith({str(target)!r}), path\n'
        f'assert mmseqformer.__file__.startswith({str(target)!r})\n'
        'cfg = Config.fromfile(path)\n'
        'print(cfg.model.type, cfg.model.track_head.num_classes)\n')
    env = dict(os.environ, PYTHONPATH=str(target))
    result = subprocess.run([sys.executable, '-c', code],
                            cwd=str(tmp_path),
                            env=env,
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ['SeqFormer', '40']
