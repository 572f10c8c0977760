"""ESCO importer on files in the official layout: several languages, idempotent, immutable
versions, malformed files rejected with file/row/column and nothing half-imported; search."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from ivc.errors import ValidationFailed
from ivc.framework.esco import import_esco
from ivc.framework.models import EscoConcept, EscoRelation, Framework, FrameworkLabel, ImportRecord
from ivc.framework.search import search

FIXTURES = Path(__file__).parent / "fixtures" / "esco"
WELDING = "http://data.europa.eu/esco/skill/530cb489-d900-46ab-9350-4d50ccd49eea"
WELDER = "http://data.europa.eu/esco/occupation/7aedaa07-3884-4c5b-88f9-80997b2aa54b"


def _count(session: Session, model: type, fw_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(model.framework_id == fw_id)).one())  # type: ignore[attr-defined]


def test_official_layout_in_several_languages_is_imported(session: Session) -> None:
    summary = import_esco(session, FIXTURES, "vtest")
    fw_id = summary.framework.id or 0
    assert summary.framework.languages == ["ar", "en", "fr", "it"]
    assert _count(session, EscoConcept, fw_id) == 11
    assert _count(session, EscoRelation, fw_id) == 9
    labels = session.exec(
        select(FrameworkLabel).where(FrameworkLabel.entity_key == WELDING, FrameworkLabel.framework_id == fw_id)
    ).all()
    assert {(lb.lang, lb.kind) for lb in labels} >= {
        ("en", "preferred"),
        ("it", "preferred"),
        ("ar", "preferred"),
        ("it", "alt"),
        ("en", "alt"),
    }
    welder = session.exec(select(EscoConcept).where(EscoConcept.uri == WELDER, EscoConcept.framework_id == fw_id)).one()
    assert welder.isco_group == "7212" and welder.descriptions.get("en")
    assert (
        session.exec(
            select(FrameworkLabel.text).where(
                FrameworkLabel.entity_key == WELDER,
                FrameworkLabel.framework_id == fw_id,
                FrameworkLabel.lang == "fr",
                FrameworkLabel.kind == "preferred",
            )
        ).one()
        == "soudeur/soudeuse"
    )


def test_reimport_is_idempotent(session: Session) -> None:
    first = import_esco(session, FIXTURES, "vtest")
    counts = [_count(session, m, first.framework.id or 0) for m in (EscoConcept, EscoRelation, FrameworkLabel)]
    again = import_esco(session, FIXTURES, "vtest")
    assert again.imported == [] and len(again.skipped) == 6
    assert [_count(session, m, first.framework.id or 0) for m in (EscoConcept, EscoRelation, FrameworkLabel)] == counts


def test_a_new_language_is_added_to_an_imported_version(session: Session, tmp_path: Path) -> None:
    partial = tmp_path / "esco"
    partial.mkdir()
    for name in ("skills_en.csv", "occupations_en.csv", "occupationSkillRelations.csv"):
        shutil.copy(FIXTURES / name, partial / name)
    import_esco(session, partial, "vtest")
    shutil.copy(FIXTURES / "skills_it.csv", partial / "skills_it.csv")
    summary = import_esco(session, partial, "vtest")
    assert summary.imported == ["skills_it.csv"] and summary.concepts == 0
    assert WELDING in [h.key for h in search(session, "tecniche di saldatura", framework="ESCO")]


def test_changed_content_under_the_same_version_is_refused(session: Session, tmp_path: Path) -> None:
    import_esco(session, FIXTURES, "vtest")
    changed = tmp_path / "esco"
    shutil.copytree(FIXTURES, changed)
    path = changed / "skills_en.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("welding techniques", "welding methods"), encoding="utf-8")
    with pytest.raises(ValidationFailed, match="new version"):
        import_esco(session, changed, "vtest")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t.replace("preferredLabel", "prefLabel", 1), "missing column 'preferredLabel'"),
        (
            lambda t: t.replace("http://data.europa.eu/esco/skill/530cb489", "htp://bad/530cb489", 1),
            "column 'conceptUri'",
        ),
        (lambda t: t + 'KnowledgeSkillCompetence,"unterminated\n', "row"),
    ],
    ids=["missing column", "bad uri", "broken quoting"],
)
def test_a_malformed_file_is_rejected_naming_file_row_and_column_and_nothing_is_imported(
    session: Session, tmp_path: Path, mutate: object, expected: str
) -> None:
    broken = tmp_path / "esco"
    shutil.copytree(FIXTURES, broken)
    path = broken / "skills_en.csv"
    path.write_text(mutate(path.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(ValidationFailed) as err:
        import_esco(session, broken, "vbroken")
    assert "skills_en.csv" in str(err.value) and expected in str(err.value)
    session.rollback()
    assert session.exec(select(Framework).where(Framework.version == "vbroken")).first() is None
    assert session.exec(select(ImportRecord).join(Framework).where(col(Framework.version) == "vbroken")).first() is None


def test_a_bad_relation_type_names_its_row(session: Session, tmp_path: Path) -> None:
    broken = tmp_path / "esco"
    shutil.copytree(FIXTURES, broken)
    path = broken / "occupationSkillRelations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("essential", "mandatory")
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"occupationSkillRelations.csv, row 4, column 'relationType'"):
        import_esco(session, broken, "vbroken")


def test_search_is_accent_and_case_insensitive_in_every_loaded_language(session: Session) -> None:
    import_esco(session, FIXTURES, "vtest")
    # The shipped slice has labels in these languages too: look among the first hits.
    assert "standard di qualità" in [h.label for h in search(session, "STANDARD DI QUALITA", lang="it")]
    assert WELDER in [h.key for h in search(session, "Soudeur", framework="ESCO")[:3]]
    assert WELDING in [h.key for h in search(session, "تقنيات اللحام", framework="ESCO")[:3]]
    hit = search(session, WELDER)[0]
    assert hit.entity == "occupation" and hit.label in ("welder", "soudeur/soudeuse", "saldatore/saldatrice")
    # The shipped repertory is searchable the same way, by code and by words.
    assert search(session, "LIG-CUC")[0].key == "LIG-CUC"
    assert any(h.key.startswith("LIG-SLD") for h in search(session, "saldatura", framework="RL"))
    assert search(session, "   ") == [] and search(session, "%_%") == []


def test_the_shipped_slice_resolves_every_esco_link_of_the_repertory(session: Session) -> None:
    from ivc.framework.models import Competence, Qualification

    slice_fw = session.exec(
        select(Framework).where(Framework.code == "ESCO", Framework.version == "v1.1.1-slice")
    ).one()
    uris = set(session.exec(select(EscoConcept.uri).where(EscoConcept.framework_id == slice_fw.id)).all())
    for comp in session.exec(select(Competence)).all():
        assert set(comp.esco_skills) <= uris, comp.code
    for qual in session.exec(select(Qualification)).all():
        assert set(qual.esco_occupations) <= uris, qual.code
