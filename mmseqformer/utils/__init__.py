from .allocator import tune_glibc_malloc
from .atomic_io import atomic_output_path
from .dist_utils import setup_distributed_backend
from .tool_config import add_common_arguments, load_tool_config

__all__ = [
    'atomic_output_path', 'setup_distributed_backend', 'add_common_arguments',
    'load_tool_config', 'tune_glibc_malloc'
]
