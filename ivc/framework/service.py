"""Import repertory files into the database (idempotent, all or nothing) and query them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from ivc.errors import NotFound, ValidationFailed
from ivc.framework.models import (
    Competence,
    EscoConcept,
    EscoRelation,
    Framework,
    FrameworkLabel,
    Qualification,
    text_in,
)
from ivc.framework.schema import FrameworkSpec, QualificationSpec
from ivc.text import fold


@dataclass(frozen=True)
class RepertoryBundle:
    framework: FrameworkSpec
    qualifications: list[QualificationSpec]
    sha256: str


def _load_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"{path}: cannot read YAML: {exc}", file=str(path)) from exc


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def content_digest(directory: Path) -> str | None:
    """The repertory's content hash from its files' bytes alone (as ``read_repertory`` computes
    it), without parsing them; None when the directory is not a repertory."""
    fw_path = directory / "framework.yaml"
    try:
        digest = hashlib.sha256(fw_path.read_bytes())
        for path in sorted((directory / "qualifications").glob("*.yaml")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def read_repertory(directory: Path) -> RepertoryBundle:
    """Read and validate a repertory directory; raises ``ValidationFailed`` naming the file."""
    fw_path = directory / "framework.yaml"
    if not fw_path.is_file():
        raise ValidationFailed(f"{directory}: no framework.yaml", file=str(fw_path))
    digest = hashlib.sha256()
    raw = _load_yaml(fw_path)
    digest.update(fw_path.read_bytes())
    try:
        framework = FrameworkSpec.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed(f"{fw_path}: {_describe(exc)}", file=str(fw_path)) from exc
    sectors = {s.code for s in framework.sectors}
    qualifications: list[QualificationSpec] = []
    codes: set[str] = set()
    for path in sorted((directory / "qualifications").glob("*.yaml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
        try:
            spec = QualificationSpec.model_validate(_load_yaml(path))
        except ValidationError as exc:
            raise ValidationFailed(f"{path}: {_describe(exc)}", file=str(path)) from exc
        if spec.sector and sectors and spec.sector not in sectors:
            raise ValidationFailed(f"{path}: sector {spec.sector} is not declared in framework.yaml", file=str(path))
        for comp in spec.competences:
            if comp.code in codes:
                raise ValidationFailed(f"{path}: competence code {comp.code} is used twice", file=str(path))
            codes.add(comp.code)
        if spec.code in codes:
            raise ValidationFailed(f"{path}: qualification code {spec.code} is used twice", file=str(path))
        codes.add(spec.code)
        qualifications.append(spec)
    if not qualifications:
        raise ValidationFailed(f"{directory}: no qualifications/*.yaml", file=str(directory))
    return RepertoryBundle(framework, qualifications, digest.hexdigest())


def import_repertory(session: Session, directory: Path) -> tuple[Framework, bool]:
    """Import a repertory version. Returns (framework, created). Re-importing the same content is a
    no-op (recognised from the files' bytes, without parsing them: every process start calls this);
    different content under an existing version is refused (versions are immutable)."""
    sha = content_digest(directory)
    if sha is not None:
        same = session.exec(
            select(Framework).where(Framework.kind == "repertory", Framework.content_sha256 == sha)
        ).first()
        if same is not None:
            return same, False
    bundle = read_repertory(directory)
    spec = bundle.framework
    existing = session.exec(
        select(Framework).where(Framework.code == spec.code, Framework.version == spec.version)
    ).first()
    if existing is not None:
        if existing.content_sha256 != bundle.sha256:
            raise ValidationFailed(
                f"framework {spec.code} version {spec.version} is already imported with different "
                "content; give the new content a new version",
                file=str(directory),
            )
        return existing, False
    framework = Framework(
        code=spec.code,
        version=spec.version,
        name=spec.name,
        publisher=spec.publisher,
        kind="repertory",
        languages=spec.languages,
        source=spec.source,
        valid_from=spec.valid_from,
        valid_to=spec.valid_to,
        content_sha256=bundle.sha256,
        meta={
            "esco_version": spec.esco_version,
            "sectors": [s.model_dump() for s in spec.sectors],
        },
    )
    session.add(framework)
    session.flush()
    assert framework.id is not None
    for q in bundle.qualifications:
        qual = Qualification(
            framework_id=framework.id,
            code=q.code,
            title=q.title,
            description=q.description,
            eqf_level=q.eqf_level,
            sector=q.sector,
            ada=q.ada,
            cp_istat=q.cp_istat,
            ateco=q.ateco,
            esco_occupations=q.esco_occupations,
            regulated_profession=q.regulated_profession,
            min_training_hours=q.min_training_hours,
        )
        session.add(qual)
        session.flush()
        assert qual.id is not None
        _labels(session, framework.id, "qualification", q.code, q.title, {})
        for c in q.competences:
            _labels(session, framework.id, "competence", c.code, c.title, c.keywords)
            session.add(
                Competence(
                    framework_id=framework.id,
                    qualification_id=qual.id,
                    code=c.code,
                    title=c.title,
                    description=c.description,
                    performance_indicators=c.performance_indicators,
                    abilities=c.abilities,
                    knowledge=c.knowledge,
                    ada=c.ada,
                    esco_skills=c.esco_skills,
                    keywords=c.keywords,
                )
            )
    session.flush()
    return framework, True


def _labels(
    session: Session, framework_id: int, entity: str, key: str, titles: dict[str, str], hidden: dict[str, list[str]]
) -> None:
    """Index a concept's titles (preferred) and colloquial phrasings (hidden) for search."""
    rows = [("preferred", lang, text) for lang, text in titles.items()]
    rows += [("hidden", lang, text) for lang, texts in hidden.items() for text in texts]
    for kind, lang, text in rows:
        session.add(
            FrameworkLabel(
                framework_id=framework_id,
                entity=entity,
                entity_key=key,
                lang=lang,
                kind=kind,
                text=text[:1000],
                folded=fold(text)[:1000],
            )
        )


def latest_framework(session: Session, code: str) -> Framework:
    rows = session.exec(select(Framework).where(Framework.code == code)).all()
    if not rows:
        raise NotFound(f"no framework {code!r} imported", entity="framework", key=code)
    return max(rows, key=lambda f: (f.imported_at, f.id or 0))


def find_qualification(session: Session, code: str, framework_id: int | None = None) -> Qualification:
    """The qualification with this code, in the given framework version or the newest one."""
    stmt = select(Qualification).where(Qualification.code == code)
    if framework_id is not None:
        stmt = stmt.where(Qualification.framework_id == framework_id)
    rows = session.exec(stmt.order_by(Qualification.id.desc())).all()  # type: ignore[union-attr]
    if not rows:
        raise NotFound(f"no qualification {code!r}", entity="qualification", key=code)
    return rows[0]


def competences_of(session: Session, qualification_id: int) -> list[Competence]:
    return list(
        session.exec(
            select(Competence).where(Competence.qualification_id == qualification_id).order_by(Competence.code)
        )
    )


@dataclass(frozen=True)
class FrameworkRow:
    code: str
    version: str
    kind: str
    languages: list[str]
    entries: int
    imported_at: datetime


def framework_overview(session: Session) -> list[FrameworkRow]:
    counts = dict(
        session.exec(select(FrameworkLabel.framework_id, func.count()).group_by(col(FrameworkLabel.framework_id))).all()
    )
    return [
        FrameworkRow(f.code, f.version, f.kind, f.languages, int(counts.get(f.id or 0, 0)), f.imported_at)
        for f in session.exec(select(Framework).order_by(col(Framework.code), col(Framework.imported_at))).all()
    ]


def _texts(items: list[dict[str, str]], lang: str) -> list[str]:
    return [text_in(item, lang) for item in items]


def describe(session: Session, code: str, lang: str = "it") -> dict[str, Any]:
    """Everything known about a qualification, competence or ESCO concept, for display."""
    qual = session.exec(
        select(Qualification).where(Qualification.code == code).order_by(col(Qualification.id).desc())
    ).first()
    if qual is not None:
        fw = session.get(Framework, qual.framework_id)
        comps = competences_of(session, qual.id or 0)
        return {
            "kind": "qualification",
            "title": f"{qual.code} — {text_in(qual.title, lang)}",
            "framework": f"{fw.code} {fw.version}" if fw else "",
            "fields": {
                "EQF": qual.eqf_level,
                "description": text_in(qual.description, lang),
                "ADA": ", ".join(qual.ada),
                "CP ISTAT": ", ".join(qual.cp_istat),
                "ATECO": ", ".join(qual.ateco),
                "regulated": "yes" if qual.regulated_profession else "",
            },
            "lists": {
                "competences": [f"{c.code} {text_in(c.title, lang)}" for c in comps],
                "ESCO occupations": qual.esco_occupations,
            },
        }
    comp = session.exec(select(Competence).where(Competence.code == code).order_by(col(Competence.id).desc())).first()
    if comp is not None:
        fw = session.get(Framework, comp.framework_id)
        return {
            "kind": "competence",
            "title": f"{comp.code} — {text_in(comp.title, lang)}",
            "framework": f"{fw.code} {fw.version}" if fw else "",
            "fields": {"description": text_in(comp.description, lang), "ADA": ", ".join(comp.ada)},
            "lists": {
                "performance indicators": _texts(comp.performance_indicators, lang),
                "abilities": _texts(comp.abilities, lang),
                "knowledge": _texts(comp.knowledge, lang),
                "ESCO skills": comp.esco_skills,
            },
        }
    concept = session.exec(
        select(EscoConcept).where(EscoConcept.uri == code).order_by(col(EscoConcept.id).desc())
    ).first()
    if concept is not None:
        fw = session.get(Framework, concept.framework_id)
        labels = session.exec(
            select(FrameworkLabel).where(
                FrameworkLabel.framework_id == concept.framework_id, FrameworkLabel.entity_key == code
            )
        ).all()
        relations = session.exec(
            select(EscoRelation).where(
                EscoRelation.framework_id == concept.framework_id,
                (col(EscoRelation.occupation_uri) == code) | (col(EscoRelation.skill_uri) == code),
            )
        ).all()
        preferred = {lb.lang: lb.text for lb in labels if lb.kind == "preferred"}
        return {
            "kind": f"ESCO {concept.concept_type}",
            "title": preferred.get(lang) or preferred.get("en") or next(iter(preferred.values()), code),
            "framework": f"{fw.code} {fw.version}" if fw else "",
            "fields": {
                "URI": concept.uri,
                "ISCO": concept.isco_group,
                "type": concept.skill_type,
                "description": text_in(concept.descriptions, lang, "en") if concept.descriptions else "",
            },
            "lists": {
                "labels": [f"[{lb.lang}] {lb.text} ({lb.kind})" for lb in labels],
                "relations": [
                    f"{r.relation_type}: {r.skill_uri if r.occupation_uri == code else r.occupation_uri}"
                    for r in relations
                ][:50],
            },
        }
    raise NotFound(f"no qualification, competence or ESCO concept {code!r}", entity="framework", key=code)
