"""Configs by name: ``seqformer_r50`` instead of a path into a checkout.

The wheel carries the repository's ``configs/`` as ``mmseqformer/.mim/
configs`` (setup.py copies it there, as mmdet ships its own); an editable
install or a source checkout has it beside the package. Either way, the
tools and :func:`~mmseqformer.apis.init_vis_model` take a config file, a
config name (its file name without ``.py``, e.g.
``seqformer_r50_8xb2-12e_youtubevis2019``) or a path relative to the repo
(``configs/seqformer/...py``), which then resolves inside the package when
the checkout is not there. :func:`read_config` reads one, naming the file
in one line when it cannot (:class:`ConfigError`).
"""
import difflib
import glob
import os.path as osp
from typing import Dict, List, Optional

from .user_errors import InputFormatError, InputNotFoundError

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


class ConfigNotFoundError(InputNotFoundError):
    """A config is neither a file nor the name of a shipped config."""


class ConfigError(InputFormatError):
    """A config file cannot be read: a syntax error, an exception while it
    runs, a missing ``_base_`` file, an unsupported suffix."""


def shipped_configs_dir() -> Optional[str]:
    """The folder of the configs that come with the package: the wheel's
    ``mmseqformer/.mim/configs``, else the checkout's ``configs/`` (editable
    install or source tree); None if neither exists."""
    for folder in (osp.join(PACKAGE_DIR, '.mim', 'configs'),
                   osp.join(osp.dirname(PACKAGE_DIR), 'configs')):
        if osp.isdir(folder):
            return folder
    return None


def shipped_configs() -> Dict[str, str]:
    """Every shipped config a user can run, by name (``_base_`` left out).

    Returns:
        dict[str, str]: Config name -> file path, sorted by name.
    """
    root = shipped_configs_dir()
    if root is None:
        return {}
    paths = glob.glob(osp.join(root, '**', '*.py'), recursive=True)
    found = {
        osp.splitext(osp.basename(path))[0]: path
        for path in paths
        if '_base_' not in osp.relpath(path, root).split(osp.sep)
    }
    return dict(sorted(found.items()))


def find_config(config: str) -> str:
    """The file of ``config``: a path, a name or a repo-relative path.

    Args:
        config (str): An existing file, a shipped config's name (with or
            without ``.py``), or ``configs/<...>.py`` as the docs write it.

    Returns:
        str: A config file path.

    Raises:
        ConfigNotFoundError: Naming ``config`` and the closest shipped
            names.
    """
    if osp.isfile(config):
        return config
    root = shipped_configs_dir()
    if root is not None:
        relative = config.replace('\\', '/')
        if relative.startswith('configs/'):
            candidate = osp.join(root, relative[len('configs/'):])
            if osp.isfile(candidate):
                return candidate
    name = osp.splitext(osp.basename(config))[0]
    configs = shipped_configs()
    if not osp.dirname(config) and name in configs:
        return configs[name]
    raise ConfigNotFoundError(
        f'{config}: config not found (neither a file nor a shipped config'
        f'{close_names(name, list(configs))})')


def read_config(config: str):
    """Read a config (a file, a shipped config's name or a repo-relative
    path, :func:`find_config`) with mmengine's ``Config.fromfile``.

    Args:
        config (str): The config.

    Returns:
        Config: The config, its ``filename`` the file read.

    Raises:
        ConfigNotFoundError: ``config`` is not found.
        ConfigError: The file (or one of its ``_base_`` files) cannot be
            read; the message names the file and the first line of the
            reason. An ``ImportError`` of its ``custom_imports`` propagates
            as it is (a broken install is not the config's fault).
    """
    from mmengine.config import Config
    path = find_config(config)
    try:
        return Config.fromfile(path)
    except ImportError:
        raise
    except Exception as err:  # a config runs any Python code
        raise ConfigError(path, f'cannot read this config: '
                          f'{_reason(err)}') from err


def _reason(err: BaseException) -> str:
    """An exception as one line: its type and its message's first line (a
    syntax error of the file itself: its line and what is wrong)."""
    if isinstance(err, SyntaxError) and err.lineno and \
            err.filename in (None, '<unknown>', '<string>'):
        return f'syntax error at line {err.lineno}: {err.msg}'
    lines = str(err).strip().splitlines()
    return f'{type(err).__name__}: {lines[0]}' if lines else \
        type(err).__name__


def close_names(name: str, names: List[str]) -> str:
    """``'; did you mean a, b?'`` for the names closest to ``name``."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    return f'; did you mean {", ".join(close)}?' if close else ''
