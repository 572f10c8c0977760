"""Server-side sessions of the web interface, so that a reload or a dropped connection does not
sign anyone out.

The browser holds a random 256-bit token in an HttpOnly cookie; the ``websession`` table holds
only its SHA-256, the user, and when the session started, was last seen and ended. ``resume``
turns a token back into the user's ``Actor`` while the session is neither ended, nor idle for
longer than ``IVC_SESSION_IDLE_MINUTES``, nor its user disabled or locked; the actor is built
from the user's row each time, so a change of role or districts applies at once. Changing a
password or disabling an account ends all of that user's sessions (``ivc.auth.service``).

The Streamlit script cannot set an HttpOnly cookie, so a password sign-in ends with a one-time
ticket (``issue_ticket``: random, stored hashed, single use, valid for a minute) that the
browser takes to ``/ivc/session/start`` (``ivc/ui/server.py``), where ``redeem_ticket`` starts
the session and the response sets the cookie. No Streamlit here: the interface is
``ivc/ui/session.py``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from ivc.audit import service as audit
from ivc.auth.models import User, WebSession, WebSessionTicket
from ivc.auth.roles import PERSON_PREFIX, SYSTEM_ACTOR, Actor, Role
from ivc.config import get_settings
from ivc.database.core import utcnow
from ivc.errors import PermissionDenied

TICKET_SECONDS = 60
# last_seen_at is written at most this often per session: every rerun of the page resumes it.
REFRESH_SECONDS = 60
# Ended or long-idle sessions and used or expired tickets are deleted after this long.
KEEP_DAYS = 30
_MAX_TOKEN = 128


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _plausible(token: object) -> bool:
    return isinstance(token, str) and 0 < len(token) <= _MAX_TOKEN and token.isascii()


def _actor(user: User) -> Actor:
    return Actor(user.username, Role(user.role), frozenset(user.districts))


def _user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def _usable(user: User | None) -> bool:
    """An account that may be signed in now: exists, active, not locked."""
    if user is None or not user.active:
        return False
    return user.locked_until is None or user.locked_until <= utcnow()


def _state(session: Session, username: str) -> tuple[str, Actor | None]:
    """Whether a session's principal may be signed in now: ``ok`` with its actor, ``locked`` (for
    a while, after failed sign-ins) or ``gone`` (disabled, removed; for a person in their own
    space: erased or no access code in force, ``ivc.personspace.access``)."""
    if username.startswith(PERSON_PREFIX):
        from ivc.personspace import access

        person = Actor(username, Role.PERSON)
        state = access.session_state(session, person.person_id) if person.person_id is not None else "gone"
        return state, (person if state != "gone" else None)
    user = _user(session, username)
    if user is None or not user.active:
        return "gone", None
    return ("ok", _actor(user)) if _usable(user) else ("locked", _actor(user))


def principal(session: Session, username: str) -> Actor | None:
    """The actor of ``username`` if it may be signed in now (a staff account or a person)."""
    state, actor = _state(session, username)
    return actor if state == "ok" else None


def start_session(session: Session, actor: Actor, *, user_agent: str | None = None, ip: str | None = None) -> str:
    """A new session for ``actor``'s account; returns the token for the cookie (only its hash is
    kept). Refused for a disabled or locked account."""
    signed_in = principal(session, actor.username)
    if signed_in is None:
        raise PermissionDenied("this account cannot sign in now", code="sign_in_failed")
    _purge(session)
    token = secrets.token_urlsafe(32)  # 256 bits
    now = utcnow()
    row = WebSession(
        token_hash=hash_token(token),
        username=signed_in.username,
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:300] or None,
        ip=(ip or "")[:64] or None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        signed_in,
        "user.session_started",
        entity="user",
        entity_id=signed_in.username,
        after={"session": row.id},
    )
    session.flush()
    return token


def resume(session: Session, token: str) -> Actor | None:
    """The actor of a live session, or None: unknown token, ended session, disabled or locked
    account, or idle for longer than ``IVC_SESSION_IDLE_MINUTES`` (the session is then ended and
    the expiry audited). Refreshes ``last_seen_at`` at most once a minute."""
    if not _plausible(token):
        return None
    row = session.exec(select(WebSession).where(WebSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    state, actor = _state(session, row.username)
    if state == "gone":
        _end(session, row, "disabled", SYSTEM_ACTOR)
        return None
    if now - row.last_seen_at > timedelta(minutes=get_settings().session_idle_minutes):
        _end(session, row, "expired", SYSTEM_ACTOR)
        return None
    if state != "ok" or actor is None:  # locked for a while after failed sign-ins: not ended, refused meanwhile
        return None
    if now - row.last_seen_at >= timedelta(seconds=REFRESH_SECONDS):
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return actor


def end_session(session: Session, token: str) -> bool:
    """Sign out: the session of this token ends (audited). False if it was unknown or over."""
    if not _plausible(token):
        return False
    row = session.exec(select(WebSession).where(WebSession.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return False
    _end(session, row, "signed_out", _state(session, row.username)[1] or SYSTEM_ACTOR)
    return True


def revoke_user_sessions(session: Session, username: str, reason: str, actor: Actor) -> int:
    """End every live session of ``username`` (password changed, account disabled); how many."""
    rows = list(
        session.exec(select(WebSession).where(WebSession.username == username, col(WebSession.revoked_at).is_(None)))
    )
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        row.end_reason = reason[:20]
        session.add(row)
    if rows:
        audit.record(
            session,
            actor,
            "user.sessions_revoked",
            entity="user",
            entity_id=username,
            after={"sessions": [r.id for r in rows], "reason": reason},
        )
    session.flush()
    return len(rows)


def _end(session: Session, row: WebSession, reason: str, actor: Actor) -> None:
    row.revoked_at = utcnow()
    row.end_reason = reason
    session.add(row)
    action = {"signed_out": "user.signed_out", "expired": "user.session_expired"}.get(reason, "user.session_ended")
    audit.record(
        session, actor, action, entity="user", entity_id=row.username, after={"session": row.id, "reason": reason}
    )
    session.flush()


def issue_ticket(session: Session, actor: Actor) -> str:
    """A one-time ticket for ``actor``'s account, valid for ``TICKET_SECONDS``: the browser
    exchanges it for the session cookie (``redeem_ticket``). Only its hash is kept."""
    if principal(session, actor.username) is None:
        raise PermissionDenied("this account cannot sign in now", code="sign_in_failed")
    ticket = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSessionTicket(
            ticket_hash=hash_token(ticket),
            username=actor.username,
            created_at=now,
            expires_at=now + timedelta(seconds=TICKET_SECONDS),
        )
    )
    session.flush()
    return ticket


def redeem_ticket(session: Session, ticket: str, *, user_agent: str | None = None, ip: str | None = None) -> str | None:
    """The token of a new session for a valid ticket, which is used up; None for an unknown,
    used or expired ticket, or an account that can no longer sign in."""
    if not _plausible(ticket):
        return None
    now = utcnow()
    # One conditional update: of two requests with the same ticket, only one gets the row back.
    username = session.execute(
        update(WebSessionTicket)
        .where(
            col(WebSessionTicket.ticket_hash) == hash_token(ticket),
            col(WebSessionTicket.used_at).is_(None),
            col(WebSessionTicket.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(WebSessionTicket.username))
    ).scalar()
    if username is None:
        return None
    signed_in = principal(session, username)
    if signed_in is None:
        return None
    return start_session(session, signed_in, user_agent=user_agent, ip=ip)


def safe_next(next_path: str | None, base: str = "/") -> str:
    """Where to send the browser after the session routes: ``next_path`` if it is a relative
    path inside this app (under ``base``, Streamlit's ``server.baseUrlPath``), else ``base``.
    Never another site: no scheme, no host, no ``//`` or backslash, no spaces, control
    characters or quotes."""
    base = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    if not isinstance(next_path, str) or not next_path or len(next_path) > 2000:
        return base
    if not next_path.isascii() or any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c in "<>\"'`" for c in next_path):
        return base
    if not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        return base
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc:
        return base
    path = parts.path
    if not (path == base.rstrip("/") or path.startswith(base)) or "/ivc/session/" in path:
        return base
    return next_path


def _purge(session: Session) -> None:
    """Forget used or expired tickets and long-ended sessions (run when a session starts)."""
    now = utcnow()
    keep = timedelta(days=KEEP_DAYS)
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    session.execute(delete(WebSessionTicket).where(col(WebSessionTicket.expires_at) < now - timedelta(hours=1)))
    session.execute(
        delete(WebSession).where(
            or_(
                col(WebSession.revoked_at) < now - keep,
                col(WebSession.last_seen_at) < now - max(keep, 2 * idle),
            )
        )
    )
