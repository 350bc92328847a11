"""Accounts: admins list, create, promote and remove the people who sign in to the dashboard."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from dashboard.core import htmx
from dashboard.core.sessions import admin_required
from dashboard.db import users
from dashboard.recrubo import org_users
from dashboard.recrubo.client import RecruboError, client

log = logging.getLogger(__name__)
bp = Blueprint("accounts", __name__, url_prefix="/settings/users")
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class AccountForm(FlaskForm):
    """A new account: e-mail, password, role and the Recrubo User it acts as in embeddables."""

    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=8, max=1024)])
    admin = BooleanField("Administrator")
    recrubo_user_id = StringField("Recrubo user id", validators=[
        Optional(), Regexp(UUID_PATTERN, message="A Recrubo user id looks like 3c1f9a0e-8b2d-4f6a-9c1e-5d7b2a4e6f80.")])


def render_accounts(form: AccountForm, status: int = 200) -> ResponseReturnValue:
    """The accounts page, or only its panel for an htmx request."""
    return htmx.render("accounts/index.html", "accounts/_panel.html", form=form,
                       accounts=users.all_users()), status


@bp.get("")
@admin_required
def index() -> ResponseReturnValue:
    """Every account, with forms to add one and change roles."""
    return render_accounts(AccountForm(formdata=None))


@bp.post("")
@admin_required
def create() -> ResponseReturnValue:
    """Add an account from the form, or show the form again with what is wrong."""
    form = AccountForm()
    if not form.validate():
        return render_accounts(form, 422)
    try:
        user = users.create_user(form.email.data, form.password.data, admin=form.admin.data,
                                 recrubo_user_id=form.recrubo_user_id.data or None)
    except ValueError as error:
        form.email.errors.append(str(error).capitalize() + ".")
        return render_accounts(form, 422)
    log.info("account %s created by user=%s", user.id, g.user.id)
    return redirect(url_for("accounts.index")) if not htmx.is_partial() else render_accounts(AccountForm(formdata=None))


@bp.post("/<int:user_id>/role")
@admin_required
def change_role(user_id: int) -> ResponseReturnValue:
    """Make an account an admin or a recruiter (never the admin's own)."""
    if user_id == g.user.id:
        abort(409)  # an admin never demotes themself: someone must be left to manage accounts
    if not users.set_admin(user_id, request.form.get("admin") == "1"):
        abort(404)
    log.info("account %s role changed by user=%s", user_id, g.user.id)
    return redirect(url_for("accounts.index")) if not htmx.is_partial() else render_accounts(AccountForm(formdata=None))


@bp.post("/<int:user_id>/recrubo-user")
@admin_required
def link(user_id: int) -> ResponseReturnValue:
    """Link an account to its Recrubo user (a UUID), or unlink it with an empty value."""
    value = request.form.get("recrubo_user_id", "").strip()
    if value and not re.fullmatch(UUID_PATTERN, value):
        abort(422)
    if not users.link_recrubo_user(user_id, value or None):
        abort(404)
    log.info("account %s linked to recrubo user %s by user=%s", user_id, value or "-", g.user.id)
    return redirect(url_for("accounts.index")) if not htmx.is_partial() else render_accounts(AccountForm(formdata=None))


@bp.get("/<int:user_id>/recrubo-users")
@admin_required
def find_recrubo_users(user_id: int) -> ResponseReturnValue:
    """The organization's Recrubo users matching the typed name or e-mail, each with a button linking the account
    to it; when Recrubo cannot be reached, says so and points to the id field."""
    account = users.get_user(user_id)
    if account is None:
        abort(404)
    text = request.args.get("q", "").strip()[:200]
    found, problem = None, None
    if len(text) >= org_users.MIN_SEARCH:
        try:
            found = org_users.search(client(), text)
        except RecruboError as error:
            log.warning("searching recrubo users failed: %s", error.message)
            problem = ("Recrubo can't be reached right now, so its users can't be searched: paste the user's id "
                       "under “Paste an id instead”." if error.kind == "unreachable" else
                       f"Recrubo did not answer the search ({error.message}): paste the user's id under "
                       "“Paste an id instead”.")
    return render_template("accounts/_user_matches.html", account=account, text=text, found=found, problem=problem,
                           min_search=org_users.MIN_SEARCH, display_name=org_users.display_name)


@bp.get("/<int:user_id>/recrubo-user")
@admin_required
def linked_recrubo_user(user_id: int) -> ResponseReturnValue:
    """The name and e-mail of the Recrubo user an account is linked to (its id when Recrubo cannot tell)."""
    account = users.get_user(user_id)
    if account is None or not account.recrubo_user_id:
        abort(404)
    try:
        user = client().find("users", account.recrubo_user_id)
        problem = None if user else "no such user in Recrubo"
    except RecruboError as error:
        user, problem = None, ("Recrubo can't be reached" if error.kind == "unreachable" else error.message)
    return render_template("accounts/_linked_user.html", account=account, user=user, problem=problem,
                           display_name=org_users.display_name)


@bp.post("/<int:user_id>/delete")
@admin_required
def delete(user_id: int) -> ResponseReturnValue:
    """Delete an account (never the admin's own)."""
    if user_id == g.user.id:
        abort(409)
    if not users.delete_user(user_id):
        abort(404)
    log.info("account %s deleted by user=%s", user_id, g.user.id)
    return redirect(url_for("accounts.index")) if not htmx.is_partial() else render_accounts(AccountForm(formdata=None))
