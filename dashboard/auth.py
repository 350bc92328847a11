"""Sign-in and sign-out (`/login`, `/logout`); the session guard itself is `core.sessions`."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from dashboard.core.sessions import start_session
from dashboard.db import users

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """The sign-in form: fields `email`, `password` and `csrf_token`."""

    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def safe_next(target: str | None) -> str:
    """A local path to continue to after sign-in; anything pointing off-site becomes the home page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in target):
        return url_for("home.index")
    return target


def _on_this_machine() -> bool:
    """True for a browser on the server's own machine: the demo password is shown to nobody else."""
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False  # a proxy stands between: whoever is behind it is not on this machine
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; a right e-mail and password start a fresh session."""
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            log.info("sign-in user=%s", user.id)
            return redirect(safe_next(request.args.get("next")))
        log.info("sign-in refused for %r", form.email.data[:320])
        error, status = "That e-mail and password do not match an account.", 401
    elif request.method == "POST":
        error, status = "Please fill in your e-mail and password.", 400
    demo = users.demo_account() if current_app.config["RECRUBO"].embedded_sandbox and _on_this_machine() else None
    return render_template("auth/login.html", form=form, error=error, demo=demo), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End every session of the account (a copied cookie included) and its live sockets; go to sign-in."""
    user_id = session.get("user_id")
    log.info("sign-out user=%s", user_id)
    if user_id is not None:
        users.end_sessions(user_id)
    session.clear()
    return redirect(url_for("auth.login"))

