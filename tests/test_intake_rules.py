"""Intake refuses bad data and warns of duplicates: ISO countries and languages (with pickers in
Italian and English), no default gender, and a second registration of the same person held back
until the operator confirms it is someone else."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from ivc.audit.models import AuditEvent
from ivc.errors import DomainError, ValidationFailed
from ivc.experience.service import ExperienceIn
from ivc.i18n import catalog, t
from ivc.person import iso
from ivc.person.iso import InputRefused, countries, country_code, language_code, languages
from ivc.person.models import Person
from ivc.person.service import PersonIn, likely_duplicates, normalised_name, register_person

from .helpers import person_in, staff

# ------------------------------------------------------------------------------ countries


def test_countries_are_iso_3166_alpha_2_in_canonical_case() -> None:
    assert country_code("tn") == "TN" and country_code(" UA ") == "UA"
    assert country_code("xk") == "XK"  # Kosovo: the code the EU and Italian offices use
    for bad in ("XX", "T1", "TUN", "", "Tunisia", "zz"):
        with pytest.raises(InputRefused) as caught:
            country_code(bad, "citizenship")
        assert caught.value.code == "unknown_country"
        assert caught.value.params == {"field": "citizenship", "value": bad.strip()}
        assert repr(bad.strip()) in str(caught.value)  # the message names the value


def test_a_refusal_is_a_validation_failure_and_a_value_error() -> None:
    refused = InputRefused("x", code="unknown_country", value="XX")
    assert isinstance(refused, ValidationFailed) and isinstance(refused, ValueError)


def test_country_pickers_are_named_in_italian_and_english_and_sorted_by_name() -> None:
    it, en = dict(countries("it")), dict(countries("en"))
    assert it["DE"] == "Germania" and en["DE"] == "Germany"
    assert it["TN"] == "Tunisia" and it["KR"] == "Corea del Sud" and en["BO"] == "Bolivia"
    assert it["XK"] == "Kosovo" and "XX" not in it and "T1" not in it
    names = [iso._fold(name) for _, name in countries("it")]
    assert names == sorted(names)
    assert len(it) == len(en) >= 249
    assert all(country_code(code) == code for code in it)  # every offered code is accepted


# ------------------------------------------------------------------------------ languages


def test_languages_are_iso_639_with_one_code_per_language() -> None:
    assert language_code("AR") == "ar"
    assert language_code("ara") == "ar" and language_code("tir") == "ti" and language_code("fre") == "fr"
    assert language_code("ti") == "ti"
    assert language_code("bci") == "bci" and language_code("mnk") == "mnk"  # 639-3 only: Baoulé, Mandinka
    assert language_code("pt-br") == "pt-BR" and language_code("sr_latn") == "sr-Latn"
    for bad in ("xx", "qqq", "und", "pt-XX", "", "a1", "العربية"):
        with pytest.raises(InputRefused) as caught:
            language_code(bad)
        assert caught.value.code == "unknown_language" and caught.value.params["value"] == bad.strip()


def test_a_language_name_is_refused_with_the_code_it_names() -> None:
    with pytest.raises(InputRefused) as caught:
        language_code("arabo", "languages")
    assert caught.value.code == "unknown_language"
    assert caught.value.params == {"field": "languages", "value": "arabo", "suggestion": "ar"}
    assert "'arabo'" in str(caught.value) and "'ar'" in str(caught.value)
    with pytest.raises(InputRefused) as caught:
        language_code("Tigrinya")
    assert caught.value.params["suggestion"] == "ti"


def test_language_pickers_are_named_in_italian_and_english_and_sorted_by_name() -> None:
    it, en = dict(languages("it")), dict(languages("en"))
    assert it["ar"] == "Arabo" and en["ar"] == "Arabic"
    assert it["it"] == "Italiano" and en["uk"] == "Ukrainian"
    assert "ti" in it and "tir" not in it  # under its two-letter code only
    assert "bci" in it and "wo" in it and "und" not in it
    names = [iso._sort_key(pair)[0] for pair in languages("en")]
    assert names == sorted(names)
    sample = list(it)[::97]
    assert all(language_code(code) == code for code in sample)  # offered codes are accepted as they are


# ------------------------------------------------------------------------------ the intake form


def _errors(exc: ValidationError) -> list[tuple[tuple[Any, ...], Any]]:
    return [(e["loc"], (e.get("ctx") or {}).get("error")) for e in exc.errors()]


def test_the_intake_refuses_unknown_countries_and_languages_naming_field_and_value() -> None:
    with pytest.raises(ValidationError) as caught:
        person_in(citizenship="XX")
    [(loc, error)] = _errors(caught.value)
    assert loc == ("citizenship",) and isinstance(error, InputRefused) and error.code == "unknown_country"
    with pytest.raises(ValidationError) as caught:
        person_in(languages=[{"code": "arabo", "level": "native"}])
    [(loc, error)] = _errors(caught.value)
    assert loc == ("languages", 0, "code") and error.code == "unknown_language"
    assert error.params["value"] == "arabo" and error.params["suggestion"] == "ar"
    with pytest.raises(ValidationError):
        person_in(preferred_language="T1")
    data = person_in(citizenship="tn", languages=[{"code": "TIR", "level": "B1"}], preferred_language="AR")
    assert (data.citizenship, data.languages[0].code, data.preferred_language) == ("TN", "ti", "ar")


def test_gender_has_no_default() -> None:
    fields = person_in().model_dump()
    fields.pop("gender")
    with pytest.raises(ValidationError) as caught:
        PersonIn.model_validate(fields)
    assert [e["loc"] for e in caught.value.errors()] == [("gender",)]
    assert caught.value.errors()[0]["type"] == "missing"
    with pytest.raises(ValidationError):
        PersonIn.model_validate({**fields, "gender": ""})
    assert PersonIn.model_fields["gender"].is_required()


def test_an_experience_country_and_language_are_iso_codes() -> None:
    base = {"kind": "work", "title": "Cuoca", "language": "ar", "text_original": "طباخة"}
    assert ExperienceIn.model_validate({**base, "country": "tn"}).country == "TN"
    assert ExperienceIn.model_validate({**base, "country": " "}).country is None
    assert ExperienceIn.model_validate(base).country is None
    assert ExperienceIn.model_validate({**base, "language": "ARA"}).language == "ar"
    for field, value, code in (("country", "XX", "unknown_country"), ("language", "arabo", "unknown_language")):
        with pytest.raises(ValidationError) as caught:
            ExperienceIn.model_validate({**base, field: value})
        [(loc, error)] = _errors(caught.value)
        assert loc == (field,) and error.code == code


def test_every_new_error_has_its_message_in_italian_and_english() -> None:
    for code in ("unknown_country", "unknown_language", "possible_duplicate", "person_duplicate"):
        for lang in ("it", "en"):
            assert f"errors.{code}" in catalog(lang), (code, lang)
    assert "arabo" in t("errors.unknown_language", "it", value="arabo")
    assert "XX" in t("errors.unknown_country", "en", value="XX")
    assert "2" in t("errors.possible_duplicate", "it", count=2)


# ------------------------------------------------------------------------------ duplicates


def test_names_compare_without_case_accents_or_spacing() -> None:
    assert normalised_name(" AMÌNA ", "Ben-Salah") == normalised_name("amina", "ben  salah")
    assert normalised_name("Amina", "Ben Salah") != normalised_name("Ben", "Amina Salah")  # parts keep their place


def test_a_second_save_of_the_same_person_is_held_back_until_confirmed(session: Session) -> None:
    actors = staff(session)
    op = actors["op3"]
    first = register_person(session, person_in(), op)
    again = person_in(given_name="AMINA", family_name="ben  salàh")  # as a second click, or retyped
    assert [p.id for p in likely_duplicates(session, again, op)] == [first.id]
    with pytest.raises(DomainError) as caught:
        register_person(session, again, op)
    assert caught.value.code == "possible_duplicate"
    assert caught.value.params == {"ids": [first.id], "count": 1}
    assert len(session.exec(select(Person)).all()) == 1
    # The operator looked and it is someone else (homonyms exist): registered, and the audit says so.
    other = register_person(session, again, op, confirmed_new=True)
    assert other.id != first.id
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "person.registered", AuditEvent.entity_id == str(other.id))
    ).one()
    assert event.after["confirmed_new"] is True
    # Both are found next time.
    assert [p.id for p in likely_duplicates(session, again, op)] == [first.id, other.id]


def test_a_different_birth_date_is_not_a_duplicate_and_unknown_dates_match_each_other(session: Session) -> None:
    actors = staff(session)
    op = actors["op3"]
    register_person(session, person_in(), op)
    assert likely_duplicates(session, person_in(birth_date=date(1987, 4, 12)), op) == []
    register_person(session, person_in(given_name="Sara", birth_date=None), op)
    assert len(likely_duplicates(session, person_in(given_name="sara", birth_date=None), op)) == 1
    assert likely_duplicates(session, person_in(given_name="Sara"), op) == []


def test_the_same_codice_fiscale_is_found_and_still_refused_even_when_confirmed(session: Session) -> None:
    actors = staff(session)
    op = actors["op3"]
    cf = "BNSMNA86D52Z352L"
    first = register_person(session, person_in(codice_fiscale=cf), op)
    other_name = person_in(given_name="Altra", family_name="Persona", codice_fiscale=cf)
    assert [p.id for p in likely_duplicates(session, other_name, op)] == [first.id]
    for confirmed in (False, True):
        with pytest.raises(ValidationFailed) as caught:
            register_person(session, other_name, op, confirmed_new=confirmed)
        assert caught.value.code == "person_duplicate" and caught.value.params["person_id"] == first.id


def test_duplicates_are_looked_for_among_the_people_the_actor_may_see(session: Session) -> None:
    from ivc.auth.roles import Actor, Role

    actors = staff(session)
    register_person(session, person_in("3"), actors["op3"])
    # An operator of district 1 does not see district 3's people: no warning, and nothing revealed.
    assert likely_duplicates(session, person_in("1"), actors["op1"]) == []
    register_person(session, person_in("1"), actors["op1"])
    # A region-wide administrator sees both.
    admin = Actor("admin", Role.ADMIN)
    assert len(likely_duplicates(session, person_in("3"), admin)) == 2
    # Whoever may not register people may not look for them either.
    with pytest.raises(Exception) as caught:
        likely_duplicates(session, person_in("3"), actors["cpi3"])
    assert getattr(caught.value, "code", "") == "permission_role"


def test_pickers_offer_a_searchable_list_and_the_service_accepts_any_iso_code() -> None:
    import pycountry
    import yaml

    from ivc.config import get_settings
    from ivc.person.iso import language_code, languages

    extra = yaml.safe_load((get_settings().reference_dir / "languages.yaml").read_text("utf-8"))["extra"]
    for code in extra:  # each listed language is living and has no two-letter code
        found = pycountry.languages.get(alpha_3=code)
        assert found is not None and found.type == "L" and not hasattr(found, "alpha_2"), code
    offered = dict(languages("it"))
    assert {"ar", "ti", "wo", "mnk", "snk", "prs", "ckb"} <= set(offered)
    assert len(offered) < 400  # drawn in every intake form: not 7,000 options
    assert "tcy" not in offered and language_code("tcy") == "tcy"  # Tulu: not offered, still accepted
