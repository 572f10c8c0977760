"""Documents of a case: ask for the transparency dossier when the case allows it, preview each
issued document's first page, download the PDF and its machine-readable twin."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import streamlit as st

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.case import states
from ivc.case.states import Action
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.evidence.storage import get_store
from ivc.i18n import t
from ivc.ui.common import advance, show_error


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


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        facts = cases.facts(session, case)
        docs = cases.issued_documents(session, case_id)
        version = case.version
    can_issue = Action.ISSUE_TRANSPARENCY in states.available_actions(facts, actor.role) and not case.requested_action
    if can_issue and st.button(t("documents.issue_transparency", lang), key=f"issue_tr_{case_id}", type="primary"):
        try:
            with session_scope() as session:
                cases.request_action(
                    session,
                    cases.get_case(session, case_id, actor),
                    Action.ISSUE_TRANSPARENCY,
                    actor,
                    expected_version=version,
                )
        except IVCError as exc:
            show_error(exc, lang)
        else:
            advance([case_id], lang)
            st.rerun()
    if not docs:
        st.caption(t("documents.none", lang))
        return
    for doc in docs:
        with st.container(border=True):
            status = t("documents.revoked", lang) if doc.revoked_at else t("documents.valid", lang)
            st.markdown(f"**{t(f'doctypes.{doc.doc_type}', lang)}** — {doc.number} · {status}")
            st.caption(t("documents.code", lang, code=doc.verification_code, date=str(doc.issued_at)[:10]))
            try:
                pdf = get_store().get(doc.sha256)
            except IVCError as exc:
                show_error(exc, lang)
                continue
            png = first_page_png(pdf)
            if png is not None:
                st.image(png, width=420)
            a, b = st.columns(2)
            a.download_button(
                t("documents.pdf", lang),
                pdf,
                file_name=f"{doc.number.replace('/', '-')}.pdf",
                mime="application/pdf",
                key=f"pdf_{doc.id}",
            )
            twin = doc.credentials.get("twin")
            if twin is not None:
                b.download_button(
                    t("documents.json", lang),
                    twin if isinstance(twin, str) else json.dumps(twin, ensure_ascii=False, indent=1),
                    file_name=f"{doc.number.replace('/', '-')}.json",
                    mime="application/json",
                    key=f"json_{doc.id}",
                )
