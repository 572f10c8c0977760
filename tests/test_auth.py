"""Local accounts: argon2 hashes, sign-in that reveals nothing, temporary lock, admin-only
account management, and the ``ivc users`` commands."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from ivc.audit.models import AuditEvent
from ivc.auth.models import User
from ivc.auth.roles import Role
from ivc.auth.service import add_user, get_actor, set_password, sign_in, update_user
from ivc.cli.main import app
from ivc.errors import PermissionDenied, ValidationFailed

from .helpers import staff

GOOD = "correct horse battery"


def _admin(session: Session):  # type: ignore[no-untyped-def]
    return get_actor(session, "admin")


def test_a_password_is_stored_as_a_salted_argon2_hash_and_signs_in(session: Session) -> None:
    user = add_user(session, _admin(session), "lucia", "Lucia Rossi", Role.OPERATOR, ["3"], password=GOOD)
    other = add_user(session, _admin(session), "marco", "Marco Bianchi", Role.OPERATOR, ["3"], password=GOOD)
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert GOOD not in user.password_hash
    assert user.password_hash != other.password_hash  # salted
    actor = sign_in(session, "lucia", GOOD)
    assert actor.role is Role.OPERATOR and actor.districts == frozenset({"3"})
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "user.signed_in")).first() is not None


def test_wrong_password_and_unknown_user_get_the_same_answer(session: Session) -> None:
    add_user(session, _admin(session), "lucia", "Lucia Rossi", Role.OPERATOR, ["3"], password=GOOD)
    with pytest.raises(PermissionDenied) as wrong:
        sign_in(session, "lucia", "not the password")
    with pytest.raises(PermissionDenied) as unknown:
        sign_in(session, "nobody", "not the password")
    assert str(wrong.value) == str(unknown.value)
    assert wrong.value.code == unknown.value.code == "sign_in_failed"


def test_repeated_failures_lock_the_account_until_an_admin_resets_it(session: Session) -> None:
    add_user(session, _admin(session), "lucia", "Lucia Rossi", Role.OPERATOR, ["3"], password=GOOD)
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            sign_in(session, "lucia", "guess guess guess")
    with pytest.raises(PermissionDenied):
        sign_in(session, "lucia", GOOD)  # locked: even the right password is refused for now
    set_password(session, "lucia", "a brand new password", _admin(session))
    assert sign_in(session, "lucia", "a brand new password").username == "lucia"


def test_a_locked_account_is_told_for_how_long_and_an_unknown_name_answers_the_same(session: Session) -> None:
    add_user(session, _admin(session), "lucia", "Lucia Rossi", Role.OPERATOR, ["3"], password=GOOD)
    answers: dict[str, list[tuple[str, object]]] = {"lucia": [], "nessuno.cosi": []}
    for name, seen in answers.items():
        for password in ["guess guess guess"] * 5 + [GOOD]:
            with pytest.raises(PermissionDenied) as refused:
                sign_in(session, name, password)
            seen.append((refused.value.code, refused.value.params.get("minutes")))
    assert answers["lucia"][0] == ("sign_in_failed", 15)  # says how many failures lock, for how long
    assert answers["lucia"][4] == answers["lucia"][5] == ("sign_in_locked", 15)  # locked: for how long
    assert answers["nessuno.cosi"] == answers["lucia"]  # a name with no account is indistinguishable


def test_a_locked_account_and_an_unknown_name_take_the_same_time(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #21: a locked account answered in ~1 ms, an unknown name in ~100 ms (it verifies a dummy
    hash), so timing told which names exist. Every answer now costs one password verification."""
    import statistics
    import time

    from ivc.auth import service as auth

    add_user(session, _admin(session), "lucia", "Lucia Rossi", Role.OPERATOR, ["3"], password=GOOD)
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            sign_in(session, "lucia", "guess guess guess")
    calls: list[str] = []

    class Counting:
        def __init__(self, real: object) -> None:
            self.real = real

        def verify(self, hash_: str, password: str) -> bool:
            calls.append(hash_)
            return self.real.verify(hash_, password)  # type: ignore[attr-defined,no-any-return]

        def __getattr__(self, name: str) -> object:
            return getattr(self.real, name)

    monkeypatch.setattr(auth, "_HASHER", Counting(auth._HASHER))
    timings: dict[str, list[float]] = {"lucia": [], "nessuno.cosi": []}
    for _ in range(3):
        for name, seen in timings.items():
            started = time.perf_counter()
            with pytest.raises(PermissionDenied) as refused:
                sign_in(session, name, "guess guess guess")
            seen.append(time.perf_counter() - started)
            assert refused.value.code in ("sign_in_locked", "sign_in_failed")
    assert len(calls) == 6  # one verification per answer, locked or unknown
    locked, unknown = statistics.median(timings["lucia"]), statistics.median(timings["nessuno.cosi"])
    assert 0.5 < locked / unknown < 2, (locked, unknown)


def test_disabled_accounts_cannot_sign_in(session: Session) -> None:
    add_user(session, _admin(session), "lucia", "Lucia Rossi", Role.OPERATOR, ["3"], password=GOOD)
    update_user(session, _admin(session), "lucia", active=False)
    with pytest.raises(PermissionDenied):
        sign_in(session, "lucia", GOOD)


def test_only_an_admin_manages_accounts_and_passwords_are_not_trivial(session: Session) -> None:
    actors = staff(session)
    with pytest.raises(PermissionDenied):
        add_user(session, actors["op3"], "x.y", "X Y", Role.ADMIN, password=GOOD)
    with pytest.raises(PermissionDenied):
        set_password(session, "op1", GOOD, actors["op3"])
    with pytest.raises(ValidationFailed):
        add_user(session, _admin(session), "short", "Short", Role.OPERATOR, ["3"], password="123")
    with pytest.raises(ValidationFailed):
        add_user(session, _admin(session), "nowhere", "No Where", Role.OPERATOR, ["99"], password=GOOD)
    with pytest.raises(ValidationFailed):
        add_user(session, _admin(session), "op3", "Again", Role.OPERATOR, ["3"], password=GOOD)
    set_password(session, "op3", "my own new password", actors["op3"])  # a user may change their own


def test_users_command_creates_lists_and_changes_accounts(session: Session) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["users", "add", "giulia", "--role", "alfa_reviewer", "--name", "Giulia Verdi", "--password-stdin"],
        input=GOOD + "\n",
    )
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["users", "list"])
    assert "giulia" in listed.output and "alfa_reviewer" in listed.output
    changed = runner.invoke(app, ["users", "set", "giulia", "--role", "operator", "--district", "2"])
    assert changed.exit_code == 0, changed.output
    bad = runner.invoke(
        app, ["users", "add", "pino", "--role", "operator", "--name", "Pino", "--password-stdin"], input="short\n"
    )
    assert bad.exit_code == 2 and "at least 10 characters" in bad.output
    session.expire_all()
    user = session.exec(select(User).where(User.username == "giulia")).one()
    assert user.role == "operator" and user.districts == ["2"]
    assert sign_in(session, "giulia", GOOD).districts == frozenset({"2"})
