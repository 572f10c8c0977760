"""Create users, sign them in (argon2 password hashes, temporary lock after repeated failures) and
turn a username into an ``Actor``. A new password or a disabled account ends the user's web
sessions (``ivc.auth.websession``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from ivc.audit import service as audit
from ivc.auth.models import User
from ivc.auth.policy import Permission, authorize
from ivc.auth.roles import SYSTEM_ACTOR, Actor, Role
from ivc.auth.websession import revoke_user_sessions
from ivc.config import get_settings
from ivc.database.core import utcnow
from ivc.errors import NotFound, PermissionDenied, ValidationFailed
from ivc.territory.service import require_territory

MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so a wrong name costs what a wrong password
    does. Made on first use: every process imports this module, few sign anyone in."""
    return _HASHER.hash("ivc-no-such-user")


def create_user(
    session: Session,
    username: str,
    full_name: str,
    role: Role,
    districts: Iterable[str] = (),
    languages: Iterable[str] = (),
) -> User:
    username = username.strip()
    if not username or len(username) > 64 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ValidationFailed(f"invalid username {username!r}", field="username", code="username_invalid")
    existing = session.exec(select(User).where(User.username == username)).first()
    if existing:
        return existing
    user = User(
        username=username,
        full_name=full_name,
        role=Role(role).value,
        districts=sorted(set(districts)),
        languages=list(languages),
    )
    session.add(user)
    session.flush()
    return user


def get_actor(session: Session, username: str) -> Actor:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise NotFound(f"no active user {username!r}", entity="user", key=username)
    return _actor_of(user)


def list_users(session: Session, role: Role | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.where(User.role == role.value)
    return list(session.exec(stmt))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
            field="password",
            code="password_too_short",
            min=MIN_PASSWORD_LENGTH,
        )
    if len(password) > 1024 or not password.isprintable():
        raise ValidationFailed(
            "the password has characters that cannot be typed", field="password", code="password_untypeable"
        )


def set_password(session: Session, username: str, password: str, actor: Actor) -> None:
    """Set a user's password (an admin, or the user themself)."""
    if actor.username != username:
        authorize(actor, Permission.USER_ADMIN)
    _check_password(password)
    user = _user(session, username)
    user.password_hash = _HASHER.hash(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    session.add(user)
    audit.record(session, actor, "user.password_set", entity="user", entity_id=username)
    # Whoever held the old password is signed out of the web interface everywhere.
    revoke_user_sessions(session, username, "password_changed", actor)
    session.flush()


# Failed sign-ins for usernames that have no account, kept the way an account keeps them, so that a
# name with no account locks like a real one and a "locked" answer tells nobody which names exist.
_GHOSTS: dict[str, tuple[int, datetime | None]] = {}
_GHOSTS_MAX = 10_000


def _refused(attempts: int, minutes: int) -> PermissionDenied:
    return PermissionDenied("wrong username or password", code="sign_in_failed", attempts=attempts, minutes=minutes)


def _locked(until: datetime, now: datetime) -> PermissionDenied:
    left = max(1, -(-int((until - now).total_seconds()) // 60))
    return PermissionDenied(f"account locked for {left} more minutes", code="sign_in_locked", minutes=left)


def _ghost_attempt(name: str, now: datetime, attempts: int, lock_minutes: int) -> PermissionDenied:
    if len(_GHOSTS) >= _GHOSTS_MAX:
        _GHOSTS.clear()
    failures, until = _GHOSTS.get(name, (0, None))
    if until is not None and until > now:
        return _locked(until, now)
    failures += 1
    if failures >= attempts:
        _GHOSTS[name] = (0, now + timedelta(minutes=lock_minutes))
        return _locked(now + timedelta(minutes=lock_minutes), now)
    _GHOSTS[name] = (failures, None)
    return _refused(attempts, lock_minutes)


def _spend_a_verification(password: str) -> None:
    """The cost of checking a password, spent where there is none to check (no account, or a
    locked one), so every answer takes the same time and timing tells nobody which names exist."""
    try:
        _HASHER.verify(_dummy_hash(), password)
    except VerificationError:
        pass


def sign_in(session: Session, username: str, password: str) -> Actor:
    """The actor for a correct username and password. A wrong one says how many failures lock the
    account and for how long; a locked account says for how many more minutes. Names without an
    account answer exactly the same way, so the messages tell nobody which usernames exist."""
    settings = get_settings()
    attempts, lock_minutes = settings.sign_in_attempts, settings.sign_in_lock_minutes
    name = username.strip()
    user = session.exec(select(User).where(User.username == name)).first()
    now = utcnow()
    if user is None or not user.password_hash or not user.active:
        _spend_a_verification(password)
        raise _ghost_attempt(name[:64], now, attempts, lock_minutes)
    if user.locked_until is not None and user.locked_until > now:
        _spend_a_verification(password)  # as long as an unknown name takes: the lock tells nothing
        raise _locked(user.locked_until, now)
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_sign_ins += 1
        locked = user.failed_sign_ins >= attempts
        if locked:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_sign_ins = 0
            audit.record(session, SYSTEM_ACTOR, "user.locked", entity="user", entity_id=user.username)
        session.add(user)
        session.flush()
        if locked and user.locked_until is not None:
            raise _locked(user.locked_until, now) from None
        raise _refused(attempts, lock_minutes) from None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.failed_sign_ins = 0
    user.locked_until = None
    session.add(user)
    actor = _actor_of(user)
    audit.record(session, actor, "user.signed_in", entity="user", entity_id=user.username)
    session.flush()
    return actor


def actor_for_email(session: Session, email: str) -> Actor:
    """The actor for an e-mail asserted by the regional identity provider (OpenID Connect)."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active:
        raise PermissionDenied("this identity has no active ivc account", code="sign_in_unknown")
    return _actor_of(user)


def add_user(
    session: Session,
    actor: Actor,
    username: str,
    full_name: str,
    role: Role,
    districts: Iterable[str] = (),
    languages: Iterable[str] = (),
    password: str | None = None,
    email: str | None = None,
) -> User:
    """An admin creates an account (``ivc users add`` and the admin page)."""
    authorize(actor, Permission.USER_ADMIN)
    if session.exec(select(User).where(User.username == username.strip())).first() is not None:
        raise ValidationFailed(f"user {username!r} exists already", field="username", code="user_exists")
    if Role(role) is Role.SYSTEM:
        raise ValidationFailed("the system account is created by ivc itself", field="role")
    if Role(role) is Role.PERSON:  # people sign in with a personal access code (ivc.personspace)
        raise ValidationFailed("a person has no staff account", field="role")
    if not full_name.strip():
        raise ValidationFailed("a user needs a full name", field="full_name", code="full_name_required")
    for district in districts:
        require_territory(session, district)
    if password is not None:
        _check_password(password)
    user = create_user(session, username, full_name.strip(), role, districts, languages)
    user.email = email.strip().lower() if email else None
    if password is not None:
        user.password_hash = _HASHER.hash(password)
    session.add(user)
    audit.record(
        session,
        actor,
        "user.created",
        entity="user",
        entity_id=user.username,
        after={"role": user.role, "districts": user.districts},
    )
    session.flush()
    return user


def update_user(
    session: Session,
    actor: Actor,
    username: str,
    *,
    role: Role | None = None,
    districts: Iterable[str] | None = None,
    active: bool | None = None,
) -> User:
    authorize(actor, Permission.USER_ADMIN)
    user = _user(session, username)
    if user.role == Role.SYSTEM.value:
        raise ValidationFailed("the system account cannot be changed", field="username")
    before = {"role": user.role, "districts": user.districts, "active": user.active}
    if role is not None:
        user.role = Role(role).value
    if districts is not None:
        for district in districts:
            require_territory(session, district)
        user.districts = sorted(set(districts))
    if active is not None:
        user.active = active
    session.add(user)
    audit.record(
        session,
        actor,
        "user.updated",
        entity="user",
        entity_id=username,
        before=before,
        after={"role": user.role, "districts": user.districts, "active": user.active},
    )
    if not user.active:
        revoke_user_sessions(session, username, "disabled", actor)
    session.flush()
    return user


def _user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username!r}", entity="user", key=username)
    return user


def _actor_of(user: User) -> Actor:
    return Actor(user.username, Role(user.role), frozenset(user.districts))
