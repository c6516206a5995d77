"""SeqFormer video instance segmentation for OpenMMLab (mmdet 3.x).

Importing the package registers its datasets, transforms, metrics and
visualiser in mmdet's registries; configs do it with ``custom_imports``. It
first checks that the installed torch, mmcv, mmengine, mmdet and numpy can
work together and that mmcv has its compiled ops (:mod:`.install_check`).
"""
from .install_check import check_mmcv_ops, check_stack
from .version import __version__

check_stack()
check_mmcv_ops()

from . import visualization  # noqa: E402,F401
from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__']
