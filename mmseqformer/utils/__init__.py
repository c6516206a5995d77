from .atomic_io import atomic_output_path
from .dist_utils import setup_distributed_backend

__all__ = ['atomic_output_path', 'setup_distributed_backend']
