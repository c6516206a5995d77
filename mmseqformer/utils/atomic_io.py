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
    handle, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{os.path.basename(path)}.', suffix='.tmp')
    os.close(handle)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
