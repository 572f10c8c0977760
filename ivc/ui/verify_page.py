"""Public page: verify a document by its code or by uploading its PDF or JSON. Shows what the
document certifies and only the identity the holder chose to share."""

from __future__ import annotations

import streamlit as st

from ivc.database.core import session_scope
from ivc.document.verify import Verdict, Verification, verify_bytes, verify_code
from ivc.i18n import t

_MAX_UPLOAD = 30 * 1024 * 1024


def _show(result: Verification, lang: str) -> None:
    message = f"**{t(f'verify.verdict.{result.verdict.value}', lang)}** — {result.reason}"
    if result.verdict is Verdict.VALID:
        st.success(message)
    elif result.verdict is Verdict.REVOKED:
        st.warning(message)
    else:
        st.error(message)
    doc = result.document
    if not doc:
        return
    kind = t(f"doctypes.{doc['type']}", lang)
    st.subheader(f"{kind} — {doc['number']}")
    st.write(f"{t('verify.holder', lang)}: **{doc['holder']['name']}**")
    for key, value in doc["holder"].items():
        if key != "name":
            st.write(f"{t(f'verify.shared.{key}', lang)}: {value}")
    st.write(f"{t('verify.issued', lang)}: {doc['issued_at'][:10]} — {doc['issuer']} ({doc['issued_by_body']})")
    for q in doc["qualifications"]:
        st.write(f"{t('verify.qualification', lang)}: **{q['code']} {q['title']}** — EQF {q['eqf_level']}")
    st.write(f"**{t('verify.competences', lang)}**")
    for c in doc["competences"]:
        st.write(f"- {c['code']} {c['title']}")


def render(lang: str) -> None:
    st.header(t("verify.title", lang))
    st.caption(t("verify.intro", lang))
    code = st.text_input(t("verify.code", lang), key="verify_code", max_chars=40)
    upload = st.file_uploader(t("verify.upload", lang), type=["pdf", "json", "jwt"], key="verify_file")
    result = None
    with session_scope() as session:
        if upload is not None:
            data = upload.getvalue()
            if len(data) > _MAX_UPLOAD:
                st.error(t("verify.too_large", lang))
                return
            result = verify_bytes(session, data)
        elif code.strip():
            result = verify_code(session, code)
    if result is not None:
        _show(result, lang)
