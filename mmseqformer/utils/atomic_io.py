"""Write files so that a crash never leaves a half-written one behind."""
import contextlib
import os
import tempfile
from typing import Iterator


@contextlib.contextmanager
def atomic_output_path(path: str) -> Iterator[str]:
    """Yield a temporary path that replaces ``path`` once the block ends.

    The temporary file lives in the destination folder, so the final
    ``os.replace`` is atomic; if the block raises, ``path`` is untouched and
    the temporary file is removed.

    Args:
        path (str): The file to write.

    Yields:
        str: Where to write the content.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # Keep the extension last: writers such as cv2.VideoWriter pick the
    # container from it.
    handle, tmp_path = tempfile.mkstemp(
        dir=folder,
        prefix=f'.{os.path.basename(path)}.',
        suffix='.tmp' + os.path.splitext(path)[1])
    os.close(handle)
    try:
        yield tmp_path
        # mkstemp makes the file private; give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
