"""Server-side sessions of the web interface (ivc/auth/websession.py), the two routes that set and
clear the session cookie (ivc/ui/session_routes.py), the Streamlit side (ivc/ui/session.py, in
Streamlit's AppTest harness, where there is no cookie) and how ``ivc ui`` starts Streamlit.
The same in a real browser: tests/test_browser_sessions.py."""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from streamlit.testing.v1 import AppTest

from ivc.audit.models import AuditEvent
from ivc.auth import websession
from ivc.auth.models import User, WebSession, WebSessionTicket
from ivc.auth.roles import Actor
from ivc.auth.service import get_actor, set_password, sign_in, update_user
from ivc.config import reset_settings
from ivc.database.core import utcnow
from ivc.ui import session as web_session
from ivc.ui import session_routes

from .helpers import staff

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "una password lunga"


@pytest.fixture()
def op3(session: Session) -> Actor:
    staff(session)
    set_password(session, "op3", PASSWORD, get_actor(session, "admin"))
    session.commit()
    return get_actor(session, "op3")


def _row(session: Session, token: str) -> WebSession:
    return session.exec(select(WebSession).where(WebSession.token_hash == websession.hash_token(token))).one()


def _age(session: Session, token: str, minutes: float) -> None:
    row = _row(session, token)
    row.last_seen_at = utcnow() - timedelta(minutes=minutes)
    session.add(row)
    session.flush()


def _actions(session: Session, username: str) -> list[str]:
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_id == username).order_by(AuditEvent.id)).all()
    return [e.action for e in events]


def test_a_session_resumes_its_user_and_only_the_token_hash_is_stored(session: Session, op3: Actor) -> None:
    token = websession.start_session(session, op3, user_agent="Mozilla/5.0", ip="10.0.0.7")
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    assert websession.resume(session, token) == op3
    row = _row(session, token)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(v) for v in row.model_dump().values()}
    assert (row.user_agent, row.ip, row.revoked_at) == ("Mozilla/5.0", "10.0.0.7", None)
    assert "user.session_started" in _actions(session, "op3")
    # Unknown, tampered, empty or absurd tokens resume nobody.
    for wrong in ("", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 10_000, "è" * 43):
        assert websession.resume(session, wrong) is None


def test_the_actor_follows_the_account_at_every_resume(session: Session, op3: Actor) -> None:
    token = websession.start_session(session, op3)
    update_user(session, get_actor(session, "admin"), "op3", districts=["1", "3"])
    actor = websession.resume(session, token)
    assert actor is not None and actor.districts == frozenset({"1", "3"})


def test_idle_sessions_expire_and_the_expiry_is_audited(
    session: Session, op3: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = websession.start_session(session, op3)
    _age(session, token, 29)
    assert websession.resume(session, token) == op3  # default: 30 minutes
    _age(session, token, 31)
    assert websession.resume(session, token) is None
    row = _row(session, token)
    assert row.revoked_at is not None and row.end_reason == "expired"
    assert _actions(session, "op3")[-1] == "user.session_expired"
    _age(session, token, 0)
    assert websession.resume(session, token) is None  # ended for good

    monkeypatch.setenv("IVC_SESSION_IDLE_MINUTES", "5")
    reset_settings()
    try:
        short = websession.start_session(session, op3)
        _age(session, short, 4)
        assert websession.resume(session, short) == op3
        _age(session, short, 6)
        assert websession.resume(session, short) is None
    finally:
        monkeypatch.delenv("IVC_SESSION_IDLE_MINUTES")
        reset_settings()


def test_activity_is_recorded_at_most_once_a_minute(session: Session, op3: Actor) -> None:
    token = websession.start_session(session, op3)
    first = _row(session, token).last_seen_at
    assert websession.resume(session, token) == op3
    assert _row(session, token).last_seen_at == first  # a rerun seconds later writes nothing
    _age(session, token, 2)
    before = _row(session, token).last_seen_at
    assert websession.resume(session, token) == op3
    assert _row(session, token).last_seen_at > before + timedelta(minutes=1)


def test_signing_out_ends_the_session(session: Session, op3: Actor) -> None:
    token = websession.start_session(session, op3)
    assert websession.end_session(session, token) is True
    assert websession.resume(session, token) is None
    assert _row(session, token).end_reason == "signed_out"
    assert _actions(session, "op3")[-1] == "user.signed_out"
    assert websession.end_session(session, token) is False
    assert websession.end_session(session, "unknown") is False


def test_disabling_an_account_ends_its_sessions(session: Session, op3: Actor) -> None:
    admin = get_actor(session, "admin")
    tokens = [websession.start_session(session, op3) for _ in range(2)]
    other = websession.start_session(session, get_actor(session, "op1"))
    update_user(session, admin, "op3", active=False)
    assert [websession.resume(session, t) for t in tokens] == [None, None]
    assert {_row(session, t).end_reason for t in tokens} == {"disabled"}
    assert websession.resume(session, other) is not None  # someone else's session goes on
    assert "user.sessions_revoked" in _actions(session, "op3")
    # Enabled again, the old sessions stay ended, and no new one starts while disabled.
    update_user(session, admin, "op3", active=True)
    assert websession.resume(session, tokens[0]) is None
    update_user(session, admin, "op3", active=False)
    with pytest.raises(Exception, match="cannot sign in"):
        websession.start_session(session, op3)


def test_an_account_disabled_behind_the_services_back_is_refused_too(session: Session, op3: Actor) -> None:
    token = websession.start_session(session, op3)
    user = session.exec(select(User).where(User.username == "op3")).one()
    user.active = False
    session.add(user)
    session.flush()
    assert websession.resume(session, token) is None


def test_a_locked_account_is_refused_while_the_lock_lasts(session: Session, op3: Actor) -> None:
    token = websession.start_session(session, op3)
    user = session.exec(select(User).where(User.username == "op3")).one()
    user.locked_until = utcnow() + timedelta(minutes=10)
    session.add(user)
    session.flush()
    assert websession.resume(session, token) is None
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.add(user)
    session.flush()
    assert websession.resume(session, token) == op3  # a lock (someone guessing) does not end it


def test_a_new_password_ends_every_session_of_the_user(session: Session, op3: Actor) -> None:
    tokens = [websession.start_session(session, op3) for _ in range(3)]
    set_password(session, "op3", "un'altra password lunga", op3)  # by the user themself
    assert [websession.resume(session, t) for t in tokens] == [None, None, None]
    assert {_row(session, t).end_reason for t in tokens} == {"password_changed"}
    assert _actions(session, "op3")[-1] == "user.sessions_revoked"
    # A session started with the new password works.
    assert websession.resume(session, websession.start_session(session, op3)) == op3


def test_a_ticket_is_used_once_within_a_minute(session: Session, op3: Actor) -> None:
    ticket = websession.issue_ticket(session, op3)
    row = session.exec(select(WebSessionTicket)).one()
    assert row.ticket_hash == websession.hash_token(ticket) and row.username == "op3"
    assert timedelta(seconds=59) <= row.expires_at - row.created_at <= timedelta(seconds=61)
    token = websession.redeem_ticket(session, ticket, user_agent="UA", ip="10.0.0.1")
    assert token is not None and websession.resume(session, token) == op3
    assert websession.redeem_ticket(session, ticket) is None  # single use
    assert websession.redeem_ticket(session, "not a ticket") is None

    late = websession.issue_ticket(session, op3)
    stale = session.exec(
        select(WebSessionTicket).where(WebSessionTicket.ticket_hash == websession.hash_token(late))
    ).one()
    stale.expires_at = utcnow() - timedelta(seconds=1)
    session.add(stale)
    session.flush()
    assert websession.redeem_ticket(session, late) is None  # expired

    meanwhile = websession.issue_ticket(session, op3)
    update_user(session, get_actor(session, "admin"), "op3", active=False)
    assert websession.redeem_ticket(session, meanwhile) is None  # disabled in between


@pytest.mark.parametrize(
    ("next_path", "expected"),
    [
        ("/", "/"),
        ("/casi?case=12&tab=evidenze", "/casi?case=12&tab=evidenze"),
        ("/verifica", "/verifica"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("casi", "/"),
        ("/\t/evil.example", "/"),
        ("/casi\r\nSet-Cookie: x=1", "/"),
        ("/</script><script>alert(1)</script>", "/"),
        ("/ivc/session/end", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_only_a_relative_path_of_the_app_is_a_destination(next_path: str | None, expected: str) -> None:
    assert websession.safe_next(next_path) == expected


def test_under_a_base_path_only_its_pages_are_destinations() -> None:
    assert websession.safe_next("/ivc/casi", "ivc") == "/ivc/casi"
    assert websession.safe_next("/ivc", "/ivc/") == "/ivc"
    assert websession.safe_next("/other/casi", "ivc") == "/ivc/"
    assert websession.safe_next("/ivcx", "ivc") == "/ivc/"


# The routes, through Starlette's test client (no Streamlit server).


@pytest.fixture()
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(web_session, "ROUTES_MOUNTED", False)  # routes() sets it; put back after
    with TestClient(Starlette(routes=session_routes.routes()), follow_redirects=False) as c:
        yield c


def _start(client: TestClient, ticket: str, next_path: str = "/casi?case=3", bind: str | None = None) -> object:
    client.cookies.set("ivc_ticket", ticket if bind is None else bind)
    response = client.get("/ivc/session/start", params={"ticket": ticket, "next": next_path})
    client.cookies.delete("ivc_ticket")
    return response


def _cookie_header(response: object, name: str) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert found, headers
    return str(found[-1])


def test_the_start_route_trades_a_ticket_for_an_httponly_strict_cookie(
    session: Session, op3: Actor, client: TestClient
) -> None:
    ticket = websession.issue_ticket(session, op3)
    session.commit()
    response = _start(client, ticket)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/casi?case=3"  # type: ignore[attr-defined]
    assert response.headers["cache-control"] == "no-store"  # type: ignore[attr-defined]
    cookie = _cookie_header(response, "ivc_session")
    attributes = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= attributes.keys()
    assert attributes["samesite"].strip().lower() == "samesite=strict"
    assert attributes["path"].strip() == "Path=/"
    assert "secure" not in attributes  # plain http, secure not configured
    assert "max-age" not in attributes and "expires" not in attributes  # gone when the browser closes
    token = cookie.split(";")[0].split("=", 1)[1]
    session.expire_all()
    assert websession.resume(session, token) == op3
    assert "ivc_ticket=" in " ".join(response.headers.get_list("set-cookie"))  # type: ignore[attr-defined]  # cleared

    # The same ticket again: no session, back to the start page.
    again = _start(client, ticket)
    assert again.headers["location"] == "/"  # type: ignore[attr-defined]
    assert not [h for h in again.headers.get_list("set-cookie") if h.startswith("ivc_session=")]  # type: ignore[attr-defined]


def test_the_start_route_refuses_open_redirects_unbound_and_unknown_tickets(
    session: Session, op3: Actor, client: TestClient
) -> None:
    ticket = websession.issue_ticket(session, op3)
    session.commit()
    # A ticket pushed from another site, which cannot set the ivc_ticket cookie: not used up.
    unbound = _start(client, ticket, bind="something else")
    assert unbound.headers["location"] == "/"  # type: ignore[attr-defined]
    assert not [h for h in unbound.headers.get_list("set-cookie") if h.startswith("ivc_session=")]  # type: ignore[attr-defined]
    client.cookies.clear()
    nothing = client.get("/ivc/session/start", params={"ticket": ticket})
    assert nothing.headers["location"] == "/"
    # Bound, valid, but the destination is another site: signed in, sent to the start page.
    elsewhere = _start(client, ticket, next_path="https://evil.example/steal")
    assert elsewhere.headers["location"] == "/"  # type: ignore[attr-defined]
    assert _cookie_header(elsewhere, "ivc_session")
    assert _start(client, "unknown-ticket").headers["location"] == "/"  # type: ignore[attr-defined]


def test_a_secure_cookie_when_configured(
    session: Session, op3: Actor, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVC_SESSION_COOKIE_SECURE", "true")
    reset_settings()
    try:
        ticket = websession.issue_ticket(session, op3)
        session.commit()
        cookie = _cookie_header(_start(client, ticket), "__Host-ivc_session")
        assert "; secure" in cookie.lower() and "httponly" in cookie.lower() and "path=/" in cookie.lower()
    finally:
        monkeypatch.delenv("IVC_SESSION_COOKIE_SECURE")
        reset_settings()


def test_the_end_route_ends_the_session_and_clears_the_cookie(session: Session, op3: Actor, client: TestClient) -> None:
    token = websession.start_session(session, op3)
    session.commit()
    client.cookies.set("ivc_session", token)
    response = client.get("/ivc/session/end")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cleared = _cookie_header(response, "ivc_session")
    assert 'ivc_session=""' in cleared or "ivc_session=;" in cleared
    assert "max-age=0" in cleared.lower()
    session.expire_all()
    assert websession.resume(session, token) is None
    assert _row(session, token).end_reason == "signed_out"
    client.cookies.clear()
    assert client.get("/ivc/session/end").headers["location"] == "/"  # no cookie: nothing to end


# The Streamlit side, in AppTest (no cookie: st.session_state carries the user).


def _page() -> None:
    import streamlit as st

    from ivc.auth.service import get_actor
    from ivc.database.core import session_scope
    from ivc.ui import session as web_session

    actor = web_session.current_actor()
    st.write(f"user={actor.username if actor else None}")
    if actor is None and st.button("sign in"):
        with session_scope() as s:
            who = get_actor(s, "op3")
        web_session.after_sign_in(who, "/casi")
    if actor is not None and st.button("sign out"):
        web_session.sign_out()


def _user_shown(at: AppTest) -> str:
    return next(str(m.value) for m in at.markdown if str(m.value).startswith("user="))


def test_the_page_side_works_without_a_cookie(session: Session, op3: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_session, "ROUTES_MOUNTED", True)  # as under ivc/ui/server.py
    at = AppTest.from_function(_page, default_timeout=60)
    at.session_state["username"] = "op3"
    at.run()
    assert _user_shown(at) == "user=op3"

    at = AppTest.from_function(_page, default_timeout=60).run()
    assert _user_shown(at) == "user=None"
    at.button[0].click().run()
    # The run of the click itself sends the browser on its trip (no second run), and ends with
    # the script: a page switch after it would take it off the page before the browser runs it.
    script = next(h.proto.body for h in at.get("html"))
    assert "window.top.location.replace" in script and "ivc_ticket=" in script
    start = re.search(r'"(/ivc/session/start\?[^"]+)"', script)
    assert start is not None and "next=%2Fcasi" in start.group(1)
    ticket = re.search(r"ticket=([A-Za-z0-9_-]+)", start.group(1))
    assert ticket is not None
    session.expire_all()
    assert websession.redeem_ticket(session, ticket.group(1)) is not None  # the browser's trip works

    at.run()
    assert not at.get("html")  # the trip is asked for once
    assert _user_shown(at) == "user=op3"  # signed in for this Streamlit session meanwhile
    at.button[0].click().run()
    assert "/ivc/session/end" in next(h.proto.body for h in at.get("html"))
    at.run()
    assert _user_shown(at) == "user=None"


def test_without_the_routes_a_sign_in_lasts_for_the_streamlit_session(session: Session, op3: Actor) -> None:
    """``streamlit run ivc/ui/app.py`` (no server.py): no trip to routes that are not there."""
    assert web_session.ROUTES_MOUNTED is False
    at = AppTest.from_function(_page, default_timeout=60).run()
    at.button[0].click().run()
    assert _user_shown(at) == "user=op3"
    assert not at.get("html")
    at.button[0].click().run()
    assert _user_shown(at) == "user=None"
    assert not at.get("html")


def test_a_disabled_user_is_signed_out_of_the_page(session: Session, op3: Actor) -> None:
    at = AppTest.from_function(_page, default_timeout=60)
    at.session_state["username"] = "op3"
    at.run()
    update_user(session, get_actor(session, "admin"), "op3", active=False)
    session.commit()
    at.run()
    assert _user_shown(at) == "user=None"


def test_sign_in_still_audits_as_before(session: Session, op3: Actor) -> None:
    assert sign_in(session, "op3", PASSWORD) == op3
    assert _actions(session, "op3")[-1] == "user.signed_in"


# `ivc ui`: Streamlit's own settings apply.


@pytest.fixture()
def ui_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[list[str]]]:
    import subprocess

    from ivc.cli import main as cli

    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, env=None: calls.append(list(cmd)) or 0)
    monkeypatch.setattr("ivc.bootstrap.bootstrap", lambda: None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.streamlit/config.toml of whoever runs the tests
    for var in ("STREAMLIT_SERVER_PORT", "STREAMLIT_SERVER_HEADLESS"):
        monkeypatch.delenv(var, raising=False)
    assert cli.app is not None
    yield calls


def _run_ui(*args: str) -> None:
    from typer.testing import CliRunner

    from ivc.cli.main import app

    result = CliRunner().invoke(app, ["ui", *args])
    assert result.exit_code == 0, result.output


def test_ivc_ui_runs_the_server_module_and_passes_no_port_unless_asked(
    ui_command: list[list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _run_ui()
    cmd = ui_command[-1]
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("ivc/ui/server.py")
    assert "--server.port" not in cmd
    assert cmd[cmd.index("--server.headless") + 1] == "true"

    _run_ui("--port", "8600")
    cmd = ui_command[-1]
    assert cmd[cmd.index("--server.port") + 1] == "8600"

    # What the user set in the environment or in .streamlit/config.toml is left to Streamlit.
    monkeypatch.setenv("STREAMLIT_SERVER_HEADLESS", "false")
    _run_ui()
    assert "--server.headless" not in ui_command[-1]
    monkeypatch.delenv("STREAMLIT_SERVER_HEADLESS")
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text('[client]\ntoolbarMode = "developer"\n')
    _run_ui()
    cmd = ui_command[-1]
    assert "--client.toolbarMode" not in cmd and "--server.headless" in cmd


def test_streamlit_itself_honours_the_port_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No --server.port flag: STREAMLIT_SERVER_PORT reaches `streamlit run` as its option."""
    from click.testing import CliRunner
    from streamlit.web import cli as st_cli

    seen: dict[str, object] = {}
    monkeypatch.setattr(st_cli, "_main_run", lambda file, args, flag_options: seen.update(flag_options))
    monkeypatch.setenv("STREAMLIT_SERVER_PORT", "8765")
    result = CliRunner().invoke(st_cli.main, ["run", str(Path(session_routes.__file__).parent / "server.py")])
    assert result.exit_code == 0, result.output
    assert seen.get("server_port") == 8765
