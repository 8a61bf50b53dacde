"""Parsed YAML kept between runs, found by the hash of the file's bytes.

ruamel's round-trip parser, which keeps every key's line and column for the plan's error messages, is most of
what loading a plan costs: 0.15 s for the bundled plan's 16 files and its compose file, on every ``pytest
--drill``. The parsed tree of a file that parsed cleanly is kept in drdrill's cache under the SHA-256 of its
bytes and of the parser's own code (``yamlsource``, ``yamlscreen``, ruamel's version), and read back in 4 ms.
Everything after the parse (the screen's limits are part of the parse; the plan's validation is not) runs every
time, so a cached file is judged exactly as a fresh one. A file that did not parse is never kept: its error is
made again, with its position.

A cache entry is read only from a folder and a file this user owns and nobody else can write (a pickle runs
code when read); anything wrong with the cache (missing, unreadable, corrupt, full disk) means a plain parse.
The cache keeps about :data:`MAX_ENTRIES` files, the least recently written going first.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import stat
import sys
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from drdrill.cachedir import cache_dir

T = TypeVar("T")
FOLDER = "parsed-yaml"
MAX_ENTRIES = 512
PRUNE_EVERY = 16  # one write in this many (at random) looks whether the cache holds too many entries
_PARSER_MODULES = ("yamlsource.py", "yamlscreen.py")


@lru_cache(maxsize=1)
def _parser_fingerprint() -> bytes:
    """What a parse depends on besides the bytes: the parser's code, ruamel's version, Python's."""
    from ruamel.yaml import __version__ as ruamel_version  # noqa: PLC0415 - imported by yamlsource already

    digest = hashlib.sha256(f"{sys.version_info[:2]}|{ruamel_version}".encode())
    here = Path(__file__).parent
    for name in _PARSER_MODULES:
        digest.update((here / name).read_bytes())
    return digest.digest()


def _folder() -> Path:
    return cache_dir() / FOLDER


def _owned_and_private(path: Path) -> bool:
    """Owned by this user, and writable by nobody else."""
    try:
        found = os.lstat(path)
    except OSError:
        return False
    return found.st_uid == os.getuid() and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def cached(
    raw: bytes, parse: Callable[[], T], keep: Callable[[T], Any | None], rebuild: Callable[[Any], T]
) -> T:
    """``parse()``'s result for ``raw``, from the cache when it was kept before.

    ``keep(result)`` says what to store (None: store nothing, e.g. a parse error); ``rebuild(stored)`` makes the
    result again from it.
    """
    try:
        key = hashlib.sha256(_parser_fingerprint() + raw).hexdigest()
    except OSError:
        return parse()
    folder = _folder()
    entry = folder / f"{key}.pickle"
    if _owned_and_private(folder) and _owned_and_private(entry):
        try:
            with entry.open("rb") as handle:
                return rebuild(pickle.load(handle))
        except Exception:  # a corrupt or stale entry: parse again, and write it anew
            entry.unlink(missing_ok=True)
    result = parse()
    stored = keep(result)
    if stored is not None:
        _store(folder, entry, stored)
    return result


def _store(folder: Path, entry: Path, stored: Any) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _owned_and_private(folder):
            return
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump(stored, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)  # readers see a whole entry or none
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if random.randrange(PRUNE_EVERY) == 0:
            prune(folder)
    except (OSError, pickle.PicklingError, RecursionError):
        return  # a cache that cannot be written only costs the next run a parse


def prune(folder: Path) -> None:
    """Keep the :data:`MAX_ENTRIES` most recently written entries."""
    entries = sorted(folder.glob("*.pickle"), key=_mtime)
    for old in entries[: max(0, len(entries) - MAX_ENTRIES)]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
