"""Schemas: subjects, one subject's versions and compatibility level, a side-by-side diff of
two versions, changing the level, and checking a pasted schema."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.client.models import CompatibilityLevel, Subject, Version
from services.console.routes import console
from services.console.schemas import parse_version, pretty_schema
from services.console.security import write_action

blueprint = Blueprint("schemas", __name__)


@blueprint.get("/schemas")
def index() -> str:
    return render_template("schemas.html", subjects=console().schemas.subjects())


def _subject_page(subject: Subject, check: object = None, pasted: str = "") -> str:
    service = console().schemas
    versions = service.versions(subject)
    return render_template(
        "subject.html",
        subject=subject,
        versions=versions,
        latest=versions[-1] if versions else None,
        latest_text=pretty_schema(versions[-1].schema) if versions else "",
        level=service.level(subject),
        levels=list(CompatibilityLevel),
        check=check,
        pasted=pasted,
    )


@blueprint.get("/schemas/<path:subject>/diff")
def diff(subject: str) -> str:
    service = console().schemas
    versions = service.versions(Subject(subject))
    newest = versions[-1].version
    right = parse_version(request.args.get("right"), "right", lambda: newest)
    left = parse_version(request.args.get("left"), "left", lambda: Version(max(1, right - 1)))
    result = service.diff(Subject(subject), left, right)
    return render_template("diff.html", diff=result, versions=versions)


@blueprint.get("/schemas/<path:subject>")
def show(subject: str) -> str:
    return _subject_page(Subject(subject))


@blueprint.post("/schemas/<path:subject>/level")
@write_action
def set_level(subject: str) -> Response:
    level = console().schemas.set_level(Subject(subject), request.form.get("level", ""))
    flash(f"{subject}: compatibility level is now {level.value}")
    return redirect(url_for("schemas.show", subject=subject))


@blueprint.post("/schemas/<path:subject>/check")
def check(subject: str) -> str:
    # A check changes nothing, so it is allowed read-only (the CSRF token is still checked).
    pasted = request.form.get("schema", "")
    verdict = console().schemas.check(
        Subject(subject), pasted, request.form.get("against") == "all"
    )
    return _subject_page(Subject(subject), verdict, pasted)
