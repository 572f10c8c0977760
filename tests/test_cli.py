"""The ``ivc`` command line on the real database."""

from __future__ import annotations

import os
from pathlib import Path

os.environ["COLUMNS"] = "200"  # rich sizes its tables from the terminal width

from sqlmodel import Session
from typer.testing import CliRunner

from ivc.case.states import CaseState
from ivc.cli.main import app

from .helpers import advance_to, staff

runner = CliRunner()


def test_case_list_and_show(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.VALIDATION_ISSUED)
    session.commit()
    result = runner.invoke(app, ["case", "list"])
    assert result.exit_code == 0, result.output
    assert "Ben Salah" in result.output and "validazione_rilasciata" in result.output
    shown = runner.invoke(app, ["case", "show", str(case.id)])
    assert shown.exit_code == 0, shown.output
    assert "documento_validazione" in shown.output and "LIG-CUC" in shown.output


def test_territorial_scope_applies_on_the_command_line(session: Session) -> None:
    actors = staff(session)
    case = advance_to(session, actors, CaseState.IDENTIFICATION)
    session.commit()
    result = runner.invoke(app, ["case", "show", str(case.id), "--as", "op1"])
    assert result.exit_code == 2
    assert "does not work in district 3" in result.output
    listed = runner.invoke(app, ["case", "list", "--as", "op1"])
    assert "Ben Salah" not in listed.output


def test_an_unknown_case_is_a_clear_error() -> None:
    result = runner.invoke(app, ["case", "show", "999999"])
    assert result.exit_code == 2 and "no case 999999" in result.output


def test_frameworks_list_show_search_and_import() -> None:
    listed = runner.invoke(app, ["frameworks", "list"])
    assert listed.exit_code == 0 and "RL" in listed.output and "v1.1.1-slice" in listed.output
    shown = runner.invoke(app, ["frameworks", "show", "LIG-CUC"])
    assert shown.exit_code == 0 and "LIG-CUC-UC1" in shown.output and "EQF" in shown.output
    found = runner.invoke(app, ["frameworks", "search", "saldatura", "--framework", "RL", "--json"])
    assert found.exit_code == 0 and '"key": "LIG-SLD' in found.output
    fixtures = Path(__file__).parent / "fixtures" / "esco"
    imported = runner.invoke(app, ["frameworks", "import", "esco", str(fixtures), "--version", "vcli"])
    assert imported.exit_code == 0, imported.output
    assert "11 concepts" in imported.output and "9 relations" in imported.output
    again = runner.invoke(app, ["frameworks", "import", "esco", str(fixtures), "--version", "vcli"])
    assert "imported nothing" in again.output


def test_framework_errors_are_clear() -> None:
    missing = runner.invoke(app, ["frameworks", "show", "LIG-NOPE"])
    assert missing.exit_code == 2 and "no qualification, competence or ESCO concept" in missing.output
    wrong = runner.invoke(app, ["frameworks", "import", "esco", "/nonexistent"])
    assert wrong.exit_code == 2 and "not a directory" in wrong.output
