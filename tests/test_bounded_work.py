"""Bounded work per request (issue #21, point 7 and the upload part of point 6): text analysis
answers within its cap whatever the text, and an upload is never held whole beyond the limit."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest
from sqlmodel import Session

from ivc.config import get_settings
from ivc.errors import ValidationFailed
from ivc.evidence.safety import read_upload
from ivc.textruns import MAX_RUN, segments

REPO = Path(__file__).resolve().parents[1]
SECONDS = 5.0  # the cap a 20k-character symbol run must answer within (it took over 60 s before)


def test_segments_keep_offsets_and_cut_long_runs() -> None:
    text = "Lavoravo in cucina " + "€" * 1000 + " e pulivo il pesce"
    pieces = list(segments(text))
    assert "".join(p for _, p in pieces) == text
    assert all(text[o : o + len(p)] == p for o, p in pieces)
    assert max(len(p) for _, p in pieces if "€" in p and " " not in p) == MAX_RUN
    assert list(segments("una frase normale")) == [(0, "una frase normale")]
    assert list(segments("")) == [(0, "")]


@pytest.mark.parametrize("symbol", ["€", "-", "😀"])
def test_a_20k_symbol_run_is_analysed_within_its_cap(symbol: str) -> None:
    from ivc.mapping.analysis import analyse

    analyse("riscaldare il motore", "it")  # the tokenizer is built outside the measure
    started = time.perf_counter()
    tokens = analyse("Ho lavorato come cuoco " + symbol * 20_000 + " e cameriere", "it")
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    assert [t.text for t in tokens if t.text.isalpha()][-1] == "cameriere"  # offsets hold after the run
    assert all(t.start < t.end for t in tokens)


def test_the_suggester_answers_a_long_symbol_run_within_its_cap_and_reports_the_cut(session: Session) -> None:
    from ivc.mapping.service import suggest_text
    from ivc.mapping.suggest import MAX_CHARS

    suggest_text(session, "Lavoravo in cucina")  # index and models are loaded outside the measure
    started = time.perf_counter()
    result = suggest_text(session, "Lavoravo in cucina " + "€" * 20_000 + " e pulivo il pesce")
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    assert any(str(MAX_CHARS) in note for note in result.notes)  # the cut is reported


class _Endless:
    """A stream of 2 GiB that never exists in memory; counts what was read from it."""

    def __init__(self, size: int = 2 * 1024**3) -> None:
        self.left = size
        self.read_total = 0

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        self.read_total += n
        return b"a" * n


def test_an_oversized_stream_is_refused_after_the_limit_not_read_whole() -> None:
    stream = _Endless()
    with pytest.raises(ValidationFailed) as refused:
        read_upload(stream)  # type: ignore[arg-type]
    limit = get_settings().max_upload_bytes
    assert refused.value.code == "upload_too_large"
    assert stream.read_total == limit + 1
    assert read_upload(b"ciao") == b"ciao"


def test_the_browser_upload_cap_matches_the_service_limit() -> None:
    """Streamlit refuses above ``server.maxUploadSize`` (MiB) before the file is sent: the same
    limit as the service's, so the browser never carries a file ivc would refuse."""
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1024**2 == get_settings().max_upload_bytes
    assert config["client"]["showErrorDetails"] in ("none", False)
