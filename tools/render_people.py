"""Render the three documents of an Arabic-speaking and a Ukrainian-speaking person (throw-away
database) to PDF and PNG, to look at them: `python tools/render_people.py OUT_DIR`."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["IVC_DATA_DIR"] = tempfile.mkdtemp(prefix="ivc-people-")


def main(out: Path) -> None:
    from ivc.bootstrap import bootstrap
    from ivc.case import service as cases
    from ivc.case.models import Case
    from ivc.case.states import CaseState
    from ivc.database.core import session_scope
    from ivc.evidence.storage import get_store
    from ivc.person.service import get_person
    from tests.helpers import advance_to, staff

    bootstrap()
    out.mkdir(parents=True, exist_ok=True)
    for lang in ("ar", "uk"):
        with session_scope() as session:
            actors = staff(session)

            def speaks(case: Case, lang: str = lang) -> None:
                person = get_person(session, case.person_id)
                person.preferred_language = lang
                session.add(person)
                session.flush()

            case = advance_to(session, actors, CaseState.CLOSED, during_identification=speaks)
            for doc in cases.issued_documents(session, case.id or 0):
                pdf = out / f"{doc.doc_type}-{doc.languages[1]}.pdf"
                pdf.write_bytes(get_store().get(doc.sha256))
                subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(pdf.with_suffix(""))], check=True)
                print(pdf)

if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ivc-render-")))
