"""The shipped repertory: valid, complete, importable once per version, immutable."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ivc.config import get_settings
from ivc.errors import ValidationFailed
from ivc.framework.models import Competence, Framework, Qualification
from ivc.framework.service import import_repertory, read_repertory

SHARED_ESCO = Path(__file__).resolve().parents[2] / "shared" / "esco" / "v1.1.1"
REPERTORY = get_settings().frameworks_dir / "repertorio-liguria"


def test_the_shipped_repertory_validates_against_the_schema() -> None:
    bundle = read_repertory(REPERTORY)
    assert len(bundle.qualifications) >= 15
    for q in bundle.qualifications:
        assert 1 <= q.eqf_level <= 8
        assert q.competences, q.code
        for c in q.competences:
            assert c.code.startswith(q.code), c.code
            assert c.title.get("it") and c.title.get("en"), c.code


@pytest.mark.skipif(not SHARED_ESCO.is_dir(), reason="official ESCO files not beside the repo")
def test_every_esco_link_of_the_repertory_resolves_in_official_esco() -> None:
    def uris(name: str) -> set[str]:
        with (SHARED_ESCO / name).open(encoding="utf-8", newline="") as fh:
            return {row["conceptUri"] for row in csv.DictReader(fh)}

    skills, occupations = uris("skills_en.csv"), uris("occupations_en.csv")
    bundle = read_repertory(REPERTORY)
    for q in bundle.qualifications:
        assert set(q.esco_occupations) <= occupations, q.code
        for c in q.competences:
            assert set(c.esco_skills) <= skills, c.code


def test_reimporting_the_same_version_changes_nothing(session: Session) -> None:
    before = len(session.exec(select(Competence)).all())
    framework, created = import_repertory(session, REPERTORY)
    assert not created
    assert len(session.exec(select(Competence)).all()) == before
    assert session.exec(select(Framework).where(Framework.code == framework.code)).all() == [framework]


def test_changed_content_under_an_existing_version_is_refused(session: Session, tmp_path: Path) -> None:
    copy = tmp_path / "rep"
    shutil.copytree(REPERTORY, copy)
    target = next((copy / "qualifications").glob("*.yaml"))
    target.write_text(target.read_text(encoding="utf-8").replace("eqf_level: 3", "eqf_level: 4", 1), encoding="utf-8")
    with pytest.raises(ValidationFailed, match="new version"):
        import_repertory(session, copy)


def test_a_malformed_qualification_is_rejected_naming_the_file_and_nothing_is_imported(
    session: Session, tmp_path: Path
) -> None:
    copy = tmp_path / "rep"
    shutil.copytree(REPERTORY, copy)
    fw = (copy / "framework.yaml").read_text(encoding="utf-8")
    (copy / "framework.yaml").write_text(fw.replace('version: "2024.1"', 'version: "9.9"'), encoding="utf-8")
    (copy / "qualifications" / "LIG-ZZZ.yaml").write_text(
        "code: LIG-ZZZ\ntitle: {en: only english}\n", encoding="utf-8"
    )
    with pytest.raises(ValidationFailed) as err:
        import_repertory(session, copy)
    assert "LIG-ZZZ.yaml" in str(err.value)
    assert session.exec(select(Framework).where(Framework.version == "9.9")).first() is None


def test_a_case_keeps_the_version_it_cites_when_a_new_one_is_imported(session: Session, tmp_path: Path) -> None:
    from .helpers import new_case, staff

    actors = staff(session)
    case = new_case(session, actors)
    v1 = case.framework_id
    copy = tmp_path / "rep"
    shutil.copytree(REPERTORY, copy)
    fw = (copy / "framework.yaml").read_text(encoding="utf-8")
    (copy / "framework.yaml").write_text(fw.replace('version: "2024.1"', 'version: "2025.1"'), encoding="utf-8")
    cuc = copy / "qualifications" / "LIG-CUC.yaml"
    cuc.write_text(cuc.read_text(encoding="utf-8").replace("eqf_level: 3", "eqf_level: 4", 1), encoding="utf-8")
    v2, created = import_repertory(session, copy)
    assert created and v2.id != v1
    from ivc.case import service as cases

    targets = cases.target_qualifications(session, case.id or 0)
    assert [q.framework_id for q in targets] == [v1]
    assert targets[0].eqf_level == 3
    new_cuc = session.exec(
        select(Qualification).where(Qualification.framework_id == v2.id, Qualification.code == "LIG-CUC")
    ).one()
    assert new_cuc.eqf_level == 4
