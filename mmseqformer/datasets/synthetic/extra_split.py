"""Add one split to a synthetic dataset folder, leaving the rest as it is.

The long videos (:mod:`.long_videos`) and the still images
(:mod:`.still_images`) are each written beside the ``make demo`` splits
with a manifest of their own, so adding one never changes the bytes of the
others.
"""
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from typing import Callable, List

from .writer import manifest_if_same


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def add_split(root: str, split: str, spec, paths: List[str],
              write: Callable[[str], dict], force: bool) -> dict:
    """Write the split ``split`` into ``root`` unless the same one (same
    ``spec``) is already there.

    The split is written to a hidden folder inside ``root`` and moved into
    place at the end, its manifest (``<root>/manifest_<split>.json``) last,
    so an interrupted run leaves no split that looks complete.

    Args:
        root (str): The dataset folder (made if missing).
        split (str): The split's name.
        spec: A dataclass instance; stored in the manifest.
        paths (list[str]): The split's files and folders, relative to
            ``root``.
        write (Callable[[str], dict]): Writes the split's ``paths`` under the
            folder it is given; returns the split's counts.
        force (bool): Replace a split made with another spec, or one without
            its manifest.

    Returns:
        dict: The manifest (``spec`` and ``splits``: the split's counts).
    """
    manifest_path = os.path.join(root, f'manifest_{split}.json')
    wanted = json.loads(json.dumps(asdict(spec)))
    manifest = manifest_if_same(manifest_path, wanted, force,
                                f'{root} holds a {split} split')
    if manifest is not None:
        return manifest
    targets = [os.path.join(root, path) for path in paths]
    if not os.path.isfile(manifest_path) and not force:
        for path in targets:
            if os.path.exists(path):
                raise FileExistsError(
                    f'{path} exists but {manifest_path} does not (an '
                    'interrupted run, or other data): pass force=True '
                    '(--force) to replace it')
    os.makedirs(os.path.join(root, 'annotations'), exist_ok=True)
    tmp_root = tempfile.mkdtemp(dir=root, prefix=f'.{split}.')
    try:
        os.makedirs(os.path.join(tmp_root, 'annotations'))
        manifest = dict(spec=wanted, splits={split: write(tmp_root)})
        with open(
                os.path.join(tmp_root, os.path.basename(manifest_path)),
                'w') as f:
            json.dump(manifest, f, indent=2)
        _remove(manifest_path)
        for target in targets + [manifest_path]:
            _remove(target)
            os.replace(
                os.path.join(tmp_root, os.path.relpath(target, root)), target)
    finally:
        if os.path.exists(tmp_root):
            shutil.rmtree(tmp_root)
    return manifest
