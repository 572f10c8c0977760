"""Mapping review: competences of the repertory and ESCO skills suggested from the person's words,
grouped by experience, a short list first and the rest behind "more", each with short passages
around the supporting words highlighted; accept, reject, set the rest aside in one action, or
search the framework by hand and add a competence. What is shown and what "the rest" is are the
mapping service's decisions (``ivc.mapping.review``); this module only draws them."""

from __future__ import annotations

import html

import streamlit as st
from sqlmodel import select

from ivc.auth.roles import Actor
from ivc.case import service as cases
from ivc.claim import service as claims
from ivc.claim.models import ClaimStatus, CompetenceClaim
from ivc.database.core import session_scope
from ivc.errors import IVCError
from ivc.experience.service import experiences_for_case
from ivc.framework.models import Competence, text_in
from ivc.i18n import is_rtl, t
from ivc.mapping.review import Item, review_list, set_rest_aside
from ivc.mapping.service import review_esco_suggestion
from ivc.mapping.snippets import Snippet
from ivc.ui.widgets.feedback import show_error
from ivc.ui.widgets.text import label


def highlight(text: str, spans: list[tuple[int, int]], lang: str, before: str = "", after: str = "") -> str:
    """The text with the given character spans marked, HTML-escaped, in its reading direction."""
    out, last = [before], 0
    for start, end in sorted(spans):
        start, end = max(start, last), min(end, len(text))
        if start >= end:
            continue
        out.append(html.escape(text[last:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    out.append(after)
    direction = "rtl" if is_rtl(lang) else "ltr"
    return f'<div dir="{direction}" style="text-align:start">{"".join(out)}</div>'


def passage(snippet: Snippet) -> str:
    """One short passage around the supporting words, highlighted, with "…" where it was cut."""
    return highlight(
        snippet.text,
        list(snippet.marks),
        snippet.lang,
        "… " if snippet.cut_before else "",
        " …" if snippet.cut_after else "",
    )


def render(actor: Actor, case_id: int, lang: str) -> None:
    with session_scope() as session:
        reviewable = claims.claims_reviewable(cases.get_case(session, case_id, actor))
        decided = [
            (c, session.get(Competence, c.competence_id))
            for c in claims.claims_for_case(session, case_id)
            if c.status != ClaimStatus.SUGGESTED.value
        ]
        groups = review_list(session, case_id, lang) if reviewable else []
    if not reviewable:
        st.info(t("mapping.closed", lang))
    else:
        pending = sum(1 for g in groups for i in g.shown + g.more if i.kind == "competence")
        st.markdown(f"**{t('mapping.suggested', lang, n=pending)}**")
        if not groups:
            st.caption(t("mapping.nothing_pending", lang))
        for group in groups:
            st.markdown(f"#### {html.escape(group.title or t('mapping.other_sources', lang))}")
            for item in group.shown:
                _card(actor, case_id, item, lang)
            if group.more:
                with st.expander(t("mapping.more", lang, n=len(group.more))):
                    for item in group.more:
                        _card(actor, case_id, item, lang)
        if any(g.more for g in groups) and st.button(
            t("mapping.set_aside", lang), key=f"set_aside_{case_id}", help=t("mapping.set_aside_help", lang)
        ):
            _set_aside(actor, case_id, lang)
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
                for claim, comp in decided
            ],
            hide_index=True,
            width="stretch",
        )
    if reviewable:
        _by_hand(actor, case_id, lang)


def _card(actor: Actor, case_id: int, item: Item, lang: str) -> None:
    """One suggestion: its label (and the ESCO English label beside when the language lacks
    one), the passages that support it, accept and reject."""
    with st.container(border=True):
        if item.kind == "competence":
            st.markdown(f"**{html.escape(item.key)}** {html.escape(item.label)}")
        else:
            st.markdown(f"**{html.escape(item.label)}** · {label('esco_entities', item.entity, lang)}")
            if item.fallback_label is not None:  # shown in English: ESCO has no label in this language
                st.caption(t("mapping.esco_beside", lang))
        st.caption(t("mapping.score", lang, score=f"{item.score:.2f}"))
        for snippet in item.passages:
            st.markdown(passage(snippet), unsafe_allow_html=True)
        a, r = st.columns(2)
        prefix = "" if item.kind == "competence" else "esco_"
        if a.button(t("mapping.accept", lang), key=f"{prefix}accept_{item.id}"):
            _decide(actor, case_id, item, True, lang)
        if r.button(t("mapping.reject", lang), key=f"{prefix}reject_{item.id}"):
            _decide(actor, case_id, item, False, lang)


def _decide(actor: Actor, case_id: int, item: Item, accept: bool, lang: str) -> None:
    if item.kind == "competence":
        _review(actor, case_id, item.id, ClaimStatus.CONFIRMED if accept else ClaimStatus.REJECTED, lang)
    else:
        _review_esco(actor, item.id, "accepted" if accept else "rejected", lang)


def _set_aside(actor: Actor, case_id: int, lang: str) -> None:
    try:
        with session_scope() as session:
            n = set_rest_aside(session, case_id, actor, lang)
    except IVCError as exc:
        show_error(exc, lang)
        return
    st.toast(t("mapping.set_aside_done", lang, n=n))
    st.rerun()


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
