"""Translations are data files, one per language: Italian and English cover the whole interface;
every language of the people served covers what is read to the person (interview, consent,
service agreement). No key is missing, none is empty, and every key the interface asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivc.assessment.models import AssessmentMethod
from ivc.auth.roles import Role
from ivc.case.states import Action, CaseState, Outcome
from ivc.claim.models import ClaimStatus
from ivc.evidence.models import EvidenceType
from ivc.experience.models import INTERVIEW_STEPS
from ivc.i18n import PERSON_KEYS, UI_LANGUAGES, catalog, is_rtl, languages, t
from ivc.person.models import Gender, ReferralSource, VulnerabilityKind

UI = Path(__file__).resolve().parents[1] / "ivc" / "ui"


def test_the_person_is_served_in_italian_english_french_spanish_arabic_and_ukrainian() -> None:
    assert {"it", "en", "fr", "es", "ar", "uk"} <= set(languages())
    assert is_rtl("ar") and not is_rtl("uk")


def test_interface_languages_have_exactly_the_same_keys() -> None:
    reference = set(catalog("it"))
    for lang in UI_LANGUAGES:
        assert set(catalog(lang)) == reference, lang


@pytest.mark.parametrize("lang", sorted(set(languages())))
def test_every_language_has_every_person_facing_text(lang: str) -> None:
    wanted = {k for k in catalog("it") if k.startswith(PERSON_KEYS)}
    have = {k for k, v in catalog(lang).items() if k.startswith(PERSON_KEYS) and v.strip()}
    assert wanted - have == set(), f"{lang} misses {sorted(wanted - have)}"
    assert all(v.strip() for v in catalog(lang).values())


def test_every_key_the_interface_uses_exists() -> None:
    used = set()
    for path in UI.glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*)["']""", path.read_text(encoding="utf-8")))
    families = {
        "states": [s.value for s in CaseState],
        "outcomes": [o.value for o in Outcome],
        "actions": [a.value for a in Action],
        "roles": [r.value for r in Role],
        "evidence.types": [e.value for e in EvidenceType],
        "methods": [m.value for m in AssessmentMethod],
        "claim_status": [c.value for c in ClaimStatus],
        "genders": [g.value for g in Gender],
        "referrals": [r.value for r in ReferralSource],
        "vulnerabilities": [v.value for v in VulnerabilityKind],
        "person.interview.steps": [f"{name}.title" for name, _ in INTERVIEW_STEPS],
        "steps": [
            "privacy_notice",
            "service_agreement",
            "admissibility_decision",
            "admission",
            "refusal_record",
            "interview",
            "claims_review",
            "transparency_request",
            "person_choice_validation",
            "assessment_and_decision",
            "validation_issue",
            "person_choice_certification",
            "exam_scheduling",
            "exam_outcome",
            "certification_issue",
            "withdrawal_confirmation",
            "suspension_end",
            "issue_approval",
        ],
    }
    used |= {f"{prefix}.{value}" for prefix, values in families.items() for value in values}
    for lang in UI_LANGUAGES:
        missing = sorted(k for k in used if k not in catalog(lang))
        assert missing == [], f"{lang}: {missing}"


def test_a_missing_key_shows_itself_instead_of_failing() -> None:
    assert t("no.such.key", "ar") == "no.such.key"
    assert t("person.consent.job_matching.title", "ar") != t("person.consent.job_matching.title", "it")


def test_no_translation_file_repeats_a_key() -> None:
    """A section written twice in a YAML file silently replaces the first (every upload message
    was lost that way once): each file is read with a loader that refuses a repeated key."""
    from pathlib import Path

    import yaml

    class Strict(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
            keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
            repeated = {k for k in keys if keys.count(k) > 1}
            assert not repeated, f"{node.start_mark}: repeated keys {sorted(map(str, repeated))}"
            return super().construct_mapping(node, deep=deep)

    for path in sorted((Path(__file__).parent.parent / "ivc" / "i18n" / "locales").glob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=Strict)
