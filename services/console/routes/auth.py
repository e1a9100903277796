"""Logging in and out: the login form takes the user name and password, or the token."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services.console import security
from services.console.routes import console

blueprint = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only paths on this console: never an absolute URL an attacker chose.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("topics.index")


@blueprint.get("/login")
def login_form() -> str:
    return render_template("login.html", next=_safe_next(request.args.get("next")), error=None)


@blueprint.post("/login")
def login() -> Response | tuple[str, int]:
    settings = console().settings
    user = security.log_in(
        settings,
        request.form.get("username", ""),
        request.form.get("password", ""),
        request.form.get("token", ""),
    )
    target = _safe_next(request.form.get("next"))
    if user is None:
        error = "those credentials do not match"
        if not settings.can_log_in():
            error = "no login is configured (UGC_CONSOLE_PASSWORD or UGC_CONSOLE_TOKEN)"
        return render_template("login.html", next=target, error=error), 401
    flash(f"logged in as {user}")
    return redirect(target)


@blueprint.post("/logout")
def logout() -> Response:
    security.log_out()
    return redirect(url_for("topics.index"))
