"""Mapping review: competences of the repertory and ESCO skills suggested from the person's words,
each with the passages that support it highlighted; accept, reject, or search the framework by
hand and add a competence."""

from __future__ import annotations

import html
from typing import Any

import streamlit as st
from sqlmodel import Session, select

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.experience.models import Experience
from ivc.experience.service import experiences_for_case
from ivc.framework.models import Competence, text_in
from ivc.i18n import is_rtl, t
from ivc.mapping.models import EscoSuggestion
from ivc.mapping.service import review_esco_suggestion
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.text import label


def highlight(text: str, spans: list[tuple[int, int]], lang: str) -> str:
    """The text with the given character spans marked, HTML-escaped, in its reading direction."""
    out, last = [], 0
    for start, end in sorted(spans):
        start, end = max(start, last), min(end, len(text))
        if start >= end:
            continue
        out.append(html.escape(text[last:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    direction = "rtl" if is_rtl(lang) else "ltr"
    return f'<div dir="{direction}" style="text-align:start">{"".join(out)}</div>'


def _supporting(session: Session, rationale: list[dict[str, Any]]) -> list[str]:
    """The supporting passages, one block per text, with their spans highlighted."""
    by_text: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for r in rationale:
        if r.get("experience_id") is None or r.get("start") is None:
            continue
        by_text.setdefault((int(r["experience_id"]), str(r.get("field", "text_it"))), []).append(
            (int(r["start"]), int(r["end"]))
        )
    blocks = []
    for (exp_id, field), spans in by_text.items():
        exp = session.get(Experience, exp_id)
        if exp is None:
            continue
        text = getattr(exp, field, None) or ""
        blocks.append(highlight(text, spans, exp.language if field == "text_original" else "it"))
    return blocks


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        reviewable = claims.claims_reviewable(cases.get_case(session, case_id, actor))
        rows = [
            (c, session.get(Competence, c.competence_id), _supporting(session, c.rationale))
            for c in claims.claims_for_case(session, case_id)
        ]
        esco = list(session.exec(select(EscoSuggestion).where(EscoSuggestion.case_id == case_id)))
        esco_blocks = {s.id: _supporting(session, s.rationale) for s in esco}
    pending = [r for r in rows if r[0].status == ClaimStatus.SUGGESTED.value]
    if not reviewable:
        st.info(t("mapping.closed", lang))
        pending = []
    else:
        st.markdown(f"**{t('mapping.suggested', lang, n=len(pending))}**")
    for claim, comp, blocks in pending:
        with st.container(border=True):
            st.markdown(f"**{comp.code if comp else ''}** {text_in(comp.title, lang) if comp else ''}")
            st.caption(t("mapping.score", lang, score=f"{(claim.score or 0):.2f}"))
            for block in blocks:
                st.markdown(block, unsafe_allow_html=True)
            a, r = st.columns(2)
            if a.button(t("mapping.accept", lang), key=f"accept_{claim.id}"):
                _review(actor, case_id, claim.id or 0, ClaimStatus.CONFIRMED, lang)
            if r.button(t("mapping.reject", lang), key=f"reject_{claim.id}"):
                _review(actor, case_id, claim.id or 0, ClaimStatus.REJECTED, lang)
    decided = [r for r in rows if r[0].status != ClaimStatus.SUGGESTED.value]
    if decided:
        st.markdown(f"**{t('mapping.reviewed', lang)}**")
        st.dataframe(
            [
                {
                    t("mapping.code", lang): comp.code if comp else "",
                    t("mapping.competence", lang): text_in(comp.title, lang) if comp else "",
                    t("mapping.status", lang): t(f"claim_status.{claim.status}", lang),
                    t("mapping.by", lang): claim.reviewed_by or claim.created_by,
                }
                for claim, comp, _ in decided
            ],
            hide_index=True,
            width="stretch",
        )
    if not reviewable:
        return
    _by_hand(actor, case_id, lang)
    open_esco = [s for s in esco if s.status == "suggested"]
    if open_esco:
        st.markdown(f"**{t('mapping.esco', lang, n=len(open_esco))}**")
        for s in open_esco[:30]:
            with st.container(border=True):
                st.markdown(f"**{html.escape(s.label)}** · {label('esco_entities', s.entity, lang)} · {s.score:.2f}")
                for block in esco_blocks.get(s.id, []):
                    st.markdown(block, unsafe_allow_html=True)
                a, r = st.columns(2)
                if a.button(t("mapping.accept", lang), key=f"esco_accept_{s.id}"):
                    _review_esco(actor, s.id or 0, "accepted", lang)
                if r.button(t("mapping.reject", lang), key=f"esco_reject_{s.id}"):
                    _review_esco(actor, s.id or 0, "rejected", lang)


def _review(actor: Actor, case_id: int, claim_id: int, status: ClaimStatus, lang: str) -> None:
    try:
        with session_scope() as session:
            case = cases.get_case(session, case_id, actor)
            claim = session.get(CompetenceClaim, claim_id)
            if claim is None or claim.case_id != case_id:
                return
            claims.review(session, claim, case, status, actor)
    except IVCError as exc:
        show_error(exc, lang)
        return
    st.rerun()


def _review_esco(actor: Actor, suggestion_id: int, status: str, lang: str) -> None:
    try:
        with session_scope() as session:
            review_esco_suggestion(session, suggestion_id, status, actor)
    except IVCError as exc:
        show_error(exc, lang)
        return
    st.rerun()


def _by_hand(actor: Actor, case_id: int, lang: str) -> None:
    """Search the competences of the case's repertory version and add one the NLP missed."""
    query = st.text_input(t("mapping.search", lang), key=f"map_search_{case_id}", max_chars=200)
    if not query.strip():
        return
    from ivc.framework.search import search

    with session_scope() as session:
        case = cases.get_case(session, case_id, actor)
        hits = search(session, query, entity="competence", limit=10)
        comps = {
            h.key: session.exec(
                select(Competence).where(Competence.code == h.key, Competence.framework_id == case.framework_id)
            ).first()
            for h in hits
        }
    found = [(h, c) for h in hits if (c := comps.get(h.key)) is not None]
    if not found:
        st.caption(t("mapping.nothing_found", lang))
        return
    # A competence named by hand rests on what the person told: the document says where it was learned.
    with session_scope() as session:
        experiences = {e.id or 0: e.title for e in experiences_for_case(session, case_id)}
    supports = st.multiselect(
        t("mapping.supported_by", lang),
        list(experiences),
        format_func=lambda i: experiences.get(i, str(i)),
        key=f"map_supports_{case_id}",
    )
    for hit, comp in found:
        c1, c2 = st.columns([4, 1])
        c1.write(f"**{hit.key}** {hit.label}")
        if c2.button(t("mapping.add", lang), key=f"add_{case_id}_{hit.key}", disabled=not supports):
            try:
                with session_scope() as session:
                    case = cases.get_case(session, case_id, actor)
                    competence = session.get(Competence, comp.id)
                    if competence is not None:
                        claims.add_by_operator(session, case, competence, actor, experience_ids=supports)
            except IVCError as exc:
                show_error(exc, lang)
            else:
                st.rerun()
    if not supports:
        st.caption(t("mapping.supports_first", lang))
