"""Benchmark: rendering a 3-page transparency dossier and a certificate (median of 50), beside
reportlab's own time for a bare page measured in the same run.

    .venv/bin/python bench/documents.py
"""

from __future__ import annotations

import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("IVC_DATA_DIR", tempfile.mkdtemp(prefix="ivc-bench-"))

RUNS = 50


def _median_ms(fn: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    from pypdf import PdfReader
    from reportlab.pdfgen import canvas

    from ivc.bootstrap import bootstrap
    from ivc.case import service as cases
    from ivc.case.states import CaseState
    from ivc.database.core import session_scope
    from ivc.document.render import render_pdf
    from tests.helpers import advance_to, staff

    bootstrap()
    with session_scope() as session:
        case = advance_to(session, staff(session), CaseState.CLOSED)
        docs = {d.doc_type: d for d in cases.issued_documents(session, case.id or 0)}
    dossier = docs["documento_trasparenza"]
    payload = dict(dossier.payload)
    # A realistic long dossier: several experiences and evidence items, as interviews produce.
    payload["experiences"] = payload["experiences"] * 14
    payload["evidence"] = [
        {
            "id": i,
            "title": f"Dichiarazione del datore di lavoro n. {i}",
            "type": "employer_statement",
            "sha256": "ab" * 32,
            "media_type": "application/pdf",
            "supports_experiences": [1],
        }
        for i in range(12)
    ]
    pages = len(PdfReader(io.BytesIO(render_pdf(payload, "ar", attachment=dossier.credentials["twin"]))).pages)
    cert = docs["certificato"]

    def bare() -> None:
        buf = io.BytesIO()
        c = canvas.Canvas(buf, invariant=1)
        c.drawString(100, 700, "Certificato di competenze")
        c.showPage()
        c.save()

    baseline = _median_ms(bare)
    dossier_ms = _median_ms(lambda: render_pdf(payload, "ar", attachment=dossier.credentials["twin"]))
    cert_ms = _median_ms(lambda: render_pdf(cert.payload, "ar", attachment=cert.credentials["twin"]))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print("| measure (median of 50) | ms | × bare page |\n|---|---|---|")
    print(f"| reportlab bare page (baseline) | {baseline:.1f} | 1.0 |")
    print(
        f"| transparency dossier, {pages} pages, Italian + Arabic, JSON attached | {dossier_ms:.1f} | "
        f"{dossier_ms / baseline:.0f} |"
    )
    print(f"| certificate, Italian + Arabic, QR, JSON attached | {cert_ms:.1f} | {cert_ms / baseline:.0f} |")


if __name__ == "__main__":
    main()
