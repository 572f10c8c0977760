"""What the browser tests share: a real ``ivc ui`` server (``streamlit run ivc/ui/server.py``) on
the test database, Debian's Chromium driven by Playwright, and small steps a person takes
(sign in, wait until the page has finished, fill a Streamlit widget by its label)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "una password lunga"
LONG = 120_000  # ms: a step that runs the NLP or renders a document on a busy machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def ui_server(log_dir: Path) -> Iterator[str]:
    """``ivc ui`` as a person would run it, on a free port; yields its address."""
    port = free_port()
    log_path = log_dir / f"streamlit-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "ivc" / "ui" / "server.py"),
                "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                "--client.toolbarMode", "viewer",
            ],
            cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError("streamlit did not start: " + log_path.read_text(errors="replace"))
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def chromium(shots: Path, name: str) -> Iterator[Any]:
    """A fresh browser page (Italian locale); a screenshot of what it showed if the test fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale="it-IT")
        page.set_default_timeout(60_000)
        try:
            yield page
        except BaseException:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"failure-{name}.png"), full_page=True)
            raise
        finally:
            browser.close()


@contextmanager
def people_in_chromium(shots: Path, name: str, url: str) -> Iterator[Any]:
    """One browser, one window (and cookie jar) per person: ``window(username)`` gives that
    person's page, signed in the first time it is asked for. A screenshot of every window if the
    test fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        pages: dict[str, Any] = {}

        def window(username: str) -> Any:
            if username not in pages:
                context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="it-IT")
                page = context.new_page()
                page.set_default_timeout(60_000)
                sign_in(page, url, username)
                pages[username] = page
            return pages[username]

        try:
            yield window
        except BaseException:
            shots.mkdir(parents=True, exist_ok=True)
            for username, page in pages.items():
                page.screenshot(path=str(shots / f"failure-{name}-{username}.png"), full_page=True)
            raise
        finally:
            browser.close()


def settle(page: Any, timeout: int = LONG) -> None:
    """Wait until Streamlit has finished running the script for the last interaction."""
    page.wait_for_timeout(250)
    # Running: the status widget shows; elements of the previous run not yet replaced are stale.
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=timeout,
        polling=100,
    )
    page.wait_for_timeout(150)


def sign_in(page: Any, url: str, username: str, path: str = "", password: str = PASSWORD) -> None:
    page.goto(f"{url}/{path}")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Accedi", exact=True).click()
    page.get_by_text("Connesso come").wait_for(timeout=LONG)
    # The browser then passes through /ivc/session/start for its session cookie and comes back.
    deadline = time.monotonic() + LONG / 1000
    while not any(c["name"].endswith("ivc_session") for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise AssertionError(f"no session cookie after signing in as {username} (at {page.url})")
        page.wait_for_timeout(100)
    page.wait_for_load_state()
    page.get_by_text("Connesso come").wait_for(timeout=LONG)
    settle(page)


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Esci").click()
    page.get_by_role("button", name="Accedi", exact=True).wait_for(timeout=LONG)
    settle(page)


def pick(page: Any, label: str, option: str, *, exact: bool = False) -> None:
    """Choose ``option`` in the Streamlit selectbox labelled ``label`` (typing to filter)."""
    page.get_by_label(label, exact=exact).first.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()


def click(page: Any, name: str, *, exact: bool = True) -> None:
    page.get_by_role("button", name=name, exact=exact).first.click()
    settle(page)


def tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    settle(page)


def shot(page: Any, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("IVC_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
