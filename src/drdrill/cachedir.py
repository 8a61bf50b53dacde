"""Where drdrill keeps what it can reuse between runs (built images' records, parsed plan files, tools)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """drdrill's cache: `DRDRILL_CACHE_DIR`, else `$XDG_CACHE_HOME/drdrill`, else `~/.cache/drdrill`."""
    override = os.environ.get("DRDRILL_CACHE_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "drdrill"
