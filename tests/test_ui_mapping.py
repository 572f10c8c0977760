"""The mapping review in the interface: a short list per experience, the rest behind "more",
passages instead of whole texts, and "set the rest aside" in one press."""

from __future__ import annotations

from sqlmodel import Session, select

from ivc.claim import service as claims
from ivc.mapping.models import EscoSuggestion

from .test_mapping_review import _case_with_bricklaying
from .test_ui import _app, _open


def test_the_workspace_shows_a_short_list_and_sets_the_rest_aside(session: Session) -> None:
    _, case, exp = _case_with_bricklaying(session)
    at = _open(_app("op3"), "cases", case.id or 0, "Competenze suggerite")
    assert not at.exception, at.exception
    assert any(exp.title in m.value for m in at.markdown)  # grouped by experience
    more = [e for e in at.expander if e.label.startswith("Altri suggerimenti")]
    assert len(more) == 1
    marked = [m.value for m in at.markdown if "<mark>" in m.value]
    assert marked and all(len(m) < 600 for m in marked)  # passages, not the whole text repeated
    buttons_outside = [b for b in at.button if b.key and "accept_" in b.key]
    assert buttons_outside
    press = next(b for b in at.button if b.key == f"set_aside_{case.id}")
    press.click().run()
    assert not at.exception, at.exception
    session.expire_all()
    statuses = [c.status for c in claims.claims_for_case(session, case.id or 0)]
    statuses += [s.status for s in session.exec(select(EscoSuggestion).where(EscoSuggestion.case_id == case.id))]
    assert "rejected" in statuses and "suggested" in statuses
    assert not [e for e in at.expander if e.label.startswith("Altri suggerimenti")]
