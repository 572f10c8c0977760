"""The Italian codice fiscale of a person (16 characters): its shape, month, day and check character.

Layout (D.M. 23/12/1976): three letters of the surname, three of the name, two digits of the year,
a letter for the month (``ABCDEHLMPRST``), two digits of the day (plus 40 for women), four for the
place of birth (a letter and three digits; ``Z`` and three digits abroad), and a check letter
computed from the fifteen before it. When two people would get the same code (omocodia), the
revenue agency replaces digits, from the right, with the letters ``LMNPQRSTUV`` (0 to 9): such a
code is valid and its check letter is computed on the letters as they stand.

``problem`` names what is wrong with a code, or returns None; a typing error in one character
changes the check letter, so most mistyped codes are caught at intake.
"""

from __future__ import annotations

import re

MONTHS = "ABCDEHLMPRST"
OMOCODIA = "LMNPQRSTUV"  # the letter that stands for each digit 0..9
_SHAPE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")
# Value of a character in an odd position (1st, 3rd, … 15th) for the check letter.
_DIGIT_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21)  # 0..9, and A..J alike
_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (*_DIGIT_ODD, *_DIGIT_ODD, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),
        strict=True,
    )
)
_DAYS_IN_MONTH = dict(zip(MONTHS, [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], strict=True))


def check_letter(first15: str) -> str:
    """The check letter of the first fifteen characters."""
    total = 0
    for i, ch in enumerate(first15):
        if i % 2 == 0:  # 1st, 3rd, … (odd positions counted from one)
            total += _ODD[ch]
        else:
            total += int(ch) if ch.isdigit() else ord(ch) - ord("A")
    return chr(ord("A") + total % 26)


def _digits(chars: str) -> int:
    """Digits that omocodia may have turned into letters, read back as a number."""
    return int("".join(str(OMOCODIA.index(c)) if c.isalpha() else c for c in chars))


def problem(code: str) -> str | None:
    """What is wrong with a 16-character codice fiscale (already upper case), or None."""
    if not _SHAPE.match(code):
        if len(code) == 16 and code[8].isalpha() and code[8] not in MONTHS:
            return f"the month letter {code[8]} does not exist"
        return "the characters are not in the order of a codice fiscale"
    day = _digits(code[9:11])
    if day > 40:
        day -= 40
    if not 1 <= day <= _DAYS_IN_MONTH[code[8]]:
        return f"day {_digits(code[9:11])} does not exist in month {code[8]}"
    expected = check_letter(code[:15])
    if code[15] != expected:
        return f"the check character should be {expected}, not {code[15]}: a character is mistyped"
    return None
