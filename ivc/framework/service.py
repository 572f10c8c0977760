"""Import repertory files into the database (idempotent, all or nothing) and query them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlmodel import Session, select

from ivc.errors import NotFound, ValidationFailed
from ivc.framework.models import Competence, Framework, Qualification
from ivc.framework.schema import FrameworkSpec, QualificationSpec


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
    no-op; different content under an existing version is refused (versions are immutable)."""
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
        for c in q.competences:
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
