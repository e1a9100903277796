"""Topics: the list, one topic's partitions and configuration, create and delete."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services.console.browse import schema_usage
from services.console.errors import BadInputError
from services.console.routes import console, int_arg
from services.console.security import write_action

blueprint = Blueprint("topics", __name__)

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


def _configs(text: str) -> dict[str, str]:
    configs = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"config line {number} is not name=value: {line[:60]!r}")
        configs[name.strip()] = value.strip()
    return configs


@blueprint.get("/")
def home() -> Response:
    return redirect(url_for("topics.index"))


@blueprint.get("/topics")
def index() -> str:
    show_internal = request.args.get("internal") == "1"
    topics = [t for t in console().cluster.topics() if show_internal or not t.internal]
    return render_template("topics.html", topics=topics, show_internal=show_internal)


@blueprint.post("/topics")
@write_action
def create() -> Response:
    name = request.form.get("name", "").strip()
    if not _TOPIC_NAME.match(name) or name in (".", ".."):
        raise BadInputError(
            "a topic name is 1 to 249 letters, digits, '.', '_' or '-' (and not '.' or '..')"
        )
    partitions = int_arg(request.form.get("partitions"), "partitions", default=1, low=1, high=1000)
    replication = int_arg(
        request.form.get("replication"), "replication factor", default=1, low=1, high=16
    )
    console().cluster.create_topic(
        name, partitions, replication, _configs(request.form.get("configs", ""))
    )
    flash(f"created topic {name} with {partitions} partition(s)")
    return redirect(url_for("topics.show", name=name))


@blueprint.get("/topics/<name>")
def show(name: str) -> str:
    topic = console().cluster.topic(name, configs=True)
    return render_template("topic.html", topic=topic)


@blueprint.post("/topics/<name>/delete")
@write_action
def delete(name: str) -> Response:
    if request.form.get("confirm", "") != name:
        raise BadInputError(f"type the topic's name ({name}) to confirm the delete")
    console().cluster.delete_topic(name)
    flash(f"deleted topic {name}")
    return redirect(url_for("topics.index"))


@blueprint.get("/topics/<name>/schemas")
def schemas_seen(name: str) -> str:
    sample = int_arg(request.args.get("sample"), "sample", default=1000, low=1, high=100_000)
    app = console()
    usage, scanned = schema_usage(app.cluster, app.decoder, name, sample)
    return render_template(
        "topic_schemas.html", name=name, usage=usage, scanned=scanned, sample=sample
    )
