"""Produce: a message typed against the latest schema of a subject, from a form generated
from the schema or from pasted JSON."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.client.models import Subject
from registry.client.serdes import topic_name
from services.console.errors import BadInputError
from services.console.forms import form_fields, payload_from_form, skeleton
from services.console.producing import PayloadProblemsError, ProduceService, parse_json_payload
from services.console.routes import console
from services.console.security import write_action

blueprint = Blueprint("produce", __name__)


def _service() -> ProduceService:
    app = console()
    return ProduceService(app.cluster, app.registry)


def _render(
    topic: str, subject: Subject, problems: list[dict[str, str]], status: int
) -> tuple[str, int]:
    app = console()
    app.cluster.topic(topic)
    latest = _service().latest(subject)
    try:
        fields = form_fields(latest.schema)
    except ValueError as exc:
        raise BadInputError(f"the latest schema of {subject!r} cannot make a form: {exc}") from exc
    return (
        render_template(
            "produce.html",
            topic=topic,
            subject=subject,
            schema=latest,
            fields=fields,
            skeleton=request.form.get("json") or skeleton(fields),
            form=request.form,
            problems=problems,
            mode=request.form.get("mode", "form"),
        ),
        status,
    )


@blueprint.get("/topics/<topic>/produce")
def form(topic: str) -> tuple[str, int]:
    subject = Subject(request.args.get("subject") or topic_name(topic))
    return _render(topic, subject, [], 200)


@blueprint.post("/topics/<topic>/produce")
@write_action
def send(topic: str) -> Response | tuple[str, int]:
    subject = Subject(request.form.get("subject") or topic_name(topic))
    service = _service()
    try:
        if request.form.get("mode") == "json":
            payload = parse_json_payload(request.form.get("json", ""))
        else:
            fields = form_fields(service.latest(subject).schema)
            payload, problems = payload_from_form(fields, request.form)
            if problems:
                raise PayloadProblemsError(problems)
        produced = service.produce(topic, subject, payload, request.form.get("key", ""))
    except PayloadProblemsError as exc:
        return _render(topic, subject, exc.problems, 422)
    where = produced.delivered
    flash(
        f"produced to {where.topic} partition {where.partition} at offset {where.offset} "
        f"with {subject} v{produced.schema.version}"
    )
    return redirect(
        url_for("messages.message", topic=topic, partition=where.partition, offset=where.offset)
    )
