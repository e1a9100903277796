"""Who may do what: the login, the CSRF token of every form, and the guard on writes.

Reading needs nothing. Every POST must carry the session's CSRF token (form field
`csrf_token` or header `X-CSRF-Token`), compared in constant time; the token lives in the
signed session cookie (HttpOnly, SameSite=Lax). A write (`@write_action`) also needs the
console to accept writes (`ConsoleSettings.why_read_only`) and a logged-in session. The
login takes the configured user name and password, or the token, each compared in
constant time.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app, request, session

from services.console.errors import CsrfError, LoginRequiredError, ReadOnlyError
from services.console.settings import ConsoleSettings

P = ParamSpec("P")
R = TypeVar("R")

_CSRF = "csrf"
_USER = "user"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


def check_csrf() -> None:
    """Raise CsrfError unless this unsafe request carries the session's token."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get(_CSRF)
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected, sent):
        raise CsrfError(
            "the form's CSRF token is missing or does not match this session; "
            "reload the page and try again"
        )


def current_user() -> str | None:
    user = session.get(_USER)
    return user if isinstance(user, str) else None


def _same(secret: str, offered: str) -> bool:
    return hmac.compare_digest(secret.encode(), offered.encode())


def log_in(settings: ConsoleSettings, username: str, password: str, token: str) -> str | None:
    """The user now logged in, or None when the credentials do not match."""
    token_secret = settings.console_token
    if token_secret is not None and token and _same(token_secret.get_secret_value(), token):
        return _start_session("token")
    if settings.console_password is not None and password:
        user_ok = _same(settings.console_username, username)
        if _same(settings.console_password.get_secret_value(), password) and user_ok:
            return _start_session(username)
    return None


def _start_session(user: str) -> str:
    session.clear()
    session[_USER] = user
    session[_CSRF] = secrets.token_urlsafe(32)
    return user


def log_out() -> None:
    session.clear()


def settings() -> ConsoleSettings:
    found = current_app.extensions["ugc.console"].settings
    assert isinstance(found, ConsoleSettings)
    return found


def require_write() -> str:
    """The logged-in user allowed to write; ReadOnlyError or LoginRequiredError otherwise."""
    why = settings().why_read_only()
    if why is not None:
        raise ReadOnlyError(f"refused: {why}")
    user = current_user()
    if user is None:
        raise LoginRequiredError("log in before changing anything")
    return user


def write_action(view: Callable[P, R]) -> Callable[P, R]:
    """A view that changes something: it runs only for a logged-in user allowed to write."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        require_write()
        return view(*args, **kwargs)

    return guarded
