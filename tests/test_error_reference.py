"""No traceback is shown to a user: an unexpected error is a translated sentence with a reference,
and the log holds the traceback under the same reference (issue #21, point 8)."""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

import pytest

from ivc.ui.widgets.feedback import explain

REPO = Path(__file__).resolve().parents[1]


def test_an_unexpected_error_gives_a_reference_the_log_repeats(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise RuntimeError("/srv/ivc/secret/path: something broke")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="ivc.ui.widgets.feedback"):
            lines = explain(exc, "it")
    assert "/srv" not in " ".join(lines) and "Traceback" not in " ".join(lines)
    ref = re.search(r"\b([0-9a-f]{10})\b", lines[-1])
    assert ref is not None, lines
    record = next(r for r in caplog.records if ref.group(1) in r.getMessage())
    assert record.exc_info is not None  # the traceback is in the log, not on the page


def test_streamlit_shows_no_error_details() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("none", False)
