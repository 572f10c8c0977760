"""Render example pages of the three documents to docs/examples/ (PNG via pdftoppm), from a
throw-away database: `python tools/render_examples.py`."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["IVC_DATA_DIR"] = tempfile.mkdtemp(prefix="ivc-examples-")


def main() -> None:
    from ivc.bootstrap import bootstrap
    from ivc.case import service as cases
    from ivc.case.states import CaseState
    from ivc.database.core import session_scope
    from ivc.evidence.storage import get_store
    from tests.helpers import advance_to, staff

    bootstrap()
    out = ROOT / "docs" / "examples"
    out.mkdir(parents=True, exist_ok=True)
    with session_scope() as session:
        case = advance_to(session, staff(session), CaseState.CLOSED)
        for doc in cases.issued_documents(session, case.id or 0):
            pdf = Path(os.environ["IVC_DATA_DIR"]) / f"{doc.doc_type}.pdf"
            pdf.write_bytes(get_store().get(doc.sha256))
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                            str(out / f"{doc.doc_type}-it-ar")], check=True)
            print(out / f"{doc.doc_type}-it-ar.png")


if __name__ == "__main__":
    main()
