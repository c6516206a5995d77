from .allocator import tune_glibc_malloc
from .atomic_folder import atomic_output_folder, check_replaceable_folder
from .atomic_io import atomic_open, atomic_output_files, atomic_output_path
from .checkpoint_fit import (CheckpointMismatchError, check_fits,
                             check_state_dict_fits, read_checkpoint,
                             read_torch_file)
from .config_lookup import (ConfigError, ConfigNotFoundError, find_config,
                            read_config)
from .dist_utils import setup_distributed_backend
from .publish import published_checkpoint
from .tool_config import add_common_arguments, load_tool_config
from .user_errors import (InputFormatError, InputNotFoundError, UserInputError,
                          report_user_errors)

__all__ = [
    'atomic_open', 'atomic_output_files', 'atomic_output_path',
    'atomic_output_folder', 'check_replaceable_folder',
    'CheckpointMismatchError', 'check_fits', 'check_state_dict_fits',
    'read_checkpoint', 'read_torch_file', 'setup_distributed_backend',
    'add_common_arguments', 'load_tool_config', 'tune_glibc_malloc',
    'ConfigError', 'ConfigNotFoundError', 'find_config', 'read_config',
    'UserInputError', 'InputNotFoundError', 'InputFormatError',
    'report_user_errors', 'published_checkpoint'
]
