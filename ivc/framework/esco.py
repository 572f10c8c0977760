"""Import the official ESCO CSV download (any set of languages) and the ivc slice, which uses
the same layout.

Files are recognised by name — ``skills_<lang>.csv``, ``occupations_<lang>.csv``,
``occupationSkillRelations.csv`` or ``occupationSkillRelations_<lang>.csv`` — and parsed by header
name, never by position. Every file is validated completely before anything is written; the whole
import is one transaction. A file already imported with the same content is skipped; different
content under the same version and language is refused (versions are immutable).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from ivc.errors import ValidationFailed
from ivc.framework.models import EscoConcept, EscoRelation, Framework, FrameworkLabel, ImportRecord
from ivc.text import fold

ESCO_CODE = "ESCO"
_URI = {
    "skill": re.compile(r"^http://data\.europa\.eu/esco/(skill|isced-f)/[A-Za-z0-9-]+$"),
    "occupation": re.compile(r"^http://data\.europa\.eu/esco/(occupation|isco)/[A-Za-z0-9-]+$"),
}
_FILE = re.compile(r"^(skills|occupations|occupationSkillRelations)(?:_([a-z]{2,3}))?\.csv$")
_REQUIRED = {
    "skills": ("conceptUri", "preferredLabel"),
    "occupations": ("conceptUri", "preferredLabel"),
    "relations": ("occupationUri", "relationType", "skillUri"),
}
_BATCH = 5000
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EscoFile:
    path: Path
    kind: str  # skills | occupations | relations
    lang: str  # "" for language-independent relation files


@dataclass
class ImportSummary:
    framework: Framework
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    concepts: int = 0
    labels: int = 0
    relations: int = 0


def discover(directory: Path) -> list[EscoFile]:
    """The ESCO files of a directory that ivc imports (others, e.g. ISCO groups, are ignored)."""
    if not directory.is_dir():
        raise ValidationFailed(f"{directory}: not a directory", file=str(directory))
    files = []
    for path in sorted(directory.iterdir()):
        m = _FILE.match(path.name)
        if not m:
            continue
        kind = {"occupationSkillRelations": "relations"}.get(m.group(1), m.group(1))
        lang = m.group(2) or ""
        if kind != "relations" and not lang:
            continue
        files.append(EscoFile(path, kind, lang))
    if not files:
        raise ValidationFailed(
            f"{directory}: no ESCO files (skills_<lang>.csv, occupations_<lang>.csv, occupationSkillRelations.csv)",
            file=str(directory),
        )
    # Concepts before relations, English first, so labels in other languages find their concepts.
    order = {"occupations": 0, "skills": 1, "relations": 2}
    return sorted(files, key=lambda f: (order[f.kind], f.lang != "en", f.lang))


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").splitlines() if v.strip()]


def _rows(file: EscoFile, data: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"{file.path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(file.path)
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    for column in _REQUIRED[file.kind]:
        if column not in header:
            raise ValidationFailed(
                f"{file.path.name}: missing column '{column}' (header: {', '.join(header)[:200]})",
                file=str(file.path),
                column=column,
            )
    try:
        for record in reader:
            if None in record:
                raise ValidationFailed(
                    f"{file.path.name}, row {reader.line_num}: more fields than columns",
                    file=str(file.path),
                    row=reader.line_num,
                )
            yield reader.line_num, {k: (v or "") for k, v in record.items()}
    except csv.Error as exc:
        raise ValidationFailed(
            f"{file.path.name}, row {reader.line_num}: malformed CSV ({exc})", file=str(file.path), row=reader.line_num
        ) from exc


def _bad(file: EscoFile, row: int, column: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{file.path.name}, row {row}, column '{column}': {message}", file=str(file.path), row=row, column=column
    )


@dataclass
class _Parsed:
    file: EscoFile
    sha256: str
    concepts: list[dict[str, object]] = field(default_factory=list)
    relations: list[dict[str, str | None]] = field(default_factory=list)


def parse(file: EscoFile) -> _Parsed:
    """Read and validate one file completely (no database)."""
    data = file.path.read_bytes()
    parsed = _Parsed(file, hashlib.sha256(data).hexdigest())
    csv.field_size_limit(50_000_000)
    seen: set[tuple[str, ...]] = set()
    for line, row in _rows(file, data):
        if file.kind == "relations":
            occ, skill, rel = row["occupationUri"].strip(), row["skillUri"].strip(), row["relationType"].strip()
            if not _URI["occupation"].match(occ):
                raise _bad(file, line, "occupationUri", f"not an ESCO occupation URI: {occ[:80]!r}")
            if not _URI["skill"].match(skill):
                raise _bad(file, line, "skillUri", f"not an ESCO skill URI: {skill[:80]!r}")
            if rel not in ("essential", "optional"):
                raise _bad(file, line, "relationType", f"must be 'essential' or 'optional', not {rel[:40]!r}")
            if (occ, skill) in seen:
                continue
            seen.add((occ, skill))
            parsed.relations.append(
                {
                    "occupation_uri": occ,
                    "skill_uri": skill,
                    "relation_type": rel,
                    "skill_type": row.get("skillType", "").strip() or None,
                }
            )
            continue
        concept_type = "skill" if file.kind == "skills" else "occupation"
        uri, label = row["conceptUri"].strip(), row["preferredLabel"].strip()
        if not _URI[concept_type].match(uri):
            raise _bad(file, line, "conceptUri", f"not an ESCO {concept_type} URI: {uri[:80]!r}")
        if not label:
            raise _bad(file, line, "preferredLabel", "empty")
        if (uri,) in seen:
            raise _bad(file, line, "conceptUri", f"{uri} appears twice")
        seen.add((uri,))
        parsed.concepts.append(
            {
                "uri": uri,
                "concept_type": concept_type,
                "label": label,
                "alt": _split(row.get("altLabels")),
                "hidden": _split(row.get("hiddenLabels")),
                "description": (row.get("description") or row.get("definition") or "").strip(),
                "skill_type": row.get("skillType", "").strip() or None,
                "reuse_level": row.get("reuseLevel", "").strip() or None,
                "isco_group": row.get("iscoGroup", "").strip() or None,
                "code": row.get("code", "").strip() or None,
                "status": row.get("status", "").strip() or None,
                "modified": row.get("modifiedDate", "").strip() or None,
            }
        )
    return parsed


def _framework(session: Session, version: str, source: str) -> Framework:
    framework = session.exec(select(Framework).where(Framework.code == ESCO_CODE, Framework.version == version)).first()
    if framework is None:
        framework = Framework(
            code=ESCO_CODE,
            version=version,
            kind="esco",
            publisher="European Commission",
            name={"en": f"ESCO {version}", "it": f"ESCO {version}"},
            languages=[],
            source=source,
            content_sha256="",
        )
        session.add(framework)
        session.flush()
    return framework


def _chunks(rows: list[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    for i in range(0, len(rows), _BATCH):
        yield rows[i : i + _BATCH]


def import_esco(
    session: Session, directory: Path, version: str, *, on_progress: Progress | None = None
) -> ImportSummary:
    """Import every ESCO file of ``directory`` as ESCO ``version``, in the caller's transaction."""
    files = discover(directory)
    parsed = []
    for f in files:
        if on_progress:
            on_progress(f"{f.path.name}: lettura", 0, 1)
        parsed.append(parse(f))  # everything is validated before the first write
    framework = _framework(session, version, str(directory))
    fw_id = framework.id or 0
    summary = ImportSummary(framework)
    done = {(r.kind, r.lang): r for r in session.exec(select(ImportRecord).where(ImportRecord.framework_id == fw_id))}
    for p in parsed:
        f = p.file
        previous = done.get((f.kind, f.lang))
        if previous is not None:
            if previous.sha256 != p.sha256:
                raise ValidationFailed(
                    f"{f.path.name}: ESCO {version} {f.kind} ({f.lang or 'all'}) is already imported with other "
                    "content; import it as a new version",
                    file=str(f.path),
                )
            summary.skipped.append(f.path.name)
            continue
        if f.kind == "relations":
            _write_relations(session, fw_id, p, summary, on_progress)
        else:
            _write_concepts(session, fw_id, p, summary, on_progress)
        session.add(
            ImportRecord(
                framework_id=fw_id,
                kind=f.kind,
                lang=f.lang,
                file_name=f.path.name,
                sha256=p.sha256,
                rows=len(p.concepts) + len(p.relations),
            )
        )
        summary.imported.append(f.path.name)
        if f.lang and f.lang not in framework.languages:
            framework.languages = sorted({*framework.languages, f.lang})
    framework.content_sha256 = (
        hashlib.sha256(
            "".join(
                sorted(r.sha256 for r in session.exec(select(ImportRecord).where(ImportRecord.framework_id == fw_id)))
            ).encode()
        ).hexdigest()
        if summary.imported
        else framework.content_sha256
    )
    session.add(framework)
    session.flush()
    return summary


def _write_concepts(
    session: Session, fw_id: int, p: _Parsed, summary: ImportSummary, on_progress: Progress | None
) -> None:
    lang = p.file.lang
    existing = dict(
        session.exec(select(EscoConcept.uri, EscoConcept.id).where(EscoConcept.framework_id == fw_id)).all()
    )
    new = [c for c in p.concepts if c["uri"] not in existing]
    for chunk in _chunks(
        [
            {
                "framework_id": fw_id,
                "uri": c["uri"],
                "concept_type": c["concept_type"],
                "skill_type": c["skill_type"],
                "reuse_level": c["reuse_level"],
                "isco_group": c["isco_group"],
                "code": c["code"],
                "status": c["status"],
                "modified": c["modified"],
                "descriptions": {lang: c["description"]} if c["description"] else {},
            }
            for c in new
        ]
    ):
        session.execute(insert(EscoConcept), chunk)
    # Concepts met before in another language only gain this language's description.
    described = [c for c in p.concepts if c["uri"] in existing and c["description"]]
    if described:
        current = dict(
            session.exec(
                select(EscoConcept.uri, EscoConcept.descriptions).where(EscoConcept.framework_id == fw_id)
            ).all()
        )
        for c in described:
            session.execute(
                update(EscoConcept)
                .where(col(EscoConcept.framework_id) == fw_id, col(EscoConcept.uri) == c["uri"])
                .values(descriptions={**current.get(str(c["uri"]), {}), lang: c["description"]})
            )
    summary.concepts += len(new)
    labels: list[dict[str, object]] = []
    for c in p.concepts:
        entity = str(c["concept_type"])
        seen: set[str] = set()
        for kind, values in (("preferred", [c["label"]]), ("alt", c["alt"]), ("hidden", c["hidden"])):
            for value in values:  # type: ignore[attr-defined]
                text = str(value)[:1000]
                if text in seen:
                    continue
                seen.add(text)
                labels.append(
                    {
                        "framework_id": fw_id,
                        "entity": entity,
                        "entity_key": c["uri"],
                        "lang": lang,
                        "kind": kind,
                        "text": text,
                        "folded": fold(text)[:1000],
                    }
                )
    total = len(labels)
    for i, chunk in enumerate(_chunks(labels)):
        session.execute(insert(FrameworkLabel), chunk)
        if on_progress:
            on_progress(p.file.path.name, min((i + 1) * _BATCH, total), total)
    summary.labels += total


def _write_relations(
    session: Session, fw_id: int, p: _Parsed, summary: ImportSummary, on_progress: Progress | None
) -> None:
    # Relation files of several languages repeat the same pairs: keep each pair once.
    existing = set(
        session.exec(
            select(EscoRelation.occupation_uri, EscoRelation.skill_uri).where(EscoRelation.framework_id == fw_id)
        ).all()
    )
    rows: list[dict[str, object]] = [
        {"framework_id": fw_id, **r} for r in p.relations if (r["occupation_uri"], r["skill_uri"]) not in existing
    ]
    total = len(rows)
    for i, chunk in enumerate(_chunks(rows)):
        session.execute(insert(EscoRelation), chunk)
        if on_progress:
            on_progress(p.file.path.name, min((i + 1) * _BATCH, total), total)
    summary.relations += total
