"""Read the bytes of a plan file, refusing what a hostile plan could point the loader at.

A plan can arrive in a pull request and be validated in CI, so every file is read the same careful way: a
regular file only (a FIFO would hang the reader, ``/dev/zero`` would fill memory), inside the directory it
belongs to even through symbolic links (a link to ``/etc/shadow`` is refused before anything is read, so no
error can echo another file's content), and at most :data:`MAX_FILE_BYTES` bytes.
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


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse(path: Path, message: str) -> PlanIssue:
    return PlanIssue(path, 0, 0, message)


def _resolve(path: Path, within: Path) -> Path | PlanIssue:
    """The real path of ``path``, or why it may not be read: a link loop, a dangling link, outside ``within``."""
    is_link = path.is_symlink()
    try:
        real = Path(os.path.realpath(path, strict=True))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _refuse(
                path, "is a symbolic link that loops back on itself: remove it or point it at a file"
            )
        if is_link and exc.errno == errno.ENOENT:
            return _refuse(
                path, "is a symbolic link to a file that does not exist: remove it or fix its target"
            )
        return _refuse(path, f"cannot read file: {exc.strerror or exc}")
    root = Path(os.path.realpath(within))
    if not real.is_relative_to(root):
        how = "is a symbolic link to a file" if is_link else "lies"
        shown = display_path(root) if root != Path.cwd() else str(root)
        return _refuse(
            path,
            f"{how} outside {shown}; drdrill reads plan files only inside it: copy the file in instead",
        )
    return real


def read_plan_file(path: Path, within: Path, *, limit: int = MAX_FILE_BYTES) -> bytes | PlanIssue:
    """The bytes of the regular file ``path``, which must lie inside the directory ``within``.

    Anything else comes back as a :class:`PlanIssue` for the whole file (line 0) that says why and what to do;
    it never quotes the file.
    """
    real = _resolve(path, within)
    if isinstance(real, PlanIssue):
        return real
    try:
        # O_NONBLOCK: opening a FIFO that appeared since the check must not wait for a writer.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        return _refuse(path, f"cannot read file: {exc.strerror or exc}")
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            return _refuse(
                path,
                f"is {_kind(mode.st_mode)}, not a regular file: drdrill reads only regular files "
                "(move it out of the plan directory, or put the YAML file itself in its place)",
            )
        if mode.st_size > limit:
            return _too_large(path, mode.st_size, limit)
        return _read_bounded(path, fd, limit)
    finally:
        os.close(fd)


def _read_bounded(path: Path, fd: int, limit: int) -> bytes | PlanIssue:
    # The size from fstat can be wrong (a file that grows while it is read): never read past the limit.
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = os.read(fd, _CHUNK)
        except OSError as exc:
            return _refuse(path, f"cannot read file: {exc.strerror or exc}")
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            return _too_large(path, total, limit, at_least=True)
        chunks.append(chunk)


def _too_large(path: Path, size: int, limit: int, *, at_least: bool = False) -> PlanIssue:
    return _refuse(
        path,
        f"is {'more than ' if at_least else ''}{size:,} bytes; a plan file may hold at most {limit:,} bytes: "
        "split it into more files or remove what the plan does not need",
    )
