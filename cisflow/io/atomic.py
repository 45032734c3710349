"""Write outputs so that a killed job never leaves a file that looks finished.

Everything is written to a temporary sibling and renamed into place only when complete:
rename is atomic on POSIX file systems, so a reader sees either nothing or the whole file.

An output that is a symlink is written through: the rename lands on the file the link points to
(every link of a chain followed), so the link stays a link and its target gets the new content. A
dangling link is written where it points when that folder exists, and refused otherwise. An output
that exists and is not a regular file (a device such as /dev/null, a named pipe, a socket, a
folder) is refused: the rename would replace it with a file.

Temporary names say whose they are, ``.<name>.<host>-<pid>-<random>.part`` (the CLI's staging folders
``.cisflow.<host>-<pid>-<random>.part``): a SIGTERM or SIGHUP raises ``Terminated`` in a
process that called ``cleanup_on_signals`` or ``raise_on_signals`` (the CLI and every rule script,
through ``cisflow.io.logs.log_to``), so the half-written files go; what a SIGKILL leaves, the next
write in that folder removes (``remove_stale_parts``): this user's, of this host, whose process is
gone.
"""

import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import IO, Any

from cisflow.io.errors import InputError
from cisflow.types import PathLike

log = logging.getLogger(__name__)

# the host in temporary names, as a file name allows it
HOST = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "localhost"
# a temporary name of this host (part_prefix): .<name>.<host>-<pid>-<random>.part
_PART_OF_THIS_HOST = re.compile(rf"^\..+\.{re.escape(HOST)}-(\d+)-[a-z0-9_]+\.part$")
CLEANUP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_KINDS = ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))
# what signal.signal takes and returns: a function, SIG_DFL / SIG_IGN, or None (one not installed from Python)
SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Terminated(BaseException):
    """A SIGTERM or SIGHUP, raised in the main thread so that every ``finally`` and ``except
    BaseException`` block on the way out runs (temporary files removed), and no ``except Exception``
    takes it for an error to handle. ``code``: the exit status a shell reports for a process the
    signal ended, 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code = 128 + signum
        self.signal_name = signal.Signals(signum).name

    def __str__(self) -> str:
        return f"terminated by {self.signal_name}; unfinished outputs removed"


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def raise_on_signals() -> dict[signal.Signals, SignalHandler]:
    """Make SIGTERM and SIGHUP raise ``Terminated`` in this process (main thread only), where they
    still have their default action (ending the process with no cleanup): an ignored signal stays
    ignored (``nohup``), a handler someone installed stays.

    Returns
    -------
    dict of signal.Signals to SignalHandler
        The signals changed -> their previous handler (empty outside the main thread).
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, _raise_terminated) for signum in CLEANUP_SIGNALS
            if signal.getsignal(signum) == signal.SIG_DFL}


@contextlib.contextmanager
def cleanup_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise ``Terminated`` (``raise_on_signals``); the handlers
    are restored after."""
    previous = raise_on_signals()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _kind(mode: int) -> str:
    return next((kind for is_kind, kind in _KINDS if is_kind(mode)), "a special file")


def output_problem(path: PathLike, directory: bool = False) -> str | None:
    """Why ``path`` cannot be replaced by an output written beside it and renamed onto it, or None.

    Parameters
    ----------
    path : str or Path
        The output; a symlink is judged by where it points.
    directory : bool
        The output is a folder (``atomic_dir``) rather than a file.

    Returns
    -------
    str or None
        E.g. ``"is a character device, not a regular file"``; None where the path is missing (its
        folder existing or to be made), a regular file (a folder for ``directory``), or a link to
        one of those.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        if os.path.islink(path) and not target.parent.is_dir():
            return f"is a symlink to {target}, whose folder does not exist"
        return None
    except NotADirectoryError:
        blocking = next(parent for parent in target.parents if os.path.exists(parent))
        return f"is inside {blocking}, which is {_kind(os.stat(blocking).st_mode)}, not a directory"
    except OSError as error:
        return f"cannot be written: {error.strerror}"
    if stat.S_ISDIR(mode) if directory else stat.S_ISREG(mode):
        return None
    return f"is {_kind(mode)}, not {'a directory' if directory else 'a regular file'}"


def write_target(path: PathLike, directory: bool = False) -> Path:
    """Where an output at ``path`` is written: ``path`` itself, or the file a symlink there points
    to (see ``output_problem``), its folder made where missing.

    Parameters
    ----------
    path : str or Path
        The output.
    directory : bool
        The output is a folder.

    Returns
    -------
    Path
        The resolved path the rename lands on.

    Raises
    ------
    InputError
        Where ``output_problem`` says why it cannot be written.
    """
    problem = output_problem(path, directory)
    if problem:
        raise InputError(path, f"the output {problem}")
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # someone else's process, or not a pid at all: not ours to judge
        return True
    return True


def remove_stale_parts(folder: PathLike) -> list[Path]:
    """Remove the temporary files and folders (``*.part``) killed processes of this user on this host
    left in ``folder``: those whose pid no longer runs. A running process's, another host's or another
    user's are left alone.

    Parameters
    ----------
    folder : str or Path
        Where to look (not below it).

    Returns
    -------
    list of Path
        What was removed.
    """
    stale, removed = [], []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        owned = ((entry, int(match.group(1))) for entry in entries if (match := _PART_OF_THIS_HOST.match(entry.name)))
        stale = [(entry, pid) for entry, pid in owned if pid != os.getpid() and not _alive(pid)]
    for entry, pid in stale:
        with contextlib.suppress(FileNotFoundError):  # another run may remove it first
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
            removed.append(Path(entry.path))
            log.info("removed %s, left by process %d of this host, which has ended", entry.path, pid)
    return removed


def part_prefix(name: str) -> str:
    """The start of this process's temporary names for ``name``: ``.<name>.<host>-<pid>-`` (then
    a random part and ``.part``), which ``remove_stale_parts`` recognises."""
    return f".{name}.{HOST}-{os.getpid()}-"


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` if the block succeeds (onto
    the file a symlink at ``path`` points to: the link stays)."""
    target = write_target(path)
    remove_stale_parts(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=part_prefix(target.name), suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; outputs follow the umask
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: PathLike) -> Iterator[Path]:
    """Yield a temporary directory next to ``path``; move it onto ``path`` if the block succeeds (onto
    the folder a symlink at ``path`` points to: the link stays)."""
    target = write_target(path, directory=True)
    remove_stale_parts(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=part_prefix(target.name), suffix=".part", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a file for writing that appears at ``path`` only once closed without error."""
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle
