"""Local accounts: the User table, password checks and the `flask users` commands."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Collection
from datetime import datetime, timezone

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import Boolean, DateTime, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.db.base import Base, session_scope

DEMO_EMAIL = "demo@recrubo.local"


class User(Base):
    """A person who signs in to the dashboard."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    recrubo_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Shown on the sign-in page for the demo account of the embedded sandbox only.
    demo_password: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 default=lambda: datetime.now(timezone.utc))
    # Every session carries the version it was started under; bumping it (sign-out, a new password, a new role)
    # ends all of the account's sessions and closes its live sockets.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def normalize_email(email: str) -> str:
    """The form in which e-mail addresses are stored and compared."""
    return email.strip().lower()


def create_user(email: str, password: str, admin: bool = False,
                recrubo_user_id: str | None = None, demo: bool = False) -> User:
    """Store a new account with a hashed password; raise ValueError for a bad or taken e-mail."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 320:
        raise ValueError(f"{email!r} is not an e-mail address")
    if len(password) < 8:
        raise ValueError("the password needs at least 8 characters")
    try:
        with session_scope() as session:
            if session.scalar(select(User).where(User.email == email)):
                raise ValueError(f"an account for {email} exists already")
            user = User(email=email, password_hash=generate_password_hash(password), is_admin=admin,
                        recrubo_user_id=recrubo_user_id, demo_password=password if demo else None)
            session.add(user)
    except IntegrityError:
        # Created by another worker between our check and our commit (two workers starting at once).
        raise ValueError(f"an account for {email} exists already") from None
    return user


@functools.cache
def _timing_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def authenticate(email: str, password: str) -> User | None:
    """The account with this e-mail and password, or None."""
    with session_scope() as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        # Check against a real hash anyway, so a wrong e-mail takes as long as a wrong password.
        check_password_hash(_timing_hash(), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def find_or_create_sso_user(email: str) -> User | None:
    """The account for an e-mail vouched for by the intranet's proxy, made as a recruiter on first visit."""
    with session_scope() as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is not None:
        return user
    try:
        # Such an account signs in only through the proxy: its password is random and never shown.
        return create_user(email, secrets.token_urlsafe(24))
    except ValueError:
        # Created meanwhile by a parallel request, or not an address we accept (then None).
        with session_scope() as session:
            return session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(user_id: int) -> User | None:
    """The account with this id, or None."""
    with session_scope() as session:
        return session.get(User, user_id)


def link_recrubo_user(user_id: int, recrubo_user_id: str | None) -> bool:
    """Record which Recrubo User this account acts as in embeddables; False when it does not exist."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.recrubo_user_id = recrubo_user_id
        return user is not None


def all_users() -> list[User]:
    """Every account, oldest first."""
    with session_scope() as session:
        return list(session.scalars(select(User).order_by(User.id)))


def set_admin(user_id: int, admin: bool) -> bool:
    """Make an account an admin or a recruiter, ending its sessions when the role changes; False when it does
    not exist."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is not None and user.is_admin != admin:
            user.is_admin = admin
            user.session_version = User.session_version + 1
        return user is not None


def set_password(user_id: int, password: str) -> bool:
    """Give an account a new password and end its sessions; False when it does not exist, ValueError when
    the password is too short."""
    if len(password) < 8:
        raise ValueError("the password needs at least 8 characters")
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.password_hash = generate_password_hash(password)
            user.demo_password = None  # the sign-in page no longer shows a demo password that stopped working
            user.session_version = User.session_version + 1
        return user is not None


def end_sessions(user_id: int) -> bool:
    """End every session of an account, on every device, with its live sockets; False when it does not exist."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is not None:
            user.session_version = User.session_version + 1
        return user is not None


def session_versions(user_ids: Collection[int]) -> dict[int, int]:
    """The current session version of each of these accounts that still exists (one query)."""
    if not user_ids:
        return {}
    with session_scope() as session:
        rows = session.execute(select(User.id, User.session_version).where(User.id.in_(list(user_ids))))
        return {user_id: version for user_id, version in rows}


def find_user(email: str) -> User | None:
    """The account with this e-mail, or None."""
    with session_scope() as session:
        return session.scalar(select(User).where(User.email == normalize_email(email)))


def delete_user(user_id: int) -> bool:
    """Remove an account: its sessions end at their next request, its live sockets within seconds; False when
    it does not exist."""
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is not None:
            session.delete(user)
        return user is not None


def demo_account() -> User | None:
    """The embedded sandbox's demo account, if it exists."""
    with session_scope() as session:
        return session.scalar(select(User).where(User.email == DEMO_EMAIL))


def ensure_demo_account() -> User:
    """Create the demo account with a fresh random password unless it exists; return it."""
    existing = demo_account()
    if existing is not None:
        return existing
    try:
        return create_user(DEMO_EMAIL, secrets.token_urlsafe(9), admin=True, demo=True)
    except ValueError:
        # Another worker created it between our check and our insert.
        return demo_account()


users_cli = AppGroup("users", help="Manage the dashboard's local accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", help="The password; asked for when left out.")
@click.option("--admin", is_flag=True, help="Allow settings, event log and user management.")
@click.option("--recrubo-user-id", help="The Recrubo User this account acts as in embeddables.")
def create_command(email: str, password: str | None, admin: bool, recrubo_user_id: str | None) -> None:
    """Create a local account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, admin=admin, recrubo_user_id=recrubo_user_id)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {'admin' if user.is_admin else 'recruiter'} account {user.email}.")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password", help="The new password; asked for when left out.")
def set_password_command(email: str, password: str | None) -> None:
    """Give an account a new password; its sessions end everywhere."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {normalize_email(email)}")
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        set_password(user.id, password)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"New password set for {user.email}; its sessions were ended.")


def init_app(app: Flask) -> None:
    """Register the `flask users` command group."""
    app.cli.add_command(users_cli)
