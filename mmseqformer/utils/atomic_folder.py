"""Write a folder of files so that a kill never leaves it half-written.

The files go into a hidden temporary folder beside the final one, which is
renamed to the final name once complete. A previous output is first
renamed aside and removed after the switch, so the final name shows the old
complete folder, or (for the instant between the two renames) nothing, or
the new complete folder: never a partial one. Leftovers of killed writers
are hidden and removed by the next write.

This is the folder counterpart of
:func:`mmseqformer.utils.atomic_io.atomic_output_path`.
"""
import contextlib
import os
import re
import shutil
import tempfile
from typing import Iterator


def _leftover_pattern(name: str) -> re.Pattern:
    return re.compile(rf'^\.{re.escape(name)}\.[a-z0-9_]{{8}}\.(tmp|old)$')


def _remove_leftovers(parent: str, name: str) -> None:
    """Remove the temporaries and old copies of killed writers."""
    pattern = _leftover_pattern(name)
    for entry in os.listdir(parent):
        if pattern.match(entry):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)


def check_replaceable_folder(path: str, marker: str) -> None:
    """Refuse to replace anything but an empty folder or an earlier output
    (a folder holding ``marker``), so a mistyped path never deletes a
    user's files. Tools call it before long work, to fail early.

    Raises:
        FileExistsError: naming ``path``.
    """
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path) or os.path.islink(path):
        raise FileExistsError(f'{path} exists and is not a folder')
    if os.listdir(path) and not os.path.isfile(os.path.join(path, marker)):
        raise FileExistsError(
            f'{path} is a folder with other content (no {marker}, so not an '
            'earlier output of this tool); choose a new or empty folder')


@contextlib.contextmanager
def atomic_output_folder(path: str, marker: str) -> Iterator[str]:
    """Yield a temporary folder that becomes ``path`` once the block ends.

    Args:
        path (str): The final folder. If it exists, it must be empty or an
            earlier output (holding ``marker``), and it is replaced.
        marker (str): A file name every output of the caller holds (its
            index file, such as ``instances.json``), written in the block.

    Yields:
        str: The folder to write into.
    """
    path = os.path.abspath(path)
    parent, name = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    check_replaceable_folder(path, marker)
    _remove_leftovers(parent, name)
    tmp_dir = tempfile.mkdtemp(dir=parent, prefix=f'.{name}.', suffix='.tmp')
    umask = os.umask(0)  # mkdtemp makes the folder private; undo that
    os.umask(umask)
    os.chmod(tmp_dir, 0o777 & ~umask)
    try:
        yield tmp_dir
        old_dir = None
        if os.path.lexists(path):
            old_dir = tmp_dir[:-len('.tmp')] + '.old'
            os.rename(path, old_dir)
        os.rename(tmp_dir, path)
        if old_dir is not None:
            shutil.rmtree(old_dir, ignore_errors=True)
    finally:
        if os.path.isdir(tmp_dir):
            shutil.rmtree(tmp_dir, ignore_errors=True)
