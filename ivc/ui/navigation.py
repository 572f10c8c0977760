"""Which pages each user sees, and their addresses: the pages their role's permissions open (the
services check again). Every page has its own path, and a case and a tab are query parameters
(``/casi?case=12&tab=…``), so a page can be bookmarked, reloaded and linked."""

from __future__ import annotations

from ivc.auth.policy import Permission, allowed
from ivc.auth.roles import Actor, Role

# Page id -> the permission that opens it (None: every signed-in user).
PAGES: dict[str, Permission | None] = {
    "cases": Permission.CASE_READ,
    "intake": Permission.INTAKE,
    "queue": Permission.QUEUE_WORK,
    "dossiers": Permission.DOSSIER_SEARCH,
    "matching": Permission.MATCHING,
    "monitoring": Permission.MONITORING_READ,
    "admin": Permission.USER_ADMIN,
    "verify": None,
    "person": None,  # the person's own space: only for a person signed in with their code
}

# Page id -> its path in the address bar (Italian, as the interface's first language).
URL_PATHS: dict[str, str] = {
    "cases": "casi",
    "intake": "accoglienza",
    "queue": "coda",
    "dossiers": "fascicoli",
    "matching": "incrocio",
    "monitoring": "monitoraggio",
    "admin": "amministrazione",
    "verify": "verifica",
    "person": "spazio",
}


def pages_for(actor: Actor | None) -> list[str]:
    if actor is None:
        return ["sign_in", "verify"]
    if actor.role is Role.PERSON:
        return ["person", "verify"]
    pages = [p for p, perm in PAGES.items() if p != "person" and (perm is None or allowed(actor, perm))]
    if allowed(actor, Permission.ASSESS) or "queue" in pages:
        # Assessors and ALFA reviewers start where their work waits: the queue.
        pages = ["queue", *[p for p in pages if p != "queue"]]
    return pages
