"""SeqFormer video instance segmentation for OpenMMLab (mmdet 3.x).

Importing the package registers its datasets, transforms and metrics in
mmdet's registries; configs do it with ``custom_imports``.
"""
from .version import __version__


def _check_mmcv_ops() -> None:
    """Stop early, with the fix, if mmcv was installed without its ops."""
    try:
        import mmcv._ext  # noqa: F401
    except ImportError as err:
        raise ImportError(
            'mmseqformer needs mmcv 2.1.0 compiled with its ops (mmcv._ext '
            f'failed to import: {err}). Install it with\n'
            '  pip install "setuptools>=77.0.3,<82" ninja psutil\n'
            '  MMCV_WITH_OPS=1 pip install --no-build-isolation '
            'mmcv==2.1.0\n'
            'after torch, or run `make install` (see README).') from err


_check_mmcv_ops()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__']
