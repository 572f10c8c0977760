"""Language identification for short texts (py3langid, offline, ~0.1 ms a text). Very short texts
are where detectors err: callers let the operator override.

py3langid ships its model LZMA-compressed and decompresses it in every process (about 1 s). The
first process unpacks it once into the data directory as plain ``.npy`` arrays, which later
processes map from disk in milliseconds; anything unexpected falls back to py3langid's own loader.
"""

from __future__ import annotations

import lzma
import os
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import py3langid

from ivc.mapping.unpacked import cache_dir

_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")
_lock = threading.Lock()


def _model_file() -> Path:
    from py3langid import langid

    return Path(langid.MODEL_DIR) / langid.MODEL_FILE


def _unpacked_dir() -> Path:
    return cache_dir("langid", _model_file(), str(py3langid.__version__))


def _unpack(target: Path) -> None:
    """Decompress the shipped model once into ``target`` (one ``.npy`` per array), atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".langid-", dir=target.parent))
    try:
        with tempfile.TemporaryFile(suffix=".npz") as tmp:
            with lzma.open(_model_file()) as src:
                shutil.copyfileobj(src, tmp, length=1 << 20)
            tmp.seek(0)
            with np.load(tmp, allow_pickle=False) as data:
                for name in _ARRAYS:
                    np.save(work / f"{name}.npy", data[name], allow_pickle=False)
        os.replace(work, target)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not target.is_dir():
            raise


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """py3langid's identifier over the unpacked model, or None (then py3langid loads its own)."""
    try:
        from py3langid.langid import LanguageIdentifier
        from py3langid.modelio import _to_array

        target = _unpacked_dir()
        with _lock:
            if not target.is_dir():
                _unpack(target)
        a = {name: np.load(target / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
        return LanguageIdentifier(
            a["ptc"],
            np.asarray(a["pc"]),
            a["classes"].tolist(),
            _to_array(a["nextmove"]),
            a["out_feat"].tolist(),
            tk_row=_to_array(a["nextmove_row"]),
        )
    except (ImportError, OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def detect(text: str) -> str:
    """ISO 639-1 code of the text's language; ``und`` when there is nothing to go on."""
    sample = " ".join(text.split())[:2000]
    if sum(ch.isalpha() for ch in sample) < 3:
        return "und"
    identifier = _identifier()
    lang, _ = identifier.classify(sample) if identifier is not None else py3langid.classify(sample)
    return str(lang)
