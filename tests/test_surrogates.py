"""Lone surrogates are refused at the database's edge with a clear error (issue #21, point 8:
they crashed SQLite-bound searches and the sign-in with ``UnicodeEncodeError``)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from ivc.auth.models import User
from ivc.auth.service import get_actor, sign_in
from ivc.database.guard import lone_surrogate
from ivc.errors import ValidationFailed
from ivc.i18n import t


@pytest.mark.parametrize(
    "call",
    [
        lambda s: sign_in(s, "admin\ud800", "password"),
        lambda s: get_actor(s, "\udfffadmin"),
        lambda s: s.exec(select(User).where(User.full_name == "Mario \ud83d Rossi")).all(),
    ],
    ids=["sign-in", "actor", "search"],
)
def test_a_lone_surrogate_is_a_clear_refusal_not_a_crash(session: Session, call: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        call(session)  # type: ignore[operator]
    assert refused.value.code == "text_surrogate"
    assert refused.value.params["character"].startswith("U+D")
    assert "U+D" in t("errors.text_surrogate", "it", **refused.value.params)
    session.rollback()
    assert get_actor(session, "admin").username == "admin"  # the session is usable afterwards


def test_ordinary_text_passes() -> None:
    assert lone_surrogate("Città di Genova 😀 نامه") is None
    assert lone_surrogate("a\ud800") == 1
