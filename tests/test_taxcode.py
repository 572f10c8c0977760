"""The codice fiscale is checked at intake: its check character, month and day, with omocodia
(issue #21, point 8: a wrong check letter, an impossible month letter and day 72 were accepted)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ivc.person.taxcode import check_letter, problem

from .helpers import person_in

GOOD = "RSSMRA85T10A562S"


def test_a_valid_code_and_its_omocodic_variants_pass() -> None:
    assert problem(GOOD) is None
    assert problem("BNSMNA86D52Z352L") is None  # a woman: day + 40
    for first15 in ("RSSMRA85T10A56NS"[:15], "RSSMRA85T1MANSP"[:15], "RSSMRAUVTLMAQSN"[:15]):
        assert problem(first15 + check_letter(first15)) is None, first15


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("RSSMRA85T10A562T", "check character"),
        ("RSSMRA85Z10A562S", "month letter Z"),
        ("RSSMRA85T72A562S", "day 72"),
        ("RSSMRA85B30A562S", "day 30"),  # no 30th of February
        ("RSSMRA85T00A562S", "day 0"),
        ("RSSMRA8XT10A562S", "order"),
        ("RSSMRA85T10A56WS", "order"),  # W is no omocodia letter
    ],
)
def test_impossible_codes_are_refused_naming_why(code: str, what: str) -> None:
    found = problem(code)
    assert found is not None and what.split()[-1] in found, found
    with pytest.raises(ValidationError):
        person_in(codice_fiscale=code)


def test_intake_accepts_good_and_provisional_codes() -> None:
    assert person_in(codice_fiscale=GOOD.lower()).codice_fiscale == GOOD
    assert person_in(codice_fiscale="12345678901").codice_fiscale == "12345678901"
