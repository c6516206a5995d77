"""A user's mistakes, told in one line instead of a traceback.

A file that is missing, unreadable or not what it should be (a zero-byte
video, a JSON that is not JSON, a text file given as a checkpoint, a config
with a syntax error) is the user's to fix, not a bug: the library's readers
raise a :class:`UserInputError` naming the file where they first touch it,
so the API's users read the same message as the exception's text::

    <file>: <what is wrong with it>

and every tool under ``tools/`` reports it through :func:`report_user_errors`
as one line, ``error: <file>: <what>``, on stderr with a non-zero exit
status (1, as the tools' other ``error:`` exits). Any other exception is a
bug and keeps its traceback.

The error classes of the library that mean a user's mistake derive from
:class:`UserInputError` (``ConfigNotFoundError``, ``CheckpointMismatchError``,
``VISAnnotationError``, ...), keeping their other base (``ValueError``,
``FileNotFoundError``) so that existing ``except`` clauses still match.
"""
import contextlib
from typing import Iterator, Optional, Tuple, Type

from ..install_check import MissingCudaOpsError


class UserInputError(Exception):
    """A user's input (a file, a config, a checkpoint, an option) is wrong.

    Args:
        path (str): The file (or folder, config name, option) at fault; or,
            without ``what``, the whole message (which must then name it).
        what (str, optional): What is wrong with it.

    Attributes:
        path (str | None): The file, when given apart from the message.
        what (str | None): What is wrong, when given apart.
    """

    def __init__(self, path, what: Optional[str] = None) -> None:
        message = str(path) if what is None else f'{path}: {what}'
        # One argument, whatever was given: the message (so that the
        # exception pickles, and OSError subclasses do not read an errno).
        super().__init__(message)
        self.path = None if what is None else str(path)
        self.what = what

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


class InputNotFoundError(UserInputError, FileNotFoundError):
    """A file or folder a user named does not exist."""


class InputFormatError(UserInputError, ValueError):
    """A file exists but is not what it should be (empty, not JSON, not a
    checkpoint, not a video, lacking required keys, ...)."""


#: Exceptions from outside this hierarchy that also mean a user's mistake
#: (their messages name the fix): the OpenMMLab install does not fit what
#: the user asked for.
OTHER_USER_ERRORS: Tuple[Type[BaseException], ...] = (MissingCudaOpsError, )


def user_error_types(also: Tuple[Type[BaseException],
                                 ...] = ()) -> Tuple[Type[BaseException], ...]:
    """The exception types :func:`report_user_errors` reports in one line."""
    return (UserInputError, ) + OTHER_USER_ERRORS + tuple(also)


def error_message(error: BaseException) -> str:
    """``error: <message>``, as a tool prints a user's mistake."""
    return f'error: {error}'


@contextlib.contextmanager
def report_user_errors(*also: Type[BaseException]) -> Iterator[None]:
    """Turn a user's mistake into ``error: <file>: <what>`` and exit.

    A :class:`UserInputError` (or one of :data:`OTHER_USER_ERRORS`, or of
    ``also``) raised in the block becomes ``SystemExit('error: ...')``:
    Python prints the line on stderr, without a traceback, and exits with
    status 1. Anything else propagates untouched (a bug keeps its
    traceback). Works as a decorator too::

        @report_user_errors()
        def main():
            ...

    Args:
        *also (type): More exception types that mean a user's mistake for
            this tool (e.g. ``FileExistsError`` where the tool refuses to
            overwrite a folder it did not write).
    """
    try:
        yield
    except user_error_types(also) as error:
        raise SystemExit(error_message(error)) from None
