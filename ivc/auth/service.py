"""Create users and turn a username into an ``Actor``."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from ivc.auth.models import User
from ivc.auth.roles import Actor, Role
from ivc.errors import NotFound, ValidationFailed


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
        raise ValidationFailed(f"invalid username {username!r}", field="username")
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
    return Actor(user.username, Role(user.role), frozenset(user.districts))


def list_users(session: Session, role: Role | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.where(User.role == role.value)
    return list(session.exec(stmt))
