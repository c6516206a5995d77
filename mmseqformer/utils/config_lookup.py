"""Configs by name: ``seqformer_r50`` instead of a path into a checkout.

The wheel carries the repository's ``configs/`` as ``mmseqformer/.mim/
configs`` (setup.py copies it there, as mmdet ships its own); an editable
install or a source checkout has it beside the package. Either way, the
tools and :func:`~mmseqformer.apis.init_vis_model` take a config file, a
config name (its file name without ``.py``, e.g.
``seqformer_r50_8xb2-12e_youtubevis2019``) or a path relative to the repo
(``configs/seqformer/...py``), which then resolves inside the package when
the checkout is not there.
"""
import difflib
import glob
import os.path as osp
from typing import Dict, List, Optional

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


class ConfigNotFoundError(FileNotFoundError):
    """A config is neither a file nor the name of a shipped config."""


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
        f'config not found: {config} (neither a file nor a shipped config'
        f'{close_names(name, list(configs))})')


def close_names(name: str, names: List[str]) -> str:
    """``'; did you mean a, b?'`` for the names closest to ``name``."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    return f'; did you mean {", ".join(close)}?' if close else ''
