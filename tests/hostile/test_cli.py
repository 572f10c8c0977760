"""The hostile corpus through the ``ivc`` command line: every bad input ends with a non-zero exit
code and a short error, never a traceback."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

os.environ["COLUMNS"] = "200"  # rich sizes its output from the terminal width

from sqlmodel import Session
from typer.testing import CliRunner

from ivc.cli.main import app

from . import TALLY
from .corpus import VACANCY_CSVS, Probe, image_bytes, pdf_bytes, zip_bytes

runner = CliRunner()


def _invoke(probe: Probe, name: str, args: list[str], check: Callable[[str], bool] | None = None) -> None:
    """One case: the command fails cleanly — exit code != 0, no traceback, a short message."""
    TALLY.tried += 1
    result = runner.invoke(app, args)
    output = result.output.strip()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        probe.fail(name, f"crashed with {type(result.exception).__name__}: {result.exception}")
    elif result.exit_code == 0:
        probe.fail(name, f"succeeded on bad input: {output[:200]}")
    elif "Traceback" in output or not output:
        probe.fail(name, f"no clear message: {output[:300]!r}")
    elif len([line for line in output.splitlines() if "preparing the database" not in line]) > 12:
        probe.fail(name, f"the error is not short: {output[:300]!r}")
    elif check is not None and not check(output):
        probe.fail(name, f"unexpected message: {output[:300]!r}")


def _error_line(output: str) -> bool:
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    return len(lines) == 1 and len(lines[0]) > len("error: ")


def _usage(output: str) -> bool:
    return "Invalid value" in output or "Missing argument" in output or "No such command" in output


def test_hostile_command_lines(session: Session, tmp_path: Path) -> None:
    probe = Probe("cli")
    for label, content, expected in VACANCY_CSVS:
        if expected == "stored":
            continue
        path = tmp_path / f"{label.replace(' ', '_')}.csv"
        path.write_bytes(content)
        _invoke(probe, f"vacancies import: {label}", ["vacancies", "import", str(path)], _error_line)
    _invoke(probe, "vacancies import: missing file", ["vacancies", "import", str(tmp_path / "nope.csv")], _error_line)
    _invoke(probe, "vacancies import: a directory", ["vacancies", "import", str(tmp_path)], _error_line)
    _invoke(
        probe, "vacancies import: unknown user", ["vacancies", "import", str(path), "--as", "'; DROP --"], _error_line
    )

    broken_repertory = tmp_path / "repertorio"
    broken_repertory.mkdir()
    (broken_repertory / "framework.yaml").write_text("code: [unclosed\n  - : :", encoding="utf-8")
    _invoke(
        probe,
        "frameworks import: broken YAML",
        ["frameworks", "import", "repertory", str(broken_repertory)],
        _error_line,
    )
    (broken_repertory / "framework.yaml").write_bytes(b"\xff\xfe\x00garbage")
    _invoke(
        probe,
        "frameworks import: binary YAML",
        ["frameworks", "import", "repertory", str(broken_repertory)],
        _error_line,
    )
    _invoke(
        probe,
        "frameworks import: empty directory",
        ["frameworks", "import", "repertory", str(tmp_path / "none")],
        _error_line,
    )
    esco = tmp_path / "v9.9.9"
    esco.mkdir()
    (esco / "skills_en.csv").write_bytes(b'conceptUri,preferredLabel\n\x00\xff,"unclosed\n')
    _invoke(probe, "frameworks import: broken ESCO CSV", ["frameworks", "import", "esco", str(esco)], _error_line)
    _invoke(probe, "frameworks import: unknown kind", ["frameworks", "import", "bogus", str(esco)])
    _invoke(probe, "frameworks show: script", ["frameworks", "show", "<script>alert(1)</script>"], _error_line)

    for label, content in (
        ("empty file", b""),
        ("binary junk", bytes(range(256)) * 4),
        ("fake pdf", b"%PDF-1.4\ngarbage\n%%EOF"),
        ("unknown pdf", pdf_bytes(1)),
        ("zip", zip_bytes({"a": b"b"})),
        ("png", image_bytes("PNG")),
        ("json array", b"[1, 2, 3]"),
        ("json bomb-ish", b"[" * 100_000),
        ("jwt-like garbage", b"aaa.bbb.ccc"),
        ("bad utf-8", b"\xc0\xaf\xed\xa0\x80"),
    ):
        path = tmp_path / f"doc-{label.replace(' ', '_')}"
        path.write_bytes(content)
        _invoke(probe, f"verify: {label}", ["verify", str(path)])
    for code in ("", "0000-0000-0000", "'; DROP TABLE issueddocument; --", "../../etc/passwd", "x" * 5000):
        _invoke(probe, f"verify code: {code[:30]!r}", ["verify", code])

    for case_id in ("abc", "-1", "1.5", "99999999999999999999999", "0x10", "١٢"):
        _invoke(probe, f"case show {case_id!r}", ["case", "show", case_id])
    _invoke(probe, "case show as unknown user", ["case", "show", "1", "--as", "nobody"], _error_line)
    _invoke(probe, "case list: bad state", ["case", "list", "--state", "<script>"])
    _invoke(probe, "match vacancy: SQL", ["match", "vacancy", "' OR 1=1 --"], _error_line)
    _invoke(probe, "match person: huge id", ["match", "person", "99999999999999999999"])
    _invoke(
        probe,
        "document export: unknown",
        ["document", "export", "../../x", "--out", str(tmp_path / "o.pdf")],
        _error_line,
    )
    _invoke(
        probe,
        "document revoke: unknown",
        ["document", "revoke", "CE/0000/1", "--reason", "x", "--as", "admin"],
        _error_line,
    )
    probe.consistent()
    probe.finish()
