"""Public page: verify a document by its code (typed, or from the QR code's link
``/verifica?code=…``) or by uploading its PDF or JSON. Shows what kind of document it is, what
it says of each competence, and only the identity the holder chose to share."""

from __future__ import annotations

import streamlit as st

from ivc.database.core import session_scope
from ivc.document.verify import Verdict, Verification, verify_bytes, verify_code
from ivc.i18n import t
from ivc.ui.widgets.pickers import url_text
from ivc.ui.widgets.text import fmt_date
from ivc.ui.widgets.upload import file_picker

_MAX_UPLOAD = 30 * 1024 * 1024


def _show(result: Verification, lang: str) -> None:
    # The service's reason is English for logs and the CLI; people read the verdict's explanation.
    message = (
        f"**{t(f'verify.verdict.{result.verdict.value}', lang)}** — {t(f'verify.explain.{result.verdict.value}', lang)}"
    )
    if result.verdict is Verdict.VALID:
        st.success(message)
    elif result.verdict is Verdict.REVOKED:
        st.warning(message)
    else:
        st.error(message)
    doc = result.document
    if not doc:
        return
    doc_type = str(doc["type"])
    st.subheader(f"{t(f'doctypes.{doc_type}', lang)} — {t('documents.number_label', lang)} {doc['number']}")
    st.write(f"{t('verify.holder', lang)}: **{doc['holder']['name']}**")
    for key, value in doc["holder"].items():
        if key != "name":
            st.write(f"{t(f'verify.shared.{key}', lang)}: {value}")
    st.write(f"{t('verify.issued', lang)}: {fmt_date(doc['issued_at'])} — {doc['issuer']} ({doc['issued_by_body']})")
    for q in doc["qualifications"]:
        st.write(f"{t('verify.qualification', lang)}: **{q['code']} {q['title']}** — EQF {q['eqf_level']}")
    st.write(f"**{t(f'verify.competences_heading.{doc_type}', lang)}**")
    for c in doc["competences"]:
        st.write(f"- {c['code']} {c['title']}")


def render(lang: str) -> None:
    st.header(t("verify.title", lang))
    st.caption(t("verify.intro", lang))
    # Bound to the address: the QR code's link opens this page with the code filled in.
    code = url_text(t("verify.code", lang), "code", max_chars=40)
    upload = file_picker(t("verify.upload", lang), ["pdf", "json", "jwt"], "verify_file", lang, limit_bytes=_MAX_UPLOAD)
    result = None
    with session_scope() as session:
        if upload is not None:
            data = upload.getvalue()
            if len(data) > _MAX_UPLOAD:
                st.error(t("verify.too_large", lang))
                return
            result = verify_bytes(session, data)
        elif code and code.strip():
            result = verify_code(session, code)
    if result is not None:
        _show(result, lang)
