"""The one careful reader of every file drdrill reads: plan files, compose files and scorecards alike.

A plan can arrive in a pull request and be validated in CI, and a reports directory can hold anything, so every
file is read the same way: a regular file only (a FIFO would hang the reader, ``/dev/zero`` would fill memory),
never opened before it is known to be one (and opened with ``O_NONBLOCK`` in case it changed since), at most a
given number of bytes, and, when a containing directory is given, inside it even through symbolic links (a link
to ``/etc/shadow`` is refused before anything is read, so no error can echo another file's content). A link
loop, a dangling link or a name longer than the system allows is one line naming the file, never a traceback.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from drdrill.plan.errors import PlanIssue, display_path

MAX_FILE_BYTES = 256 * 1024
"""The largest plan file read (the bundled ``plan.yaml`` is 9 KB); the YAML parser takes ~1 s for this much."""

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_CHUNK = 64 * 1024
PLAN_FILE_FIX = "move it out of the plan directory, or put the YAML file itself in its place"


class FileRefusedError(Exception):
    """A file drdrill will not read, and why; ``reason`` is one line that never quotes the file."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{display_path(path)}: {reason}")


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def os_reason(path: Path, exc: OSError | ValueError) -> str:
    """What a failed look-up of ``path`` means, in one line with what to do (never a Python exception text)."""
    if isinstance(exc, ValueError):  # os functions refuse a NUL byte in a name with ValueError
        return "the file name holds a NUL character, which no file name can: fix the name"
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that loops back on itself: remove it or point it at a file"
    if exc.errno == errno.ENAMETOOLONG:
        longest = max((len(part.encode("utf-8", "surrogateescape")) for part in path.parts), default=0)
        return (
            f"the file name is too long for this system ({len(str(path)):,} characters, its longest part "
            f"{longest:,} bytes; a name may have at most 255 bytes): give a shorter name"
        )
    if exc.errno == errno.ENOENT:
        return "no such file"
    return f"cannot read file: {exc.strerror or type(exc).__name__}"


def real_path(path: Path) -> Path | str:
    """The real path of an existing ``path`` (every link followed), or one line saying why there is none."""
    try:
        real = os.path.realpath(path, strict=True)
    except (OSError, ValueError) as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT and _is_link(path):
            return "is a symbolic link to a file that does not exist: remove it or fix its target"
        return os_reason(path, exc)
    return Path(real)


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def exists(path: Path) -> bool:
    """Whether anything is at ``path`` (a dangling link counts); False for a name no file can have."""
    try:
        os.lstat(path)
    except (OSError, ValueError):
        return False
    return True


def read_guarded(
    path: Path,
    *,
    limit: int,
    within: Path | None = None,
    within_fix: str = "copy the file in instead",
    kind_fix: str = "give a regular file",
    size_fix: str = "give the file drdrill wrote, or a smaller one",
    noun: str = "file",
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; raises :class:`FileRefusedError`.

    With ``within``, the file (its links followed) must lie inside that directory. The ``*_fix`` texts say
    what to do in the caller's words.
    """
    real = real_path(path)
    if isinstance(real, str):
        raise FileRefusedError(path, real)
    if within is not None:
        root = Path(os.path.realpath(within))
        if not real.is_relative_to(root):
            how = "is a symbolic link to a file" if _is_link(path) else "lies"
            shown = display_path(root) if root != Path.cwd() else str(root)
            raise FileRefusedError(
                path, f"{how} outside {shown}; drdrill reads {noun}s only inside it: {within_fix}"
            )
    try:
        # Checked before opening: a FIFO is never opened, so no reader can wait for a writer.
        before = os.stat(real)
    except OSError as exc:
        raise FileRefusedError(path, os_reason(path, exc)) from None
    if not stat.S_ISREG(before.st_mode):
        raise FileRefusedError(
            path,
            f"is {_kind(before.st_mode)}, not a regular file: drdrill reads only regular files ({kind_fix})",
        )
    try:
        # O_NONBLOCK: a FIFO put in its place since the check must not wait for a writer either.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise FileRefusedError(path, os_reason(path, exc)) from None
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            raise FileRefusedError(
                path,
                f"is {_kind(mode.st_mode)}, not a regular file: drdrill reads only regular files ({kind_fix})",
            )
        if mode.st_size > limit:
            raise FileRefusedError(path, _too_large(mode.st_size, limit, noun, size_fix))
        return _read_bounded(path, fd, limit, noun, size_fix)
    finally:
        os.close(fd)


def _read_bounded(path: Path, fd: int, limit: int, noun: str, size_fix: str) -> bytes:
    # The size from fstat can be wrong (a file that grows while it is read): never read past the limit.
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = os.read(fd, _CHUNK)
        except OSError as exc:
            raise FileRefusedError(path, os_reason(path, exc)) from None
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise FileRefusedError(path, _too_large(total, limit, noun, size_fix, at_least=True))
        chunks.append(chunk)


def _too_large(size: int, limit: int, noun: str, fix: str, *, at_least: bool = False) -> str:
    article = "an" if noun[:1] in "aeiou" else "a"
    return (
        f"is {'more than ' if at_least else ''}{size:,} bytes; {article} {noun} may hold at most {limit:,} bytes: "
        f"{fix}"
    )


def read_plan_file(path: Path, within: Path, *, limit: int = MAX_FILE_BYTES) -> bytes | PlanIssue:
    """The bytes of the regular file ``path``, which must lie inside the directory ``within``.

    Anything else comes back as a :class:`PlanIssue` for the whole file (line 0) that says why and what to do;
    it never quotes the file.
    """
    try:
        return read_guarded(
            path,
            limit=limit,
            within=within,
            kind_fix=PLAN_FILE_FIX,
            size_fix="split it into more files or remove what the plan does not need",
            noun="plan file",
        )
    except FileRefusedError as exc:
        return PlanIssue(path, 0, 0, exc.reason)
