"""Cold start of ``ivc suggest`` as a whole process, with learned phrasings in six languages.

    .venv/bin/python bench/nlp/coldstart.py [--runs 7] [--data-dir DIR | --demo]

A throw-away data directory is prepared (migrations, the shipped repertory and ESCO slice, the
index), then 60 learned phrasings are stored, 10 in each of it, en, fr, es, ar, uk, taken from the
demo population's own words and stored as accepting them stores them (lemmas computed then). A
copy of the directory without them is the second baseline. Each round runs, in turn,
``python -c pass``, ``ivc suggest --json`` on the copy without learned phrasings and the same on the
directory with them (an Italian text, as the demo's operators type); medians of wall time and of
CPU time (user + system) over the rounds, and ratios. The first call on a fresh directory (the
model files are unpacked once per user, see ivc/mapping/unpacked.py) and a call with a French
text (spaCy's French tokenizer exceptions) are reported apart. ``--data-dir`` measures a copy of
an existing data directory instead (the
demo's, with the phrasings its operators accepted), beside the same copy without them; ``--demo``
runs ``ivc demo`` into a throw-away directory first and measures that (its 60 learned phrasings).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("it", "en", "fr", "es", "ar", "uk")
TEXT_IT = "ho lavorato 4 anni come muratore a Tunisi, facevo intonaci e posavo piastrelle"
TEXT_FR = "j'ai travaillé quatre ans comme maçon à Tunis, je faisais les enduits et je posais le carrelage"
IVC = str(Path(sys.executable).with_name("ivc"))


def _texts_by_language() -> dict[str, list[str]]:
    population = yaml.safe_load((ROOT / "ivc" / "demo" / "population.yaml").read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "language" in node and "text_original" in node:
                out.setdefault(node["language"], []).append(node["text_original"])
                if node.get("text_it"):
                    out.setdefault("it", []).append(node["text_it"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(population)
    return out


def _timed(command: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, input=stdin, text=True, env=env, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _prepare(data_dir: Path, learned: bool) -> None:
    env = {**os.environ, "IVC_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    subprocess.run([IVC, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    if not learned:
        return
    script = f"""
import json, sys
from ivc.database.core import session_scope
from ivc.mapping.analysis import lemmas
from ivc.mapping.models import LearnedPhrase
texts = json.loads(sys.stdin.read())
with session_scope() as session:
    for lang in {LANGS!r}:
        words = " ".join(texts[lang]).split()
        for i in range(10):
            phrase = " ".join(words[i * 4 : i * 4 + 3])
            session.add(LearnedPhrase(concept_key="LIG-EDI-UC1", lang=lang, phrase=phrase,
                                      source=f"claim:{{lang}}{{i}}", created_by="bench",
                                      lemmas=lemmas(phrase, lang)))
"""
    import json

    subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(_texts_by_language()),
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="Measure a copy of this data directory (e.g. the demo's).")
    parser.add_argument("--demo", action="store_true", help="Run ivc demo first and measure its data directory.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ivc-coldstart-"))
    if args.demo:
        args.data_dir = work / "demo"
        demo_env = {**os.environ, "IVC_DATA_DIR": str(args.data_dir), "PREFECT_HOME": str(args.data_dir / "prefect")}
        subprocess.run([IVC, "demo"], env=demo_env, cwd=ROOT, check=True, capture_output=True)
    with_learned, without = work / "learned", work / "none"
    if args.data_dir:
        shutil.copytree(args.data_dir, with_learned, ignore=shutil.ignore_patterns("prefect", "evidence"))
    else:
        _prepare(with_learned, learned=True)
    suggest = [IVC, "suggest", "--json"]
    env_l = {**os.environ, "IVC_DATA_DIR": str(with_learned)}
    first = _timed(suggest, env_l, TEXT_IT)  # unpacks the model files into this data directory
    shutil.copytree(with_learned, without)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from ivc.database.core import session_scope; from sqlalchemy import text\n"
            "with session_scope() as s: s.execute(text('DELETE FROM learnedphrase'))",
        ],
        env={**os.environ, "IVC_DATA_DIR": str(without)},
        cwd=ROOT,
        check=True,
    )
    env_n = {**os.environ, "IVC_DATA_DIR": str(without)}
    _timed(suggest, env_n, TEXT_IT)
    rows: dict[str, list[tuple[float, float]]] = {"pass": [], "none": [], "learned": [], "fr": []}
    for _ in range(args.runs):
        rows["pass"].append(_timed([sys.executable, "-c", "pass"], dict(os.environ)))
        rows["none"].append(_timed(suggest, env_n, TEXT_IT))
        rows["learned"].append(_timed(suggest, env_l, TEXT_IT))
    for _ in range(max(3, args.runs // 2)):
        rows["fr"].append(_timed(suggest, env_l, TEXT_FR))
    learned_count = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ivc.database.core import session_scope; from sqlalchemy import text\n"
            "with session_scope() as s: print(*s.execute(text(\n"
            "    'SELECT count(*), count(DISTINCT lang) FROM learnedphrase WHERE active')).one())",
        ],
        env=env_l,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in rows.items()}
    load = os.getloadavg()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (load average {load:.1f} at the end: wall time above "
        f"CPU time means waiting for a core), Python {sys.version.split()[0]}; {args.runs} rounds; "
        f"{learned_count[0]} learned phrasings in {learned_count[1]} languages"
        + (
            " (the demo's)"
            if args.demo
            else f" (a copy of {args.data_dir})"
            if args.data_dir
            else " (from the demo population's words)"
        )
    )
    print("| whole process (median) | wall s | CPU s | × `python -c pass` | × no learned phrasings |")
    print("|---|---|---|---|---|")
    names = {
        "pass": "`python -c pass` (baseline)",
        "none": "`ivc suggest --json`, Italian text, no learned phrasings (baseline)",
        "learned": "`ivc suggest --json`, Italian text, with the learned phrasings",
        "fr": "same, French text (builds spaCy's French tokenizer)",
    }
    for key, name in names.items():
        wall, cpu = med[key]
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / med['pass'][0]:.0f}× | {wall / med['none'][0]:.2f}× |")
    print(
        f"| first call on a new data directory (model files are unpacked per user: already there) "
        f"| {first[0]:.2f} | {first[1]:.2f} | — | — |"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
