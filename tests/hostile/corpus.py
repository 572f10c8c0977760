"""The corpus: hostile strings, files, dates and CSVs, and ``Probe``, which pushes one case
through a service in its own unit of work and judges the outcome.

A case passes when it is refused with a clear error (an ``IVCError``, or the pydantic
``ValidationError`` of an intake model such as ``PersonIn``, both with a message) or when it is
stored harmlessly (read back from a fresh session it is exactly what was accepted). Anything
else — another exception, a value that changes on its way through the database — is a failure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from ivc.database.core import session_scope
from ivc.errors import IVCError

from ..test_flow_isolation import double_flate_bomb_pdf, self_length_pdf
from ..test_upload_safety import docx_bytes, heic_bytes, image_bytes, odt_bytes, pdf_bytes, zip_bytes
from . import TALLY

# (label, value): text that has broken other systems. Every text field gets each of them.
STRINGS: list[tuple[str, str]] = [
    ("script tag", "<script>alert('x')</script>"),
    ("img onerror", '<img src=x onerror="alert(1)">'),
    ("sql quote", "O'Brien'; DROP TABLE person; --"),
    ("sql union", '\' UNION SELECT username FROM "user" --'),
    ("sql tautology", '" OR 1=1 --'),
    ("like wildcards", "%_%\\"),
    ("template", "{{7*7}} ${jndi:ldap://x/a} %s %n {0}"),
    ("path traversal", "../../../etc/passwd"),
    ("nul byte", "Amina\x00Ben"),
    ("only nul", "\x00"),
    ("lone high surrogate", "Amina \ud800"),
    ("lone low surrogate", "\udfff Salah"),
    ("rtl override", "Amina \u202egnp.exe"),
    ("bidi isolate", "\u2067Salah\u2069"),
    ("mixed scripts", "Аmіna Ben Ѕalah"),  # Cyrillic А, і, Ѕ among Latin letters
    ("arabic", "أمينة بن صالح"),
    ("persian zwnj", "نامه\u200cها"),
    ("emoji astral", "𝕬𝖒𝖎𝖓𝖆 👩‍👩‍👧 🇹🇳"),
    ("combining zalgo", "A" + "\u0300\u0301\u0302" * 40),
    ("nfd accent", "Jose\u0301"),
    ("ansi escape", "\x1b[31mrosso\x1b[0m"),
    ("c1 and del", "a\x7fb\x85c"),
    ("bom", "\ufeffAmina"),
    ("whitespace only", " \t\n "),
    ("very long", "Lorem ipsum " * 2000),
]

TODAY = date.today()
# (label, birth date, expected: "refused" or "stored")
BIRTH_DATES: list[tuple[str, date, str]] = [
    ("year 0001", date(1, 1, 1), "refused"),
    ("year 9999", date(9999, 12, 31), "refused"),
    ("tomorrow", TODAY + timedelta(days=1), "refused"),
    ("1900", date(1900, 1, 1), "refused"),
    ("newborn without guardian", TODAY, "refused"),
    ("adult", date(1990, 2, 28), "stored"),
]
# (label, started_on, ended_on, expected)
EXPERIENCE_DATES: list[tuple[str, date | None, date | None, str]] = [
    ("starts year 0001", date(1, 1, 1), date(2010, 1, 1), "refused"),
    ("ends year 9999", date(2010, 1, 1), date(9999, 12, 31), "refused"),
    ("ends before it starts", date(2015, 1, 1), date(2014, 1, 1), "refused"),
    ("starts in the future", TODAY + timedelta(days=30), None, "refused"),
    ("leap day", date(2012, 2, 29), date(2016, 2, 29), "stored"),
    ("open ended", date(2019, 5, 1), None, "stored"),
]


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _bomb() -> bytes:
    return docx_bytes(**{"word/media/zeros.txt": b"\x00" * (32 * 1024 * 1024)})


# (label, content, declared media type, file name, expected outcome)
FILES: list[tuple[str, Callable[[], bytes], str, str, str]] = [
    ("real pdf", lambda: pdf_bytes(2), "application/pdf", "dichiarazione.pdf", "stored"),
    ("pdf declared as png", lambda: pdf_bytes(1, "Busta paga"), "image/png", "busta.png", "stored"),
    ("png", lambda: image_bytes("PNG"), "image/png", "foto.png", "stored"),
    ("jpeg as octet-stream", lambda: image_bytes("JPEG"), "application/octet-stream", "IMG_001", "stored"),
    ("heic declared jpeg", lambda: heic_bytes(), "image/jpeg", "IMG_0001.HEIC", "stored"),
    ("text note", lambda: "Nota: مرحبا, Привіт".encode(), "text/plain", "nota.txt", "stored"),
    ("docx", lambda: docx_bytes(), "application/msword", "cv.docx", "stored"),
    ("odt", lambda: odt_bytes(), "application/vnd.oasis.opendocument.text", "cv.odt", "stored"),
    ("traversal name", lambda: b"attestato 1", "text/plain", "../../../../etc/passwd", "stored"),
    ("windows traversal", lambda: b"attestato 2", "text/plain", "..\\..\\windows\\win.ini", "stored"),
    ("nul in name", lambda: b"attestato 3", "text/plain", "cv.pdf\x00.exe", "stored"),
    ("rtl name", lambda: b"attestato 4", "text/plain", "fattura\u202efdp.exe", "stored"),
    ("surrogate name", lambda: b"attestato 5", "text/plain", "\udc80cv.txt", "stored"),
    ("huge name", lambda: b"attestato 6", "text/plain", "x" * 100_000 + ".txt", "stored"),
    ("dots name", lambda: b"attestato 7", "text/plain", "..", "stored"),
    ("empty", lambda: b"", "application/pdf", "vuoto.pdf", "refused"),
    ("oversized", lambda: b"a" * (25 * 1024 * 1024 + 1), "text/plain", "grande.txt", "refused"),
    ("truncated pdf", lambda: pdf_bytes(3)[:900], "application/pdf", "tronco.pdf", "refused"),
    ("fake pdf", lambda: b"%PDF-1.7\nnot a pdf\n%%EOF", "application/pdf", "finto.pdf", "refused"),
    ("encrypted pdf", lambda: pdf_bytes(1, password="x"), "application/pdf", "cifrato.pdf", "refused"),
    ("truncated jpeg", lambda: image_bytes("JPEG", (400, 300))[:600], "image/jpeg", "tronca.jpg", "refused"),
    ("truncated png", lambda: image_bytes("PNG", (400, 300))[:-30], "image/png", "tronca.png", "refused"),
    ("zip as pdf", lambda: zip_bytes({"a.exe": b"MZ"}), "application/pdf", "cv.pdf", "refused"),
    ("zip bomb docx", _bomb, DOCX_TYPE, "bomba.docx", "refused"),
    ("macro docx", lambda: docx_bytes(**{"word/vbaProject.bin": b"x"}), DOCX_TYPE, "macro.docx", "refused"),
    ("traversal inside docx", lambda: docx_bytes(**{"../x.txt": b"x"}), DOCX_TYPE, "cv.docx", "refused"),
    ("elf as jpeg", lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "image/jpeg", "foto.jpg", "refused"),
    ("exe as pdf", lambda: b"MZ\x90\x00" + b"\x00" * 100, "application/pdf", "cv.pdf", "refused"),
    ("html as text", lambda: b"<html><script>alert(1)</script></html>", "text/plain", "nota.txt", "refused"),
    ("svg with script", lambda: b"<svg onload=alert(1)></svg>", "image/svg+xml", "logo.svg", "refused"),
    ("gzip", lambda: b"\x1f\x8b\x08\x00" + b"\x00" * 50, "application/gzip", "a.gz", "refused"),
    ("rar", lambda: b"Rar!\x1a\x07\x01\x00" + b"\x00" * 50, "application/pdf", "a.pdf", "refused"),
    ("overlong utf-8", lambda: b"nota \xc0\xae\xc0\xae/", "text/plain", "nota.txt", "refused"),
    ("encoded surrogate", lambda: b"nota \xed\xa0\x80", "text/plain", "nota.txt", "refused"),
    ("latin-1 text", lambda: "perché".encode("latin-1"), "text/plain", "nota.txt", "refused"),
    ("nul in text", lambda: b"nota\x00nota", "text/plain", "nota.txt", "refused"),
    # Issue #21: accepted once, then unreadable (or dangerous) for the steps that read them later.
    ("pdf with self-referencing length", lambda: self_length_pdf(), "application/pdf", "auto.pdf", "refused"),
    ("double-flate bomb pdf", lambda: double_flate_bomb_pdf(), "application/pdf", "bomba.pdf", "refused"),
    (
        "pdf that needs repair",
        lambda: pdf_bytes(1).replace(b"\n1 0 obj", b"\n%" + b"x" * 40 + b"\n1 0 obj", 1),
        "application/pdf",
        "riparato.pdf",
        "refused",
    ),
    ("html-then-pdf polyglot", lambda: b"<html>x</html>\n" + self_length_pdf(), "application/pdf", "p.pdf", "refused"),
    ("php in a jpg", lambda: b"GIF-like <?php system($_GET['c']); ?>", "image/jpeg", "foto.jpg", "refused"),
    ("bom-only text", lambda: b"\xef\xbb\xbf", "text/plain", "vuota.txt", "refused"),
]

VACANCY_HEADER = (
    "reference,title,employer,esco_occupation,essential_skills,optional_skills,district,italian_level,start_date"
)
# (label, file content, expected): "refused" means the whole import is refused and nothing stays.
VACANCY_CSVS: list[tuple[str, bytes, str]] = [
    ("empty file", b"", "refused"),
    ("missing columns", b"reference,title\nV1,Cuoco\n", "refused"),
    ("nul byte", f"{VACANCY_HEADER}\nV1,Cuo\x00co,Ditta,,,,3,A2,\n".encode(), "refused"),
    ("latin-1", f"{VACANCY_HEADER}\nV1,Aiuto cuoco perché,Ditta,,,,3,A2,\n".encode("latin-1"), "refused"),
    ("bad date", f"{VACANCY_HEADER}\nV1,Cuoco,Ditta,,,,3,A2,31/02/2026\n".encode(), "refused"),
    ("bad level", f"{VACANCY_HEADER}\nV1,Cuoco,Ditta,,,,3,Z9,\n".encode(), "refused"),
    ("unknown district", f"{VACANCY_HEADER}\nV1,Cuoco,Ditta,,,,99,A2,\n".encode(), "refused"),
    ("overlong title", f"{VACANCY_HEADER}\nV1,{'x' * 400},Ditta,,,,3,A2,\n".encode(), "refused"),
    ("overlong reference", f"{VACANCY_HEADER}\n{'R' * 100},Cuoco,Ditta,,,,3,A2,\n".encode(), "refused"),
    ("unbalanced quote", f'{VACANCY_HEADER}\nV1,"Cuoco,Ditta,,,,3,A2,\n'.encode(), "refused"),
    ("second row broken", f"{VACANCY_HEADER}\nV1,Cuoco,Ditta,,,,3,A2,\nV2,,Ditta,,,,3,A2,\n".encode(), "refused"),
    ("binary junk", bytes(range(256)) * 8, "refused"),
    (
        "script and sql in cells",
        (
            VACANCY_HEADER + '\nV-X1,"<script>alert(1)</script>","\'; DROP TABLE vacancy; --",,,,3,B1,2026-01-01\n'
        ).encode(),
        "stored",
    ),
    ("bom and crlf", f"\ufeff{VACANCY_HEADER}\r\nV-X2,Cuoco,Ditta,,,,3,A2,\r\n".encode(), "stored"),
]


class Probe:
    """Runs cases of one area and collects what went wrong."""

    def __init__(self, area: str) -> None:
        self.area = area
        self.failures: list[str] = []
        self.outcomes: dict[str, str] = {}

    def run(
        self,
        name: str,
        action: Callable[[Session], Any],
        verify: Callable[[Session, Any], None] | None = None,
        expect: str | None = None,
    ) -> str:
        TALLY.tried += 1
        outcome = "stored"
        result: Any = None
        try:
            with session_scope() as session:
                result = action(session)
        except (IVCError, ValidationError) as exc:
            outcome = "refused"
            if not str(exc).strip():
                self.fail(name, f"refused without a message ({type(exc).__name__})")
        except Exception as exc:  # the point of the corpus: anything else is a bug
            self.fail(name, f"crashed with {type(exc).__name__}: {str(exc)[:300]}")
            return "crashed"
        if outcome == "stored" and verify is not None:
            try:
                with session_scope() as session:
                    verify(session, result)
            except Exception as exc:
                self.fail(name, f"stored, but not harmlessly: {type(exc).__name__}: {str(exc)[:300]}")
        if expect is not None and outcome != expect:
            self.fail(name, f"expected {expect}, got {outcome}")
        self.outcomes[name] = outcome
        return outcome

    def consistent(self) -> None:
        """Counted as one more case: the database and the store agree after the area's cases."""
        self.run("database and store consistent", lambda s: assert_consistent(s))

    def fail(self, name: str, why: str) -> None:
        self.failures.append(f"[{self.area}] {name}: {why}")

    def finish(self) -> None:
        TALLY.failures += len(self.failures)
        assert not self.failures, "\n".join(self.failures)


def same(stored: Any, expected: Any, what: str) -> None:
    if stored != expected:
        raise AssertionError(f"{what}: stored {stored!r:.120} but accepted {expected!r:.120}")


def assert_consistent(session: Session) -> None:
    """Database and evidence store agree: every item's blob exists and matches its hash, nothing
    half-written (each record has its audit event, each link its item), no temporary files."""
    from ivc.audit.models import AuditEvent
    from ivc.config import get_settings
    from ivc.evidence.models import EvidenceItem, EvidenceLink
    from ivc.evidence.storage import get_store
    from ivc.experience.models import Experience
    from ivc.matching.models import Vacancy, VacancySkill
    from ivc.person.models import Person

    store = get_store()
    audited: dict[str, set[str]] = {}
    for action, entity_id in session.exec(select(AuditEvent.action, AuditEvent.entity_id)).all():
        audited.setdefault(action, set()).add(str(entity_id))
    for item in session.exec(select(EvidenceItem)).all():
        data = store.get(item.sha256)  # raises if missing or not matching
        assert hashlib.sha256(data).hexdigest() == item.sha256 and len(data) == item.size, item.id
        assert str(item.id) in audited.get("evidence.added", set()), f"evidence {item.id} has no audit event"
    item_ids = set(session.exec(select(EvidenceItem.id)).all())
    for link in session.exec(select(EvidenceLink)).all():
        assert link.evidence_id in item_ids, f"link {link.id} points to no evidence"
    for person_id in session.exec(select(Person.id)).all():
        assert str(person_id) in audited.get("person.registered", set()), f"person {person_id} has no audit event"
    for exp_id in session.exec(select(Experience.id)).all():
        assert str(exp_id) in audited.get("experience.added", set()), f"experience {exp_id} has no audit event"
    vacancy_ids = set(session.exec(select(Vacancy.id)).all())
    for skill in session.exec(select(VacancySkill)).all():
        assert skill.vacancy_id in vacancy_ids
    tmp = get_settings().resolved_evidence_dir / "tmp"
    leftovers = list(tmp.iterdir()) if tmp.is_dir() else []
    assert not leftovers, f"temporary files left in the store: {leftovers[:3]}"
