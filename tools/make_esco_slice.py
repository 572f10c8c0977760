"""Cut the ESCO slice shipped in ``frameworks/esco-slice/`` from the official ESCO CSV download.

The slice holds the occupations the regional repertory links to, every skill those occupations
relate to (essential or optional) plus every skill the repertory links to, and the relations
between them — rows copied byte-for-byte in meaning from the official English files, in the
official layout, so the same importer reads the slice and a full download.

    python tools/make_esco_slice.py ../shared/esco/v1.1.1 frameworks/esco-slice
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import yaml


def main(official: Path, out: Path, repertory: Path) -> None:
    skills_linked: set[str] = set()
    occupations: set[str] = set()
    for path in sorted((repertory / "qualifications").glob("*.yaml")):
        q = yaml.safe_load(path.read_text(encoding="utf-8"))
        occupations.update(q.get("esco_occupations", []))
        for c in q["competences"]:
            skills_linked.update(c.get("esco_skills", []))
    csv.field_size_limit(10_000_000)
    with (official / "occupationSkillRelations.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rel_fields = reader.fieldnames or []
        relations = [r for r in reader if r["occupationUri"] in occupations]
    skills = skills_linked | {r["skillUri"] for r in relations}
    out.mkdir(parents=True, exist_ok=True)
    for name, keep in (("skills_en.csv", skills), ("occupations_en.csv", occupations)):
        with (official / name).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = [r for r in reader if r["conceptUri"] in keep]
            fields = reader.fieldnames or []
        with (out / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, quoting=csv.QUOTE_MINIMAL)
            writer.writeheader()
            writer.writerows(sorted(rows, key=lambda r: r["conceptUri"]))
        print(f"{name}: {len(rows)} rows")
    with (out / "occupationSkillRelations.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=rel_fields)
        writer.writeheader()
        writer.writerows(sorted(relations, key=lambda r: (r["occupationUri"], r["skillUri"])))
    print(f"occupationSkillRelations.csv: {len(relations)} rows; repertory-linked skills: {len(skills_linked)}")


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    main(Path(sys.argv[1]), Path(sys.argv[2]), root / "frameworks" / "repertorio-liguria")
