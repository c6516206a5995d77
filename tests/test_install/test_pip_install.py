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
import shutil
import subprocess
import sys
import zipfile

import pytest

from mmseqformer.testing import REPO_ROOT
from mmseqformer.version import __version__

#: Versions of packages that a stack file leaves unpinned (what the
#: tested environments had), and the cv2 distribution mmcv leaves in place.
UNPINNED = {
    'main': {
        'packaging': '25.0'
    },
    'classic': {
        'packaging': '24.0'
    },
}


def stack_versions(stack: str) -> dict:
    """The packages of a tested stack (requirements/stacks/STACK.txt) that
    install_requires names or mmcv brings: {name: version}."""
    pinned = {}
    with open(osp.join(REPO_ROOT, 'requirements', 'stacks',
                       f'{stack}.txt')) as f:
        for line in f:
            requirement = line.split('#')[0].strip()
            if '==' in requirement:
                name, version = requirement.split('==')
                pinned[name.strip()] = version.strip()
    wanted = ('torch', 'mmcv', 'mmengine', 'mmdet', 'numpy', 'pycocotools',
              'packaging', 'opencv-python-headless', 'opencv-python')
    versions = dict(UNPINNED[stack], **pinned)
    return {name: versions[name] for name in wanted if name in versions}


def stack_python(stack: str) -> str:
    """The stack's Python where this machine has it (the install must be
    allowed there): the classic stack's 3.10 from PATH or pyenv."""
    if stack == 'main':
        return sys.executable
    found = shutil.which('python3.10')
    if found and subprocess.run([found, '-c', ''],
                                capture_output=True).returncode == 0:
        return found
    try:
        root = subprocess.run(['pyenv', 'root'],
                              capture_output=True,
                              text=True).stdout.strip()
    except FileNotFoundError:
        root = osp.join(osp.expanduser('~'), '.pyenv')
    found = sorted(
        glob.glob(osp.join(root, 'versions', '3.10.*', 'bin', 'python3.10')))
    if not found:
        pytest.skip('no Python 3.10 here (make install STACK=classic needs '
                    'one too)')
    return found[-1]


def stub_environment(folder, python: str, packages: dict) -> str:
    """A virtualenv at ``folder`` whose site-packages holds only the
    metadata of ``packages`` ({name: version}). Returns its Python."""
    subprocess.run([python, '-m', 'venv', '--without-pip',
                    str(folder)],
                   check=True)
    env_python = str(folder / 'bin' / 'python')
    purelib = subprocess.run([
        env_python, '-c',
        'import sysconfig; print(sysconfig.get_paths()["purelib"])'
    ],
                             check=True,
                             capture_output=True,
                             text=True).stdout.strip()
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
    """The project's wheel, built as ``pip wheel .`` builds it, from a copy
    of the files git lists (a build in the checkout would leave build/
    there, whose stale modules later wheels could pick up)."""
    source = str(tmp_path_factory.mktemp('source') / 'mmseqformer')
    listed = subprocess.run([
        'git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'
    ],
                            cwd=REPO_ROOT,
                            check=True,
                            capture_output=True,
                            text=True).stdout.split('\0')
    for path in filter(None, listed):
        if osp.isfile(osp.join(REPO_ROOT, path)):
            os.makedirs(osp.join(source, osp.dirname(path)), exist_ok=True)
            shutil.copy2(osp.join(REPO_ROOT, path), osp.join(source, path))
    out = tmp_path_factory.mktemp('wheel')
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '--disable-pip-version-check', '-q', '-w',
        str(out), source
    ],
                   check=True,
                   capture_output=True,
                   cwd=str(out))
    wheels = glob.glob(str(out / 'mmseqformer-*.whl'))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_carries_configs_and_model_index(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = sorted(
        osp.relpath(path, REPO_ROOT) for path in glob.glob(
            osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True))
    assert configs and all(f'mmseqformer/.mim/{path}' in names
                           for path in configs)
    assert 'mmseqformer/.mim/model-index.yml' in names
    assert 'mmseqformer/install_check.py' in names
    assert not any('__pycache__' in name for name in names)


@pytest.mark.parametrize('stack', ['classic', 'main'])
def test_install_into_an_openmmlab_environment_adds_only_mmseqformer(
        stack, wheel, tmp_path):
    versions = stack_versions(stack)
    assert {'torch', 'mmcv', 'mmengine', 'mmdet', 'numpy'} <= set(versions)
    python = stub_environment(tmp_path / 'env', stack_python(stack), versions)
    report = tmp_path / 'report.json'
    result = subprocess.run([
        sys.executable, '-m', 'pip', '--python', python, 'install',
        '--dry-run', '--no-index', '--disable-pip-version-check', '--report',
        str(report), wheel
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    installs = json.loads(report.read_text())['install']
    assert [(item['metadata']['name'], item['metadata']['version'])
            for item in installs] == [('mmseqformer', __version__)]


def test_install_refuses_a_stack_it_cannot_use(wheel, tmp_path):
    """The check above can fail: an mmdet outside the range must be
    replaced, which --no-index cannot do."""
    packages = dict(stack_versions('classic'), mmdet='3.2.0')
    python = stub_environment(tmp_path / 'env', sys.executable, packages)
    result = subprocess.run([
        sys.executable, '-m', 'pip', '--python', python, 'install',
        '--dry-run', '--no-index', '--disable-pip-version-check', wheel
    ],
                            capture_output=True,
                            text=True)
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
    ],
                   check=True,
                   capture_output=True)
    code = ('import mmseqformer\n'
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
