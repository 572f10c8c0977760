"""Web sessions in a real browser (Debian's chromium, headless, driven by Playwright) against
``streamlit run ivc/ui/server.py`` on the test database: a signed-in user stays signed in across
a reload, a new tab and a restart of the server; a cookie with a wrong token shows the sign-in
page; after signing out a reload shows the sign-in page; the cookie is HttpOnly and SameSite=Strict."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

import ivc
from ivc.auth.models import WebSession
from ivc.auth.service import get_actor, set_password

from .helpers import staff

CHROMIUM = "/usr/bin/chromium"
SERVER = Path(ivc.__file__).resolve().parent / "ui" / "server.py"
PASSWORD = "una password lunga"

pytestmark = pytest.mark.slow

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``streamlit run ivc/ui/server.py`` on a free port, which can be restarted on that port."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "streamlit", "run", str(SERVER),
                    "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
                    "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                ],
                cwd=SERVER.parents[2], env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("streamlit did not start: " + self.log.read_text())

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "streamlit.log")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _sign_in(page: Any, username: str) -> None:
    page.get_by_label("Nome utente").fill(username)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    # The page signs in, then takes the browser through /ivc/session/start for the cookie.
    with page.expect_navigation():
        page.get_by_role("button", name="Accedi", exact=True).click()
    page.get_by_text("Connesso come").wait_for()


def _signed_in(page: Any) -> None:
    page.get_by_text("Connesso come").wait_for()


def _signed_out(page: Any) -> None:
    page.get_by_label("Nome utente").wait_for()
    assert page.get_by_text("Connesso come").count() == 0


def _session_cookie(context: Any) -> dict[str, Any] | None:
    return next((c for c in context.cookies() if c["name"] in ("ivc_session", "__Host-ivc_session")), None)


def test_a_reload_keeps_the_user_signed_in_until_they_sign_out(
    session: Session, server: Server, tmp_path: Path
) -> None:
    staff(session)
    set_password(session, "op3", PASSWORD, get_actor(session, "admin"))
    session.commit()

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="it-IT")
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            _journey(page, context, server, session)
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def _journey(page: Any, context: Any, server: Server, session: Session) -> None:
    url = server.url
    # A bookmark to a page, signed out: the sign-in form, then back to that page, signed in.
    page.goto(f"{url}/casi")
    _signed_out(page)
    _sign_in(page, "op3")
    assert page.url == f"{url}/casi"
    cookie = _session_cookie(context)
    assert cookie is not None, context.cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["secure"] is False  # plain http here; IVC_SESSION_COOKIE_SECURE for https
    assert "ivc_session" not in page.evaluate("document.cookie")  # out of the page's scripts' reach
    assert "ticket" not in page.url
    assert not [c for c in context.cookies() if c["name"] == "ivc_ticket"]  # used and cleared

    # Reload, a second tab, and a restart of the server (every Streamlit session lost).
    page.reload()
    _signed_in(page)
    other = context.new_page()
    other.goto(url)
    _signed_in(other)
    other.close()
    server.stop()
    server.start()
    page.reload()
    _signed_in(page)

    # A cookie with a wrong token: the sign-in page.
    token = cookie["value"]
    context.add_cookies([{**cookie, "value": "x" + token[1:]}])
    page.reload()
    _signed_out(page)

    # Back with the right one, then sign out: the session ends and a reload shows the sign-in page.
    context.add_cookies([cookie])
    page.reload()
    _signed_in(page)
    with page.expect_navigation():  # through /ivc/session/end, back to the start page
        page.get_by_role("button", name="Esci").click()
    _signed_out(page)
    assert page.url == f"{url}/"
    assert _session_cookie(context) is None
    page.reload()
    _signed_out(page)
    session.expire_all()
    from ivc.auth.websession import hash_token

    row = session.exec(select(WebSession).where(WebSession.token_hash == hash_token(token))).one()
    assert row.end_reason == "signed_out"
    # The old cookie put back by hand is worth nothing now.
    context.add_cookies([cookie])
    page.reload()
    _signed_out(page)
