"""Whether a compose service's ``build:`` needs ``docker build`` at all this run.

Docker's own cache makes a second build quick, but not free: the classic builder is sent the whole context
(38 MB for the bundled replica's app image) and checks each step, a quarter of a second before every drill.
drdrill skips that when nothing a build reads has changed since drdrill built the image: the Dockerfile's
text, the build arguments and target, each context file's path, size and modification time (as ``make``
judges), and the id of each image the Dockerfile starts ``FROM``. The record (``builds.json`` in drdrill's
cache) also keeps the id drdrill built: an image tag that moved since (another build, a ``docker rmi``) means
a build.

A ``FROM`` this cannot resolve to a local image (an argument with no value, an image not on this machine) always
builds: Docker then says what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

RECORD_FILE = "builds.json"
_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)
_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?\s*$", re.IGNORECASE)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def base_images(dockerfile_text: str, args: Mapping[str, str]) -> list[str] | None:
    """The images the Dockerfile's stages start ``FROM`` (earlier stages left out), with build arguments and
    ``ARG`` defaults given before the first ``FROM`` filled in; None when one cannot be resolved."""
    defaults: dict[str, str] = {}
    stages: set[str] = set()
    found: list[str] = []
    seen_from = False
    for line in dockerfile_text.splitlines():
        arg = _ARG.match(line)
        if arg and not seen_from:
            defaults[arg.group(1)] = arg.group(2) or ""
            continue
        start = _FROM.match(line)
        if not start:
            continue
        seen_from = True
        values = {**defaults, **args}
        unresolved = False

        def fill(match: re.Match[str], values: Mapping[str, str] = values) -> str:
            nonlocal unresolved
            name = match.group(1) or match.group(2)
            if not values.get(name):
                unresolved = True
                return ""
            return values[name]

        image = _VARIABLE.sub(fill, start.group(1))
        if unresolved or not image:
            return None
        if image.lower() not in stages and image.lower() != "scratch":
            found.append(image)
        if start.group(2):
            stages.add(start.group(2).lower())
    return found


def fingerprint(
    context: Path,
    dockerfile: Path,
    args: Mapping[str, str],
    target: str | None,
    image_id: Callable[[str], str | None],
) -> str | None:
    """What the build reads, hashed; None when it cannot be told (a base image not here, an unreadable file, a
    context that is not a local folder)."""
    if not context.is_dir():
        return None
    try:
        text = dockerfile.read_text(encoding="utf-8")
    except OSError:
        return None
    bases = base_images(text, args)
    if bases is None:
        return None
    digest = hashlib.sha256()
    digest.update(json.dumps([text, sorted(args.items()), target]).encode())
    for image in bases:
        found = image_id(image)
        if found is None:
            return None
        digest.update(f"\0from {image} {found}".encode())
    try:
        for root, dirs, files in os.walk(context):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                stat = path.lstat()
                digest.update(f"\0{path.relative_to(context)} {stat.st_size} {stat.st_mtime_ns}".encode())
    except OSError:
        return None
    return digest.hexdigest()


def _read(cache: Path) -> dict[str, dict[str, str]]:
    try:
        found = json.loads((cache / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def unchanged(cache: Path, image: str, print_: str | None, current_id: str | None) -> bool:
    """True when drdrill built ``image`` from the same inputs and the tag still names what it built."""
    if print_ is None or current_id is None:
        return False
    entry = _read(cache).get(image)
    return isinstance(entry, dict) and entry.get("inputs") == print_ and entry.get("id") == current_id


def record(cache: Path, image: str, print_: str | None, built_id: str | None) -> None:
    """Remember what ``image`` was built from (nothing when either is unknown). The file is replaced whole
    (a rename), so a drill running beside this one reads the old record or the new, never half of one."""
    if print_ is None or built_id is None:
        return
    cache.mkdir(parents=True, exist_ok=True)
    records = _read(cache)
    records[image] = {"inputs": print_, "id": built_id}
    partial = cache / f"{RECORD_FILE}.{os.getpid()}.part"
    partial.write_text(json.dumps(records, indent=1, sort_keys=True), encoding="utf-8")
    partial.replace(cache / RECORD_FILE)
