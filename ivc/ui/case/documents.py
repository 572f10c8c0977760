"""Documents of a case: the move that issues the next document when this role may ask for it
(with confirmation), then each issued document with its first page, the PDF and its signed
machine-readable twin."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case import states
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.evidence.storage import get_store
from ivc.i18n import t
from ivc.ui.case import moves
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.text import fmt_date


def first_page_png(pdf: bytes) -> bytes | None:
    """The first page as a PNG (poppler's pdftoppm), or None where it is not installed."""
    if shutil.which("pdftoppm") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(pdf)
        done = subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(src), str(Path(tmp) / "page")],
            capture_output=True,
            timeout=30,
            check=False,
        )
        out = Path(tmp) / "page.png"
        return out.read_bytes() if done.returncode == 0 and out.exists() else None


@st.cache_data(max_entries=200, show_spinner=False)
def _preview(sha256: str) -> bytes | None:
    """A stored document's first page, drawn once per server process: a file in the store never
    changes under its hash. Only reached after the page listed the document for this user."""
    return first_page_png(get_store().get(sha256))


def _stored(sha256: str) -> Callable[[], bytes]:
    """The PDF read from the store when its download is asked for, not on every redraw."""
    return lambda: get_store().get(sha256)


def render(actor: Actor, case_id: int, lang: str) -> None:
    actions, version, unreviewed = moves.available(actor, case_id)
    for action in actions:
        if states.transition_for(action).issues is not None:
            moves.offer(actor, case_id, action, version, unreviewed, lang, primary=True)
    with session_scope() as session:
        docs = cases.issued_documents(session, case_id)
    if not docs:
        st.caption(t("documents.none", lang))
        return
    for doc in docs:
        with st.container(border=True):
            status = t("documents.revoked", lang) if doc.revoked_at else t("documents.valid", lang)
            number = f"{t('documents.number_label', lang)} {doc.number}"
            st.markdown(f"**{t(f'doctypes.{doc.doc_type}', lang)}** — {number} · {status}")
            st.caption(t("documents.code", lang, code=doc.verification_code, date=fmt_date(doc.issued_at)))
            try:
                png = _preview(doc.sha256)
            except IVCError as exc:
                show_error(exc, lang)
                continue
            if png is not None:
                st.image(png, width=420)
            a, b = st.columns(2)
            a.download_button(
                t("documents.pdf", lang),
                _stored(doc.sha256),
                file_name=f"{doc.number.replace('/', '-')}.pdf",
                mime="application/pdf",
                key=f"pdf_{doc.id}",
                on_click="ignore",
            )
            twin = doc.credentials.get("twin")
            if twin is not None:
                b.download_button(
                    t("documents.json", lang),
                    twin if isinstance(twin, str) else json.dumps(twin, ensure_ascii=False, indent=1),
                    file_name=f"{doc.number.replace('/', '-')}.json",
                    mime="application/json",
                    key=f"json_{doc.id}",
                    on_click="ignore",
                )
