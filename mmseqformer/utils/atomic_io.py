"""Write files so that a killed process never leaves a half-written one.

Three tools, from the simplest:

* :func:`atomic_output_path`: one file, written under a temporary name in
  its folder and renamed over the final name.
* :func:`atomic_open`: the same as an ``open(path, 'w')`` replacement, for
  code that writes through ``open`` (mmengine's ``last_checkpoint``).
* :func:`atomic_output_files`: several files that must change together
  (``results.json`` and the zip that holds it). One rename cannot replace
  two names, so the final names are symbolic links into one hidden store
  whose ``current`` link is swapped by a single rename.

None of them calls ``fsync`` on large files: they protect against a killed
process, which is what the kill tests check, not against a power cut.
"""
import contextlib
import os
import re
import shutil
import tempfile
from typing import IO, Iterator, List, Sequence

#: Temporary names: ``.<final name>.<8 random characters>.tmp[.<ext>]``.
TEMPORARY_NAME = re.compile(r'^\.(?P<final>.+)\.[a-z0-9_]{8}\.tmp(\.\w+)?$')


def temporary_path(path: str, keep_extension: bool = False) -> str:
    """A new, empty, hidden temporary file beside ``path``.

    Args:
        path (str): The final file.
        keep_extension (bool): End the name with ``path``'s extension
            (writers such as ``cv2.VideoWriter`` pick the format from it).

    Returns:
        str: The temporary file's path (matching :data:`TEMPORARY_NAME`).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = '.tmp' + (os.path.splitext(path)[1] if keep_extension else '')
    handle, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{os.path.basename(path)}.', suffix=suffix)
    os.close(handle)
    # mkstemp makes the file private; give it the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    return tmp_path


def remove_stale_temporaries(folder: str, final_name_pattern: str) -> None:
    """Remove temporary files left in ``folder`` by killed writers.

    Args:
        folder (str): Where to look.
        final_name_pattern (str): A regular expression; temporaries of final
            names that fully match it are removed.
    """
    if not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        match = TEMPORARY_NAME.match(name)
        if match and re.fullmatch(final_name_pattern, match.group('final')):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(folder, name))


@contextlib.contextmanager
def atomic_output_path(path: str) -> Iterator[str]:
    """Yield a temporary path that replaces ``path`` once the block ends.

    The temporary file lives in the destination folder, so the final
    ``os.replace`` is atomic; if the block raises, ``path`` is untouched and
    the temporary file is removed. A kill during the block leaves ``path``
    as it was, plus the hidden temporary file.

    Args:
        path (str): The file to write.

    Yields:
        str: Where to write the content.
    """
    tmp_path = temporary_path(path, keep_extension=True)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


class _ReplaceOnClose:
    """A file open for writing under a temporary name; ``close`` renames it
    to the final name, an exception in a ``with`` block discards it."""

    def __init__(self, path: str, mode: str, **kwargs) -> None:
        self._path = path
        self._tmp_path = temporary_path(path)
        self._file = open(self._tmp_path, mode, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._file, name)

    def __enter__(self) -> '_ReplaceOnClose':
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is None:
            self.close()
        else:
            self._file.close()
            os.remove(self._tmp_path)

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
            os.replace(self._tmp_path, self._path)


def atomic_open(file, mode: str = 'r', *args, **kwargs) -> IO:
    """``open``, except that a file opened with ``'w'`` replaces its final
    name only when closed: readers see the old content or the new one.

    Args:
        file: As :func:`open`.
        mode (str): As :func:`open`.
        *args, **kwargs: As :func:`open`.

    Returns:
        A file object.
    """
    if 'w' in mode and isinstance(file, (str, os.PathLike)):
        return _ReplaceOnClose(os.fspath(file), mode, *args, **kwargs)
    return open(file, mode, *args, **kwargs)


@contextlib.contextmanager
def atomic_output_files(paths: Sequence[str]) -> Iterator[List[str]]:
    """Write several files of one folder so that they change together.

    Each final name (``DIR/results.json``, ...) is a relative symbolic link
    ``.{stem}.versions/current/{name}`` (``stem``: the first name without
    its extension); ``current`` is a link to a version folder. The block
    writes a new version folder; one rename of a new ``current`` link over
    the old one then switches every name at once, and the old version folder
    is removed.

    Guarantee, for a single writer of these names: at every moment, the
    final names give either all the old files or all the new ones (before
    the first write, none). A kill leaves, inside the hidden store folder
    only, at most one unreferenced version folder, which the next write
    removes; nothing else is ever created beside the final names. A final
    name that is still a plain file (from an older version, or written by
    hand) is first turned into a link to the same content (a hard link in
    the store), so its content does not change before the switch. If the
    block raises, the old files stay and the new version is removed.
    Needs a filesystem with symbolic links (any POSIX one); copy the files
    with ``cp -L`` / ``rsync -L`` to get plain files.

    Args:
        paths (Sequence[str]): The final files, all in one folder.

    Yields:
        list[str]: Where to write each file (same order as ``paths``).
    """
    folder = os.path.dirname(os.path.abspath(paths[0]))
    names = [os.path.basename(path) for path in paths]
    if any(os.path.dirname(os.path.abspath(p)) != folder for p in paths):
        raise ValueError(f'files written together must share a folder: '
                         f'{list(paths)}')
    store_name = f'.{os.path.splitext(names[0])[0]}.versions'
    store = os.path.join(folder, store_name)
    os.makedirs(store, exist_ok=True)
    _remove_unreferenced(store)
    for name in names:
        _make_link(folder, store_name, name)
    version = _new_version(store)
    try:
        yield [os.path.join(version, name) for name in names]
        _switch_current(store, os.path.basename(version))
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    _remove_unreferenced(store)


def _new_version(store: str) -> str:
    """A new, empty version folder in ``store``, readable as usual."""
    version = tempfile.mkdtemp(dir=store, prefix='v')
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(version, 0o777 & ~umask)
    return version


def _current_version(store: str) -> str:
    """The version folder ``current`` points to ('' if none)."""
    current = os.path.join(store, 'current')
    return os.readlink(current) if os.path.islink(current) else ''


def _switch_current(store: str, version: str) -> None:
    """Point ``store/current`` at ``version`` with one atomic rename."""
    tmp_link = os.path.join(store, f'current.{version}.tmp')
    os.symlink(version, tmp_link)
    os.replace(tmp_link, os.path.join(store, 'current'))


def _remove_unreferenced(store: str) -> None:
    """Remove all but ``current`` and its version (leftovers of kills)."""
    keep = {'current', _current_version(store)}
    for name in os.listdir(store):
        if name in keep:
            continue
        path = os.path.join(store, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def _make_link(folder: str, store_name: str, name: str) -> None:
    """Make ``folder/name`` the link ``store_name/current/name`` without
    changing what it reads as."""
    path = os.path.join(folder, name)
    target = os.path.join(store_name, 'current', name)
    if os.path.islink(path) and os.readlink(path) == target:
        return
    if os.path.isdir(path):
        raise IsADirectoryError(f'{path} is a folder; expected a file')
    store = os.path.join(folder, store_name)
    if os.path.exists(path):
        # Keep its content visible: add it to the current version first.
        if not _current_version(store):
            _switch_current(store, os.path.basename(_new_version(store)))
        kept = os.path.join(store, _current_version(store), name)
        with contextlib.suppress(FileNotFoundError):
            os.remove(kept)
        try:
            os.link(path, kept)
        except OSError:  # no hard links here: a copy reads the same
            shutil.copyfile(path, kept)
    # Made in the store (hidden), then renamed over the final name.
    tmp_link = os.path.join(store, f'{name}.link.tmp')
    with contextlib.suppress(FileNotFoundError):
        os.remove(tmp_link)
    os.symlink(target, tmp_link)
    os.replace(tmp_link, path)
