"""Personal access codes (ivc/personspace/access.py): issued by an operator, kept as a hash, renewed
and revoked; sign-in with the code and the date of birth, locked like staff sign-in, audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from ivc.audit.models import AuditEvent
from ivc.auth import websession
from ivc.auth.roles import Actor, Role
from ivc.errors import PermissionDenied
from ivc.person.service import register_person
from ivc.personspace import access
from ivc.personspace.models import PersonAccessCode

from .helpers import person_in, staff

BIRTH = date(1986, 4, 12)


@pytest.fixture()
def actors(session: Session) -> dict[str, Actor]:
    return staff(session)


@pytest.fixture()
def person_id(session: Session, actors: dict[str, Actor]) -> int:
    return register_person(session, person_in("3"), actors["op3"], confirmed_new=True).id or 0


def _actions(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_code_is_printed_once_and_kept_only_as_a_hash(session: Session, actors: dict, person_id: int) -> None:
    code = access.issue_code(session, person_id, actors["op3"])
    assert len(access.normalise(code)) == access.CODE_LENGTH and code.count("-") == 2
    row = session.exec(select(PersonAccessCode)).one()
    assert row.code_hash == access.code_hash(code) and access.normalise(code) not in row.code_hash
    event = _actions(session, "person.access_code_issued")[0]
    assert access.normalise(code) not in str(event.after) and code not in str(event.after)


def test_sign_in_with_the_code_and_the_date_of_birth(session: Session, actors: dict, person_id: int) -> None:
    code = access.issue_code(session, person_id, actors["op3"])
    actor = access.sign_in(session, code.lower().replace("-", " "), BIRTH)  # as typed from paper
    assert actor.role is Role.PERSON and actor.person_id == person_id and not actor.districts
    assert [e.actor for e in _actions(session, "person.signed_in")] == [f"person:{person_id}"]


def test_a_wrong_birth_date_is_refused_and_locks_the_code(session: Session, actors: dict, person_id: int) -> None:
    code = access.issue_code(session, person_id, actors["op3"])
    for _ in range(4):
        with pytest.raises(PermissionDenied) as refused:
            access.sign_in(session, code, date(1990, 1, 1))
        assert refused.value.code == "code_sign_in_failed" and refused.value.params["attempts"] == 5
    with pytest.raises(PermissionDenied) as locked:
        access.sign_in(session, code, date(1990, 1, 1))
    assert locked.value.code == "code_sign_in_locked"
    with pytest.raises(PermissionDenied) as still:  # the right date too, while locked
        access.sign_in(session, code, BIRTH)
    assert still.value.code == "code_sign_in_locked" and still.value.params["minutes"] >= 1
    assert len(_actions(session, "person.sign_in_failed")) == 6
    assert access.session_state(session, person_id) == "locked"


def test_an_unknown_code_answers_like_a_wrong_one_and_locks_too(session: Session) -> None:
    codes = []
    for _ in range(5):
        with pytest.raises(PermissionDenied) as refused:
            access.sign_in(session, "ZZZZ-ZZZZ-ZZZ2", BIRTH)
        codes.append(refused.value.code)
    assert codes == ["code_sign_in_failed"] * 4 + ["code_sign_in_locked"]


def test_a_renewed_code_revokes_the_previous_one(session: Session, actors: dict, person_id: int) -> None:
    old = access.issue_code(session, person_id, actors["op3"])
    token = websession.start_session(session, access.sign_in(session, old, BIRTH))
    new = access.issue_code(session, person_id, actors["op3"])
    with pytest.raises(PermissionDenied) as refused:
        access.sign_in(session, old, BIRTH)
    assert refused.value.code == "code_sign_in_failed"
    assert websession.resume(session, token) is None  # signed out where the old code was used
    assert access.sign_in(session, new, BIRTH).person_id == person_id


def test_a_revoked_code_is_refused_and_ends_the_session(session: Session, actors: dict, person_id: int) -> None:
    code = access.issue_code(session, person_id, actors["op3"])
    token = websession.start_session(session, access.sign_in(session, code, BIRTH))
    assert (resumed := websession.resume(session, token)) is not None and resumed.person_id == person_id
    access.revoke_code(session, person_id, actors["op3"])
    assert websession.resume(session, token) is None
    with pytest.raises(PermissionDenied):
        access.sign_in(session, code, BIRTH)
    assert access.session_state(session, person_id) == "gone"


def test_only_an_operator_of_the_district_issues_a_code(session: Session, actors: dict, person_id: int) -> None:
    for who in ("op1", "cpi3", "alfa", "med"):
        with pytest.raises(PermissionDenied):
            access.issue_code(session, person_id, actors[who])
    with pytest.raises(PermissionDenied):
        access.issue_code(session, person_id, Actor(f"person:{person_id}", Role.PERSON))


def test_cli_prints_a_new_code_once(session: Session, actors: dict, person_id: int) -> None:
    from ivc.cli.main import app

    session.commit()
    result = CliRunner().invoke(app, ["person", "access-code", str(person_id), "--as", "op3"])
    assert result.exit_code == 0, result.output
    code = result.output.strip().splitlines()[-1]
    assert len(access.normalise(code)) == access.CODE_LENGTH
    session.expire_all()
    assert access.live_code(session, person_id) is not None
    assert access.sign_in(session, code, BIRTH).person_id == person_id


def test_cli_lists_and_closes_the_requests_people_sent(session: Session, actors: dict, person_id: int) -> None:
    from ivc.auth.roles import person_actor
    from ivc.cli.main import app
    from ivc.personspace import service as space
    from ivc.personspace.models import RequestKind

    access.issue_code(session, person_id, actors["op3"])
    request = space.send_request(session, person_actor(person_id), person_id, RequestKind.CORRECTION, "Nome sbagliato")
    session.commit()
    listed = CliRunner().invoke(app, ["person", "requests", "--as", "op3"])
    assert listed.exit_code == 0 and "Nome sbagliato" in listed.output and "correction" in listed.output
    assert "no open requests" in CliRunner().invoke(app, ["person", "requests", "--as", "op1"]).output
    closed = CliRunner().invoke(app, ["person", "requests", "--as", "op3", "--close", str(request.id)])
    assert closed.exit_code == 0 and "no open requests" in closed.output
