"""Is the installed OpenMMLab stack one that mmseqformer can run on?

``import mmseqformer`` calls :func:`check_stack` before it imports mmcv or
mmdet, so that a combination that cannot work stops with one message that
names the package, the version found and what to install, instead of an
error from deep inside a dependency. Versions are read from the installed
distributions' metadata; nothing here imports torch, mmcv or mmdet.

The two stacks the test suite runs on are listed in docs/get_started.md;
the ranges below are the ones that are known to work or to fail, and
everything in between is untested.
"""
import functools
import importlib.metadata as metadata
from typing import Dict, List, Optional

from packaging.version import Version

#: Where the packages come from when one is missing or unfit.
INSTALL_HINT = {
    'torch':
    'pip install "torch>=2.1" (a CUDA build from pytorch.org on GPU '
    'machines)',
    'mmcv':
    'mim install "mmcv==2.1.0" (prebuilt, torch 2.1 + CUDA) or, '
    'after torch, MMCV_WITH_OPS=1 pip install --no-build-isolation '
    '--no-cache-dir "mmcv==2.1.0" (add FORCE_CUDA=1 on a GPU machine; '
    'docs/get_started.md)',
    'mmengine':
    'pip install "mmengine>=0.10,<0.12"',
    'mmdet':
    'pip install "mmdet>=3.3,<3.4"',
    'numpy':
    'pip install "numpy<2"',
}


def installed_version(name: str) -> Optional[Version]:
    """The version of the installed distribution ``name``, None if absent.

    Read as its release (:func:`release_of`).
    """
    try:
        return release_of(metadata.version(name))
    except metadata.PackageNotFoundError:
        return None


def release_of(version: str) -> Version:
    """``version`` without local label and pre-release part: CUDA builds
    (``2.1.2+cu121``) and source or container builds of torch
    (``2.6.0a0+git1234``) have the API of the release they lead to."""
    return Version(Version(version).base_version)


def stack_problems(versions: Dict[str, Optional[Version]]) -> List[str]:
    """What is wrong with a set of installed versions, one line each.

    Args:
        versions (dict[str, Version | None]): Installed release
            (:func:`release_of`) of each of torch, mmcv, mmengine, mmdet and
            numpy (None: not installed).

    Returns:
        list[str]: Empty when the combination can work.
    """
    problems = []

    def need(name: str, why: str, hint: Optional[str] = None) -> None:
        found = versions.get(name)
        found = 'not installed' if found is None else f'found {found}'
        problems.append(f'{name} {why} ({found}): '
                        f'{hint or INSTALL_HINT[name]}')

    torch, mmcv = versions.get('torch'), versions.get('mmcv')
    mmengine, mmdet = versions.get('mmengine'), versions.get('mmdet')
    numpy = versions.get('numpy')
    if torch is None or torch < Version('2.1'):
        need('torch', '>= 2.1 is needed')
    if mmcv is None or not Version('2.1') <= mmcv < Version('2.2'):
        # mmdet 3.3 refuses mmcv >= 2.2; the model needs 2.1's ops.
        need('mmcv', '2.1.x with its compiled ops is needed')
    if mmengine is None or not Version('0.10') <= mmengine < Version('0.12'):
        need('mmengine', '0.10.x or 0.11.x is needed')
    elif torch is not None and torch >= Version('2.6') and \
            mmengine < Version('0.11'):
        # torch 2.6 made weights_only=True the default of torch.load, and
        # mmengine 0.10 cannot read its own checkpoints then.
        need('mmengine', f'0.10 cannot load checkpoints under torch {torch}',
             'pip install "mmengine==0.11.0rc3", or use torch < 2.6')
    if mmdet is None or not Version('3.3') <= mmdet < Version('3.4'):
        need('mmdet', '3.3.x is needed')
    if numpy is None:
        need('numpy', 'is needed', 'pip install numpy')
    elif torch is not None and torch < Version('2.3') and \
            numpy >= Version('2'):
        # torch < 2.3 was compiled against numpy 1 and breaks under 2.
        need('numpy', f'2 does not work with torch {torch}')
    return problems


def check_stack() -> None:
    """Raise ImportError, naming each misfit and its fix, unless the
    installed torch, mmcv, mmengine, mmdet and numpy can work together."""
    problems = stack_problems(
        {name: installed_version(name)
         for name in INSTALL_HINT})
    if problems:
        raise ImportError('mmseqformer cannot run on the installed packages:'
                          '\n  ' + '\n  '.join(problems) +
                          '\nTested stacks: docs/get_started.md')


def check_mmcv_ops() -> None:
    """Raise ImportError with the fix if mmcv was installed without ops."""
    try:
        import mmcv._ext  # noqa: F401
    except ImportError as err:
        raise ImportError(
            'mmseqformer needs mmcv 2.1.0 compiled with its ops (mmcv._ext '
            f'failed to import: {err}): {INSTALL_HINT["mmcv"]}') from err


class MissingCudaOpsError(RuntimeError):
    """mmcv was built without CUDA kernels and a model runs on CUDA."""


@functools.lru_cache(maxsize=None)
def mmcv_has_cuda_ops() -> bool:
    """Whether the installed mmcv was compiled with its CUDA kernels."""
    from mmcv.ops import get_compiling_cuda_version
    return get_compiling_cuda_version() != 'not available'


def check_cuda_ops(device) -> None:
    """Raise :class:`MissingCudaOpsError` if ``device`` is a CUDA device
    and mmcv has no CUDA kernels (deformable attention needs them).

    Args:
        device (str | torch.device): Where the model runs.
    """
    if str(device).startswith('cuda') and not mmcv_has_cuda_ops():
        raise MissingCudaOpsError(
            'mmcv was compiled without CUDA ops, so deformable attention '
            f'cannot run on CUDA: {INSTALL_HINT["mmcv"]}')
