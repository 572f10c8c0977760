"""Benchmark: the web interface in a real browser (Debian's Chromium, headless, driven by Playwright)
against a real Streamlit server, on two datasets: the demo (SQLite) and the demo plus ~100,000
synthetic cases on PostgreSQL.

    .venv/bin/python bench/ui.py [--cases 100000] [--runs 20] [--quick] [--no-pg] [--pg postgresql://postgres@127.0.0.1:5432]

Each dataset gets its own throw-away data directory (``IVC_DATA_DIR``) and database: ``ivc demo``
on it, then a few cases in identification with a confirmed competence (to issue documents from the
browser), then, on PostgreSQL, the synthetic cases by COPY. The server is ``ivc/ui/server.py``
(``ivc/ui/app.py`` when server.py is missing or does not start: noted in the output).

How an interaction is timed: the page records, in the browser, the time of the user's press
(pointer or key) and the time at which Streamlit has finished the rerun (a ``script_finished``
message on its WebSocket after the press, the app root's ``data-test-script-state`` back to
``notRunning``, no running indicator, no stale element) *and* the expected content is on the
page, checked on every animation frame. A page load counts from the navigation's start.
Sign-in (a trip through ``/ivc/session/start``) is timed from Python. Every figure sits beside a
baseline measured the same way on the same server in the same run: the rerun of the public
verification page when the language selector changes (half of its runs at the start, half at the
end), and for page loads (and sign-in) the load of that page. p95 is the nearest-rank 95th
percentile. Each role's part runs in a browser context of its own; one that breaks is reported
and the others still run. The datasets are dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
# The districts as the pickers show them ("3 · Genovese").
DISTRICTS = [
    f"{d['code']} · {d['name']}"
    for d in yaml.safe_load((ROOT / "reference" / "territories.yaml").read_text("utf-8"))["territories"]
][:5]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "ivc-demo-2026"
TARGET_MS = 1000  # an interaction, p95
ISSUE_TARGET_MS = 3000  # issuing a document, p95
TIMEOUT_MS = 180_000
BUDGET_S = 150  # an interaction stops repeating after this long (at least MIN_RUNS runs)
MIN_RUNS = 5
PREP_TAG = "IVC-UI-PREP "

# Recorded in the page, before any script of the app: when the user pressed something (once armed),
# and how many runs of the script the server has reported finished, read from the ForwardMsg
# protocol buffers on Streamlit's WebSocket (field 6 ``script_finished``: 0 finished, 3 a fragment
# finished; 2, ended early for a rerun, does not count; field 4 ``new_session``: a run starts).
INIT_JS = """(() => {
  const s = {finished: 0, started: 0, armed: false, input: null, met: null, log: []};
  window.__ivc = s;
  const mark = () => { if (s.armed) { s.input = performance.now(); s.armed = false; } };
  for (const type of ['pointerdown', 'mousedown', 'keydown']) window.addEventListener(type, mark, true);
  const note = (what) => { s.log = [...s.log.slice(-9), [Math.round(performance.now()), what]]; };
  const scan = (buf) => {
    let i = 0;
    const varint = () => {
      let x = 0, shift = 0, b;
      do { b = buf[i++]; x += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80 && i < buf.length);
      return x;
    };
    while (i < buf.length) {
      const tag = varint(), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) {
        const value = varint();
        if (field === 6) { note('finished ' + value); if (value === 0 || value === 3) s.finished++; }
      } else if (wire === 2) {
        const size = varint();
        if (field === 4) { note('new_session'); s.started++; }
        i += size;
      } else if (wire === 1) { i += 8; } else if (wire === 5) { i += 4; } else { break; }
    }
  };
  const read = (data) => {
    if (data instanceof ArrayBuffer) scan(new Uint8Array(data));
    else if (data instanceof Blob) data.arrayBuffer().then((b) => scan(new Uint8Array(b)));
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => read(e.data));
    }
  };
})();"""

# True once the server has finished a run after the press, the page shows no running indicator and
# no stale element, and every check holds (or the page shows Streamlit's error box); notes the time.
READY_JS = """([after, checks]) => {
  const s = window.__ivc;
  if (!s || s.finished <= after) return false;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]')) return false;
  if (document.querySelector('[data-testid="stException"]')) { s.met = performance.now(); return true; }
  for (const c of checks) {
    const found = [...document.querySelectorAll(c.css)].some(
      (e) => e.getClientRects().length > 0 && (!c.text || e.textContent.includes(c.text)));
    if (found === Boolean(c.absent)) return false;
  }
  s.met = performance.now();
  return true;
}"""

# What the page shows when a wait times out.
DIAGNOSE_JS = """(checks) => ({
  app: window.__ivc,
  busy: [...document.querySelectorAll('[data-testid="stStatusWidget"], [data-stale="true"]')].length,
  checks: checks.map((c) => [c.css, c.text, c.absent, [...document.querySelectorAll(c.css)].filter(
    (e) => e.getClientRects().length > 0 && (!c.text || e.textContent.includes(c.text))).length]),
})"""


def _texts(lang: str = "it") -> dict[str, Any]:
    import yaml

    return yaml.safe_load((ROOT / "ivc" / "i18n" / "locales" / f"{lang}.yaml").read_text(encoding="utf-8"))


_CATALOGS: dict[str, dict[str, Any]] = {}


def T(key: str, lang: str = "it") -> str:
    """The interface's text for ``key`` (up to its first placeholder), from the locale files."""
    if lang not in _CATALOGS:
        _CATALOGS[lang] = _texts(lang)
    node: Any = _CATALOGS[lang]
    for part in key.split("."):
        node = node[part]
    return str(node).split("{")[0].strip().rstrip(" *_")


def check(css: str, text: str | None = None, *, absent: bool = False) -> dict[str, Any]:
    return {"css": css, "text": text, "absent": absent}


HEADING = '[data-testid="stHeading"]'
TABLE = '[data-testid="stDataFrame"]'
ALERT = '[data-testid="stAlert"]'
CAPTION = '[data-testid="stCaptionContainer"]'
BUTTON = '[data-testid="stButton"] button, [data-testid="stBaseButton-primary"], [data-testid="stBaseButton-secondary"]'


# --------------------------------------------------------------------------------------------- #
# Figures


@dataclass
class Row:
    name: str
    times: list[float] = field(default_factory=list)  # ms
    target: int | None = TARGET_MS

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


RERUN, LOAD = "baseline", "baseline_load"  # the two baselines: a trivial rerun, a trivial page load


def _baseline_of(key: str) -> str:
    """Page loads (and sign-in, which ends in one) are compared with the trivial page load."""
    return LOAD if key.endswith("load") or key == "sign_in" else RERUN


@dataclass
class Results:
    dataset: str
    rows: dict[str, Row] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # sections stopped by an error

    def add(self, key: str, name: str, ms: float | None, target: int | None = TARGET_MS) -> None:
        if ms is None:
            return
        self.rows.setdefault(key, Row(name, target=None if key in (RERUN, LOAD) else target)).times.append(ms)
        print(f"   {name}: {ms:.0f} ms", file=sys.stderr, flush=True)

    def table(self) -> str:
        notes = [n for n in self.notes if not n.startswith("Chromium")]
        lines = [
            f"#### {self.dataset}" + (f" — {'; '.join(notes)}" if notes else ""),
            "| interaction | runs | median ms | p95 ms | p95 / baseline p95 | target met? |",
            "|---|---|---|---|---|---|",
        ]
        for key in [RERUN, LOAD, *(k for k in self.rows if k not in (RERUN, LOAD))]:
            row = self.rows.get(key)
            if row is None or not row.times:
                continue
            base = self.rows.get(_baseline_of(key))
            ratio = f"{row.p95 / base.p95:.1f}×" if base and base.times else "—"
            if key in (RERUN, LOAD):
                verdict = "(baseline)"
            elif row.target is None:
                verdict = "—"
            else:
                verdict = ("yes" if row.p95 <= row.target else "**no**") + f" (≤ {row.target / 1000:g} s)"
            lines.append(f"| {row.name} | {len(row.times)} | {row.median:.0f} | {row.p95:.0f} | {ratio} | {verdict} |")
        lines += [f"| **stopped by an error**: {e.replace('|', '/')} | | | | | |" for e in self.errors]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------- #
# Datasets


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = os.environ.copy()
    # This tree's ivc, also where another is installed (e.g. a copy of the tree benchmarked apart).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["IVC_DATA_DIR"] = str(data_dir)
    env.pop("IVC_DATABASE_URL", None)
    if database_url:
        env["IVC_DATABASE_URL"] = database_url
    return env


def _ivc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("ivc")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ivc.cli.main"]
    done = subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ivc {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def _prepare(env: dict[str, str], count: int) -> dict[str, Any]:
    """Cases ready to issue from (run in a process of its own, on the dataset's settings)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--prepare", str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(PREP_TAG)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"preparing cases failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return dict(json.loads(line.removeprefix(PREP_TAG)))


def prepare_cases(count: int) -> None:
    """``count`` cases of district 3 in identification, each with the demo's interview and one
    confirmed competence of its target (so the transparency document may be issued), made with the
    demo's own steps; then what the browser needs to know of the dataset, on one line."""
    import dataclasses

    from sqlmodel import col, func, select

    from ivc.auth.service import get_actor
    from ivc.case import service as cases
    from ivc.case.models import Case
    from ivc.claim import service as claims
    from ivc.database.core import session_scope
    from ivc.demo import script as demo
    from ivc.demo.population import load_population
    from ivc.document.models import IssuedDocument
    from ivc.experience.service import experiences_for_case
    from ivc.framework.models import Competence
    from ivc.person.models import Person

    population = [p for p in load_population() if p.experiences]
    batch = uuid.uuid4().hex[:3].upper()  # new names at every call: no "possibly already registered"
    people = []
    for i in range(count):
        base = population[i % len(population)]
        person = base.person.model_copy(
            update={
                "district": "3",
                "family_name": f"{base.person.family_name} Prova{i + 1}-{batch}",
                "codice_fiscale": None,
            }
        )
        people.append(
            dataclasses.replace(
                base, key=f"ui-bench-{i}", person=person, journey="in_identification", experiences=base.experiences[:1]
            )
        )
    run = demo.DemoRun(people)
    demo.round_intake(run)
    demo.round_access(run)
    demo.round_interviews(run)
    prepared = []
    for case_id in run.case_of.values():
        with session_scope() as session:
            case = cases.get_case(session, case_id)
            operator = get_actor(session, case.operator)
            competence = session.get(Competence, min(cases.target_competence_ids(session, case_id)))
            assert competence is not None
            experience_ids = [e.id or 0 for e in experiences_for_case(session, case_id)]
            claims.add_by_operator(session, case, competence, operator, experience_ids=experience_ids)
            holder = session.get(Person, case.person_id)
            prepared.append({"id": case_id, "name": holder.display_name if holder else "", "state": case.state})
    with session_scope() as session:
        district3: list[dict[str, Any]] = [
            {"id": c.id, "name": p.display_name, "state": c.state}
            for c, p in session.exec(
                select(Case, Person)
                .join(Person, col(Person.id) == col(Case.person_id))
                .where(Case.territory == "3", col(Case.id).not_in(list(run.case_of.values())))
                .order_by(col(Case.id))
            )
        ]
        docs = dict(
            session.exec(select(IssuedDocument.case_id, func.count()).group_by(col(IssuedDocument.case_id))).all()
        )
        codes = [
            {"code": d.verification_code, "number": d.number}
            for d in session.exec(select(IssuedDocument).order_by(col(IssuedDocument.id)).limit(2))
        ]
    full = max(district3, key=lambda c: (docs.get(c["id"], 0), -c["id"]))
    print(PREP_TAG + json.dumps({"prepared": prepared, "district3": district3, "full_case": full, "codes": codes}))


def _copy(conn: Any, table: str, columns: list[str], rows: Any) -> None:
    with conn.cursor().copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def bulk_cases(dsn: str, count: int, seed: int = 7) -> dict[str, Any]:
    """``count`` synthetic people and cases after the existing ones (COPY, as bench/queries.py):
    every state, the five districts, a target qualification of the repertory, the state's entry in
    the timeline, and the job-matching consent of everyone admitted (so they are CPI dossiers)."""
    import psycopg
    from psycopg.types.json import Jsonb

    rng = random.Random(seed)
    now = datetime.now(UTC)
    states = [
        "accoglienza",
        "individuazione",
        "trasparenza_rilasciata",
        "validazione",
        "validazione_rilasciata",
        "coda_certificazione",
        "esame",
        "chiuso",
    ]
    outcomes = [
        "certificazione_completa",
        "certificazione_parziale",
        "validazione_completa",
        "validazione_parziale",
        "solo_trasparenza",
        "ritirato",
        "non_ammesso",
    ]
    languages = [
        [{"code": "ar", "level": "native"}, {"code": "fr", "level": "B1"}, {"code": "it", "level": "A2"}],
        [{"code": "uk", "level": "native"}, {"code": "ru", "level": "C1"}, {"code": "it", "level": "A1"}],
        [{"code": "es", "level": "native"}, {"code": "it", "level": "B1"}],
        [{"code": "en", "level": "B2"}, {"code": "wo", "level": "native"}, {"code": "it", "level": "A2"}],
        [{"code": "bn", "level": "native"}, {"code": "en", "level": "B1"}, {"code": "it", "level": "none"}],
    ]
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        known_states = {r[0] for r in conn.execute('SELECT DISTINCT state FROM "case"')}
        if not known_states <= set(states):
            raise RuntimeError(f"states in the demo not known to the bulk loader: {known_states - set(states)}")
        first_person = int(conn.execute("SELECT coalesce(max(id), 0) FROM person").fetchone()[0]) + 1  # type: ignore[index]
        first_case = int(conn.execute('SELECT coalesce(max(id), 0) FROM "case"').fetchone()[0]) + 1  # type: ignore[index]
        framework = conn.execute('SELECT framework_id FROM "case" ORDER BY id LIMIT 1').fetchone()[0]  # type: ignore[index]
        qualifications = [
            r[0] for r in conn.execute("SELECT id FROM qualification WHERE framework_id = %s", (framework,))
        ]
        cases = []
        for i in range(count):
            state = rng.choice(states)
            entered = now - timedelta(minutes=rng.randrange(0, 500_000))
            district = str(i % 5 + 1)
            outcome = rng.choice(outcomes) if state == "chiuso" else None
            cases.append((first_case + i, first_person + i, district, state, entered, outcome))
        _copy(
            conn,
            "person",
            [
                "id", "given_name", "family_name", "gender", "citizenship", "languages", "italian_level",
                "referral_source", "preferred_language", "created_at", "created_by", "territory",
            ],
            (
                (
                    pid, f"Nome{pid}", f"Cognome{pid}", "FM"[pid % 2], ("TN", "UA", "PE", "SN", "BD")[pid % 5],
                    Jsonb(languages[pid % 5]), ("A1", "A2", "B1")[pid % 3], "cpi",
                    ("ar", "uk", "es", "en", "bn")[pid % 5], entered, f"operatore{d}", d,
                )
                for _cid, pid, d, _s, entered, _o in cases
            ),
        )  # fmt: skip
        _copy(
            conn,
            "case",
            [
                "id", "person_id", "framework_id", "state", "state_entered_at", "outcome", "operator",
                "interview_language", "activity", "version", "closed_at", "created_at", "created_by", "territory",
            ],
            (
                (
                    cid, pid, framework, s, entered, o, f"operatore{d}", ("ar", "uk", "es", "en", "bn")[pid % 5],
                    "waiting", 1, entered if s == "chiuso" else None, entered, f"operatore{d}", d,
                )
                for cid, pid, d, s, entered, o in cases
            ),
        )  # fmt: skip
        targets = [rng.choice(qualifications) for _ in cases]
        _copy(
            conn,
            "casetarget",
            ["case_id", "qualification_id", "added_at", "added_by"],
            (
                (cid, qual, entered, f"operatore{d}")
                for (cid, _p, d, _s, entered, _o), qual in zip(cases, targets, strict=True)
            ),
        )
        _copy(
            conn,
            "casestateentry",
            ["case_id", "state", "entered_at", "action", "actor"],
            ((cid, s, entered, None, f"operatore{d}") for cid, _p, d, s, entered, _o in cases),
        )
        # Competences claimed from the target's qualification (as identification leaves them), so a
        # dossier search or a match has real claims to read, not empty dossiers.
        by_qualification: dict[int, list[int]] = defaultdict(list)
        for comp_id, qual_id in conn.execute(
            "SELECT id, qualification_id FROM competence WHERE framework_id = %s", (framework,)
        ):
            by_qualification[qual_id].append(comp_id)
        claims = []
        for (cid, _p, d, s, entered, _o), qual in zip(cases, targets, strict=True):
            if s == "accoglienza" or not by_qualification[qual]:
                continue
            status = "suggested" if s == "individuazione" else rng.choice(("confirmed", "validated", "certified"))
            for comp_id in rng.sample(by_qualification[qual], min(4, len(by_qualification[qual]))):
                claims.append(
                    (cid, comp_id, framework, status, "nlp", Jsonb([]), Jsonb([]), entered, f"operatore{d}", d)
                )
        _copy(
            conn,
            "competenceclaim",
            [
                "case_id", "competence_id", "framework_id", "status", "source", "rationale", "experience_ids",
                "created_at", "created_by", "territory",
            ],
            claims,
        )  # fmt: skip
        admitted = [c for c in cases if c[3] != "accoglienza" and c[5] != "non_ammesso"]
        _copy(
            conn,
            "consentrecord",
            [
                "person_id", "purpose", "recipient", "language", "text_version", "given_at",
                "created_at", "created_by", "territory",
            ],
            (
                (pid, "job_matching", "cpi", "it", "1", entered, entered, f"operatore{d}", d)
                for _c, pid, d, _s, entered, _o in admitted
            ),
        )  # fmt: skip
        for table in ("person", "case", "casetarget", "casestateentry", "competenceclaim", "consentrecord"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
            )
        conn.commit()
        conn.execute("ANALYZE")
    return {"cases": count, "consented": len(admitted), "claims": len(claims), "seconds": time.perf_counter() - started}


# --------------------------------------------------------------------------------------------- #
# The server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], log: Path, notes: list[str]) -> Iterator[tuple[str, bool]]:
    """The web interface on a free port: (address, whether the session-cookie routes are there)."""
    candidates = [ROOT / "ivc" / "ui" / "server.py", ROOT / "ivc" / "ui" / "app.py"]
    for script in candidates:
        if not script.exists():
            notes.append(f"{script.relative_to(ROOT)} is missing")
            continue
        port = _free_port()
        out = log.open("ab")
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(script),
                "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                "--client.toolbarMode", "viewer",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            if _healthy(url, proc):
                cookie_routes = script.name == "server.py"
                if script.name != "server.py":
                    notes.append("served ivc/ui/app.py (server.py did not start): no session cookie")
                yield url, cookie_routes
                return
            notes.append(f"{script.relative_to(ROOT)} did not start (see {log})")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            out.close()
    raise RuntimeError("the web interface did not start: " + "; ".join(notes))


def _healthy(url: str, proc: subprocess.Popen[bytes]) -> bool:
    for _ in range(240):
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


# --------------------------------------------------------------------------------------------- #
# The browser


class PageError(RuntimeError):
    """The page showed Streamlit's error box instead of what was expected."""


class Driver:
    """One browser context (one user): timed presses, page loads and sign-in."""

    def __init__(self, browser: Any, url: str, cookies: bool, shots: Path) -> None:
        self.url = url
        self.cookies = cookies
        self.shots = shots
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="it-IT")
        self.context.add_init_script(INIT_JS)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.user: str | None = None

    def close(self) -> None:
        self.context.close()

    def shot(self, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def _wait(self, after: int, checks: list[dict[str, Any]], what: str) -> None:
        started = time.perf_counter()
        try:
            self.page.wait_for_function(READY_JS, arg=[after, checks], timeout=TIMEOUT_MS)
            if self.page.locator('[data-testid="stException"]').count():
                self.shot(f"error-{what.replace(' ', '-').replace('/', '-')[:60]}")
                raise PageError(
                    f"{what}: the page shows Streamlit's error box after {time.perf_counter() - started:.1f} s"
                )
        except PageError:
            raise
        except Exception as exc:
            self.shot(f"failed-{what.replace(' ', '-').replace('/', '-')[:60]}")
            seen: Any = "?"
            with contextlib.suppress(Exception):
                seen = self.page.evaluate(DIAGNOSE_JS, checks)
            raise RuntimeError(f"{what}: still waiting after {TIMEOUT_MS} ms (runs before: {after}): {seen}") from exc

    def press(self, action: Callable[[], None], checks: list[dict[str, Any]], what: str) -> float:
        """Run ``action`` (a click or key press); ms from the press until the app has finished its
        rerun and every check holds."""
        after = self.page.evaluate(
            "(() => { const s = window.__ivc; s.armed = true; s.input = null; return s.finished; })()"
        )
        started = time.perf_counter()
        action()
        self._wait(int(after), checks, what)
        elapsed = (time.perf_counter() - started) * 1000
        marks = self.page.evaluate("[window.__ivc.input, window.__ivc.met]")
        return float(marks[1] - marks[0]) if marks[0] is not None else elapsed

    def load(self, path: str, checks: list[dict[str, Any]], what: str) -> float | None:
        """Open ``path`` as a new page load; ms from the navigation's start until the first run has
        finished and every check holds (None when, without the session cookie, it had to sign in
        again)."""
        self.page.goto(self.url + path)
        if not self.cookies and self.user:
            self.settle()
            if self.page.get_by_label(T("signin.username")).is_visible():
                self.sign_in(path, self.user)
                self._wait(0, checks, what)
                return None
        self._wait(0, checks, what)
        return float(self.page.evaluate("window.__ivc.met"))

    def settle(self) -> None:
        self._wait(0, [], "settle")

    def sign_in(self, path: str, username: str) -> float:
        """Sign in through the form at ``path``; ms (wall clock) until the browser is back from the
        session route with the cookie and the signed-in page has finished its first run."""
        page = self.page
        self.context.clear_cookies()
        page.goto(self.url + path)
        self.settle()
        page.get_by_label(T("signin.username")).fill(username)
        page.get_by_role("textbox", name=T("signin.password")).fill(PASSWORD)
        page.evaluate("window.__ivcOld = true")  # the sign-in form's document, left for the route
        signed_in = check('[data-testid="stSidebar"]', T("app.signed_in_as"))
        started = time.perf_counter()
        page.get_by_role("button", name=T("signin.submit"), exact=True).click()
        if not self.cookies:
            self._wait(0, [signed_in], f"sign-in {username}")
        else:
            # 60 s for the session cookie, then as long as any page may take for the page it leads to.
            deadline, extended = time.monotonic() + 60, False
            ready = f"!window.__ivcOld && ({READY_JS})([0, {json.dumps([signed_in])}])"
            while True:
                with contextlib.suppress(Exception):  # the document changes under us
                    if page.evaluate(ready):
                        break
                cookie = any("ivc_session" in c["name"] for c in self.context.cookies())
                if cookie and not extended:
                    deadline, extended = time.monotonic() + TIMEOUT_MS / 1000, True
                if time.monotonic() > deadline:
                    self.shot(f"failed-sign-in-{username}")
                    raise RuntimeError(
                        f"signing in as {username} at {path}: the signed-in page is not there "
                        f"(session cookie {'set' if cookie else 'not set'})"
                    )
                time.sleep(0.01)
            if page.locator('[data-testid="stException"]').count():  # signed in; what follows reports it
                self.shot(f"error-sign-in-{username}")
        self.user = username
        return (time.perf_counter() - started) * 1000

    # Streamlit widgets, as a user works them -------------------------------------------------- #

    def options(self, label: str) -> Any:
        """Open the select box ``label``; its options (a click right after a rerun may not open
        it: then again, then with the keyboard)."""
        box = self.page.get_by_label(label, exact=True).first
        options = self.page.get_by_role("option")
        for attempt in range(4):
            if attempt < 2:
                box.click()
            else:
                box.focus()
                self.page.keyboard.press("ArrowDown")
            try:
                options.first.wait_for(timeout=5000)
                return options
            except Exception:
                self.page.keyboard.press("Escape")
        self.shot(f"failed-options-{label[:30]}")
        raise RuntimeError(f"the select box {label!r} does not open")

    def choose(self, label: str, option: str, checks: list[dict[str, Any]], what: str, *, typed: bool = False) -> float:
        """Pick ``option`` in the select box ``label`` (typing it, or clicking it in the list)."""
        self.options(label)
        if typed:
            self.page.keyboard.type(option)
            item = self.page.get_by_role("option", name=option, exact=True).first
            item.wait_for()
            return self.press(lambda: self.page.keyboard.press("Enter"), checks, what)
        item = self.page.get_by_role("option", name=option, exact=True).first
        item.wait_for()
        return self.press(item.click, checks, what)

    def sidebar(self, title: str, checks: list[dict[str, Any]], what: str) -> float:
        link = self.page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True)
        return self.press(link.click, checks, what)

    def tab(self, name: str, checks: list[dict[str, Any]], what: str) -> float:
        tab = self.page.get_by_role("tab", name=name, exact=True)
        return self.press(tab.click, [check('[role="tab"][aria-selected="true"]', name), *checks], what)

    def button(self, name: str, checks: list[dict[str, Any]], what: str) -> float:
        button = self.page.get_by_role("button", name=name, exact=True).first
        return self.press(button.click, checks, what)


# --------------------------------------------------------------------------------------------- #
# What a user does


def _repeat(res: Results, runs: int, once: Callable[[int], None]) -> None:
    """``once(i)`` ``runs`` times, or fewer once BUDGET_S is spent (never fewer than MIN_RUNS);
    stops at the first time the page shows an error, which is reported."""
    started = time.monotonic()
    for i in range(runs):
        try:
            once(i)
        except PageError as exc:
            res.errors.append(str(exc))
            return
        if i + 1 >= MIN_RUNS and time.monotonic() - started > BUDGET_S:
            break


def baseline(browser: Any, url: str, cookies: bool, res: Results, runs: int, shots: Path) -> None:
    """Streamlit's own round trip: the public verification page reruns in the other language."""
    d = Driver(browser, url, cookies, shots)
    try:
        d.load("/verifica", [check(HEADING, T("verify.title"))], "verify page")
        names = {"it": "Italiano", "en": "English"}
        for i in range(runs):
            lang = "en" if i % 2 == 0 else "it"
            ms = d.choose(
                "Lingua / Language",
                names[lang],
                [check(HEADING, T("verify.title", lang))],
                "baseline language",
            )
            res.add(RERUN, "baseline: public verification page, language selector (a trivial rerun)", ms)
    finally:
        d.close()


def public(browser: Any, url: str, cookies: bool, res: Results, runs: int, shots: Path, data: dict[str, Any]) -> None:
    d = Driver(browser, url, cookies, shots)
    try:
        _repeat(
            res,
            min(runs, 10),
            lambda i: res.add(
                LOAD,
                "baseline for page loads: public verification page (new page, `/verifica`)",
                d.load("/verifica", [check(HEADING, T("verify.title"))], "verify load"),
            ),
        )
        codes = data["codes"]

        def once(i: int) -> None:
            doc = codes[i % len(codes)]
            box = d.page.get_by_label(T("verify.code"), exact=True)
            box.fill(doc["code"])
            ms = d.press(lambda: box.press("Enter"), [check(HEADING, doc["number"]), check(ALERT)], "verify code")
            res.add("verify_code", "verification page: type a document's code, Enter (lookup + verdict)", ms)

        _repeat(res, runs, once)
    finally:
        d.close()


def operator(
    browser: Any, url: str, cookies: bool, res: Results, runs: int, shots: Path, data: dict[str, Any], sign_ins: int
) -> None:
    d = Driver(browser, url, cookies, shots)
    try:
        for _ in range(sign_ins):
            res.add(
                "sign_in", "sign in (form → `/ivc/session/start` → signed-in page)", d.sign_in("/casi", "operatore3")
            )
        list_ready = [
            check(HEADING, T("cases.title")),
            check(TABLE),
            check('[data-testid="stSelectbox"]', T("cases.open")),
        ]
        _repeat(
            res,
            min(runs, 10),
            lambda i: res.add(
                "cases_load", "Casi: page load (new page, address `/casi`)", d.load("/casi", list_ready, "cases load")
            ),
        )

        def via_sidebar(i: int) -> None:
            d.sidebar(T("app.pages.verify"), [check(HEADING, T("verify.title"))], "to verify")
            ms = d.sidebar(T("app.pages.cases"), list_ready, "cases sidebar")
            res.add("cases_nav", "Casi: open from the sidebar", ms)

        _repeat(res, runs, via_sidebar)

        # Opening a case from the picker: alternate between the district's cases.
        d.load("/casi", list_ready, "cases load")
        choices = data["district3"][:6]

        def pick(i: int) -> None:
            case = choices[i % len(choices)]
            ms = d.choose(
                T("cases.open"),
                f"{case['id']} — {case['name']}",
                [check(HEADING, f"Caso {case['id']} —"), check('[role="tab"]', T("case.tabs.overview"))],
                "open case",
                typed=True,
            )
            res.add("case_open", "Casi: open a case from the picker (overview tab)", ms)

        _repeat(res, runs, pick)

    finally:
        d.close()


def case_tabs(
    browser: Any, url: str, cookies: bool, res: Results, runs: int, shots: Path, data: dict[str, Any]
) -> None:
    """The case workspace's tabs, on the district's fullest case (documents, evidence, claims)."""
    d = Driver(browser, url, cookies, shots)
    try:
        d.sign_in("/casi", "operatore3")
        full = data["full_case"]
        d.load(f"/casi?case={full['id']}", [check(HEADING, f"Caso {full['id']} —")], "full case")
        tabs = [
            ("interview", [check('[data-testid="stSelectbox"]', T("interview.prompt_language"))]),
            ("evidence", []),
            ("mapping", []),
            ("documents", [check('[data-testid="stMarkdownContainer"]', T("documents.number_label"))]),
            ("participation", []),
            ("overview", [check('[data-testid="stMarkdownContainer"]', T("case.timeline"))]),
        ]
        started = time.monotonic()
        for i in range(runs):
            for key, more in tabs:
                label = T(f"case.tabs.{key}")
                ms = d.tab(label, [check('[role="tabpanel"] [data-testid="stElementContainer"]'), *more], f"tab {key}")
                res.add(f"tab_{key}", f"case workspace: tab “{label}” (case {full['id']}, {full['state']})", ms)
            if i + 1 >= MIN_RUNS and time.monotonic() - started > BUDGET_S * 2:
                break

    finally:
        d.close()


def interview_and_issue(browser: Any, url: str, cookies: bool, res: Results, shots: Path, data: dict[str, Any]) -> None:
    """A guided-interview answer (runs the NLP suggestions of the case inline), then the
    transparency document, on each prepared case: the first of each is reported apart (cold)."""
    d = Driver(browser, url, cookies, shots)
    try:
        d.sign_in("/casi", "operatore3")
        prepared = data["prepared"]
        for i, case in enumerate(prepared):
            cold = i == 0
            d.load(
                f"/casi?case={case['id']}&tab=interview",
                [
                    check('[role="tab"][aria-selected="true"]', T("case.tabs.interview")),
                    check('[data-testid="stForm"]'),
                ],
                "interview tab",
            )
            page = d.page
            page.get_by_label(T("interview.title"), exact=True).fill("Aiuto cuoco in una mensa")
            page.get_by_label(T("person.interview.your_words"), exact=True).fill(
                "Lavoravo nella cucina di una mensa: preparavo le verdure e pulivo il pesce."
            )
            page.get_by_label(T("person.interview.in_italian"), exact=True).fill(
                "Ho lavorato due anni come aiuto cuoco in una mensa aziendale: preparavo le verdure, pulivo "
                "il pesce, cucinavo i primi piatti e tenevo in ordine la cucina rispettando le norme igieniche."
            )
            ms = d.button(T("interview.save"), [check(ALERT, T("interview.saved"))], "interview save")
            if cold:
                res.add("interview_cold", "guided interview: Registra, first in the server process (cold NLP)", ms)
            else:
                res.add("interview", "guided interview: Registra (saves, runs the case's NLP suggestions)", ms)
            d.tab(T("case.tabs.documents"), [check('[role="tabpanel"] [data-testid="stElementContainer"]')], "docs tab")
            issue = T("documents.issue_transparency")
            ms = d.button(issue, [check(BUTTON, T("confirm.yes"))], "issue ask")
            res.add("issue_ask", f"Documenti: “{issue}” → confirmation box", ms)
            ms = d.button(
                T("confirm.yes"),
                [
                    check(CAPTION, T("documents.code")),
                    check('[data-testid="stImage"]'),
                    check(BUTTON, issue, absent=True),
                ],
                "issue confirm",
            )
            if cold:
                res.add("issue_cold", "Documenti: Conferma → document issued and shown, first in the process", ms, None)
            else:
                res.add(
                    "issue", "**Documenti: Conferma → transparency document issued and shown**", ms, ISSUE_TARGET_MS
                )
    finally:
        d.close()


def alfa(browser: Any, url: str, cookies: bool, res: Results, runs: int, shots: Path) -> None:
    d = Driver(browser, url, cookies, shots)
    try:
        d.sign_in("/coda", "alfa.revisore")
        queue_ready = [check(HEADING, T("queue.title")), check(f"{TABLE}, {ALERT}")]
        _repeat(
            res,
            min(runs, 10),
            lambda i: res.add(
                "queue_load",
                "Coda ALFA: page load (new page, address `/coda`)",
                d.load("/coda", queue_ready, "Coda ALFA page load"),
            ),
        )

        def via_sidebar(i: int) -> None:
            d.sidebar(T("app.pages.verify"), [check(HEADING, T("verify.title"))], "to verify")
            res.add(
                "queue_nav",
                "Coda ALFA: open from the sidebar",
                d.sidebar(T("app.pages.queue"), queue_ready, "Coda ALFA from the sidebar"),
            )

        _repeat(res, runs, via_sidebar)
        districts = DISTRICTS
        label = T("cases.filter_district")

        def by_district(i: int) -> None:
            ms = d.choose(label, districts[i % 5], queue_ready, "queue district")
            res.add("queue_district", "Coda ALFA: filter by district", ms)

        _repeat(res, runs, by_district)
        d.choose(label, T("cases.all"), queue_ready, "queue all")
        late = d.page.get_by_text(T("queue.only_late"), exact=True)

        def only_late(i: int) -> None:
            res.add("queue_late", "Coda ALFA: toggle “only late”", d.press(late.click, queue_ready, "queue late"))

        _repeat(res, runs if runs % 2 == 0 else runs + 1, only_late)  # an even number: ends where it began
        qualification = T("queue.qualification")

        def by_qualification(i: int) -> None:
            options = d.options(qualification)
            item = options.nth(1 + i % max(1, min(options.count() - 1, 8)))
            res.add("queue_qual", "Coda ALFA: filter by qualification", d.press(item.click, queue_ready, "queue q"))

        _repeat(res, runs, by_qualification)
        d.choose(qualification, T("cases.all"), queue_ready, "queue all")

        def open_case(i: int) -> None:
            d.load("/coda", queue_ready, "queue")  # nothing open: every pick opens a case
            options = d.options(T("cases.open"))
            item = options.nth(i % min(options.count(), 5))
            case_id = item.inner_text().split("—")[0].strip()
            ms = d.press(item.click, [check(HEADING, f"Caso {case_id} —"), check('[role="tab"]')], "queue open")
            res.add("queue_open", "Coda ALFA: open a case from the queue's picker", ms)

        _repeat(res, runs, open_case)
    finally:
        d.close()


def cpi(browser: Any, url: str, cookies: bool, res: Results, runs: int, shots: Path) -> None:
    d = Driver(browser, url, cookies, shots)
    try:
        d.sign_in("/fascicoli", "cpi.genova")
        ready = [check(HEADING, T("dossiers.title")), check(f"{TABLE}, {ALERT}")]
        _repeat(
            res,
            min(runs, 10),
            lambda i: res.add(
                "cpi_load",
                "Fascicoli CPI: page load (new page, the advisor's district)",
                d.load("/fascicoli", ready, "Fascicoli CPI page load"),
            ),
        )
        words = ["cucina", "saldatura", "pulizia", "magazzino", "assistenza", "muratura"]
        box = d.page.get_by_label(T("dossiers.skill"), exact=True)

        def search(i: int) -> None:
            box.fill(words[i % len(words)])
            ms = d.button(T("dossiers.search"), ready, "Fascicoli CPI search")
            res.add("cpi_search", "Fascicoli CPI: search by skill words (Cerca)", ms)

        _repeat(res, runs, search)
    finally:
        d.close()


def monitoring(browser: Any, url: str, cookies: bool, res: Results, runs: int, shots: Path) -> None:
    d = Driver(browser, url, cookies, shots)
    try:
        d.sign_in("/monitoraggio", "monitoraggio")
        ready = [check(HEADING, T("monitoring.title")), check('[data-testid="stMetric"]'), check(TABLE)]
        _repeat(
            res,
            min(runs, 10),
            lambda i: res.add(
                "mon_load",
                "Monitoraggio: page load (new page, address `/monitoraggio`)",
                d.load("/monitoraggio", ready, "Monitoraggio page load"),
            ),
        )

        def via_sidebar(i: int) -> None:
            d.sidebar(T("app.pages.verify"), [check(HEADING, T("verify.title"))], "to verify")
            ms = d.sidebar(T("app.pages.monitoring"), ready, "Monitoraggio from the sidebar")
            res.add("mon_nav", "Monitoraggio: open from the sidebar", ms)

        _repeat(res, runs, via_sidebar)
        districts = DISTRICTS

        def by_district(i: int) -> None:
            ms = d.choose(T("cases.filter_district"), districts[i % 5], ready, "Monitoraggio district filter")
            res.add("mon_district", "Monitoraggio: filter by district", ms)

        _repeat(res, runs, by_district)
    finally:
        d.close()


def drive(url: str, cookies: bool, res: Results, runs: int, data: dict[str, Any], shots: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        res.notes.append(f"Chromium {browser.version}")
        try:
            first = Driver(browser, url, cookies, shots)
            try:  # the first page of the server process imports the whole interface
                ms = first.load("/verifica", [check(HEADING, T("verify.title"))], "first load")
                res.add("first_load", "first page load after the server started (cold: imports)", ms, None)
            finally:
                first.close()
            half = max(MIN_RUNS, runs // 2)
            sections: list[tuple[str, Callable[[], None]]] = [
                ("baseline", lambda: baseline(browser, url, cookies, res, half, shots)),
                ("public", lambda: public(browser, url, cookies, res, runs, shots, data)),
                ("operator", lambda: operator(browser, url, cookies, res, runs, shots, data, max(3, runs // 4))),
                ("case tabs", lambda: case_tabs(browser, url, cookies, res, runs, shots, data)),
                ("interview and issue", lambda: interview_and_issue(browser, url, cookies, res, shots, data)),
                ("ALFA", lambda: alfa(browser, url, cookies, res, runs, shots)),
                ("CPI", lambda: cpi(browser, url, cookies, res, runs, shots)),
                ("monitoring", lambda: monitoring(browser, url, cookies, res, runs, shots)),
                ("baseline", lambda: baseline(browser, url, cookies, res, half, shots)),
            ]
            for name, section in sections:
                try:
                    section()
                except Exception as exc:  # one broken page does not hide the figures of the others
                    said = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
                    res.errors.append(f"{name}: {said}")
                    print(f"== {name} stopped: {exc}", file=sys.stderr, flush=True)
        finally:
            browser.close()


# --------------------------------------------------------------------------------------------- #


def _server_errors(log: Path) -> list[str]:
    """The distinct exceptions the server logged (their message, as the console printed it)."""
    import re

    if not log.exists():
        return []
    lines = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace")).splitlines()
    found: list[str] = []
    for i, line in enumerate(lines):
        if re.match(r"^[A-Za-z_.]*(Error|Exception): ", line) and "ArrowTypeError" not in line:
            joined = " ".join(x.strip() for x in lines[i : i + 2])  # the console wraps long messages
            message = re.sub(r"\(\w+(\.\w+)*\) ", "", joined)[:140]
            if not any(message[:60] == seen[:60] for seen in found):
                found.append(message)
    return found


def run_dataset(name: str, args: argparse.Namespace, database: str | None, bulk: int, work: Path) -> Results:
    import psycopg

    res = Results(name)
    data_dir = work / (database or "sqlite")
    url = f"{args.pg.replace('postgresql://', 'postgresql+psycopg://')}/{database}" if database else None
    if database:
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {database}")
    try:
        env = _env(data_dir, url)
        print(f"== {name}: ivc demo", file=sys.stderr, flush=True)
        started = time.perf_counter()
        _ivc(env, "demo")
        res.notes.append(f"demo built in {time.perf_counter() - started:.0f} s")
        data = _prepare(env, args.runs + 1)
        if database and bulk:
            print(f"== {name}: {bulk} synthetic cases", file=sys.stderr, flush=True)
            loaded = bulk_cases(f"{args.pg}/{database}", bulk)
            res.notes.append(
                f"{loaded['cases']:,} synthetic cases ({loaded['consented']:,} consented to job matching, "
                f"{loaded['claims']:,} claimed competences) "
                f"loaded in {loaded['seconds']:.0f} s"
            )
        print(f"== {name}: browser", file=sys.stderr, flush=True)
        log = work / f"streamlit-{database or 'sqlite'}.log"
        with streamlit_server(env, log, res.notes) as (address, cookies):
            drive(address, cookies, res, args.runs, data, work / "shots" / (database or "sqlite"))
        res.errors += [f"the server logged: {message}" for message in _server_errors(log)]
    finally:
        if database:
            with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--cases", type=int, default=100_000, help="synthetic cases on PostgreSQL")
    parser.add_argument("--runs", type=int, default=20, help="repetitions of each interaction")
    parser.add_argument("--quick", action="store_true", help="10,000 cases and 6 runs")
    parser.add_argument("--no-pg", action="store_true", help="the demo dataset only")
    parser.add_argument("--no-sqlite", action="store_true", help="the PostgreSQL dataset only")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, screenshots)")
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare is not None:
        sys.path.insert(0, str(ROOT))
        prepare_cases(args.prepare)
        return
    if args.quick:
        args.cases = min(args.cases, 10_000)
        args.runs = min(args.runs, 6)
    if not Path(CHROMIUM).exists():
        sys.exit("Debian's chromium is not installed (apt-get install -y chromium)")
    work = Path(tempfile.mkdtemp(prefix="ivc-bench-ui-"))
    print(f"work directory: {work}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    import streamlit

    results = []
    try:
        if not args.no_sqlite:
            results.append(run_dataset("demo, SQLite (24 people + prepared cases)", args, None, 0, work))
        if not args.no_pg:
            database = f"ivc_bench_ui_{uuid.uuid4().hex[:8]}"
            results.append(
                run_dataset(
                    f"PostgreSQL, demo + {args.cases:,} synthetic cases",
                    args,
                    database,
                    args.cases,
                    work,
                )
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    chromium = next((n for r in results for n in r.notes if n.startswith("Chromium")), "Chromium")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"Streamlit {streamlit.__version__}, {chromium} headless; load average at start "
        f"{load[0]:.1f}; {args.runs} runs per interaction unless fewer fitted in {BUDGET_S} s"
    )
    for res in results:
        print(res.table())


if __name__ == "__main__":
    main()
