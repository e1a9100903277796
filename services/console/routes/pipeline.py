"""The pipeline: dead letters grouped by reason (with replay), where an event or a Kafka
offset landed in the warehouse, and rows and freshness per event type."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services.console.errors import BadInputError, UnavailableError
from services.console.routes import console, int_arg
from services.console.security import write_action

blueprint = Blueprint("pipeline", __name__)


@blueprint.get("/pipeline")
def index() -> str:
    pipeline = console().pipeline
    freshness: list[Any] = []
    schema_map: list[Any] = []
    warehouse_error = None
    try:
        freshness = pipeline.freshness()
        schema_map = pipeline.schema_map()
    except UnavailableError as exc:
        warehouse_error = exc.message
    return render_template(
        "pipeline.html",
        letters=pipeline.dead_letters(),
        freshness=freshness,
        schema_map=schema_map,
        warehouse_error=warehouse_error,
        database=pipeline.database,
    )


@blueprint.get("/pipeline/find")
def find() -> str:
    pipeline = console().pipeline
    event_id = request.args.get("event_id", "").strip()
    topic = request.args.get("topic", "").strip()
    if event_id:
        landings = pipeline.find_event(event_id)
        looked_for = f"event id {event_id}"
    elif topic:
        partition = int_arg(request.args.get("partition"), "partition", default=0)
        offset = int_arg(request.args.get("offset"), "offset")
        landings = pipeline.find_offset(topic, partition, offset)
        looked_for = f"{topic}[{partition}]@{offset}"
    else:
        raise BadInputError("give an event id, or a topic, partition and offset")
    return render_template("find.html", landings=landings, looked_for=looked_for)


@blueprint.get("/pipeline/dead-letters/<int:partition>/<int:offset>")
def letter(partition: int, offset: int) -> str:
    return render_template("letter.html", letter=console().pipeline.letter(partition, offset))


@blueprint.post("/pipeline/dead-letters/<int:partition>/<int:offset>/replay")
@write_action
def replay(partition: int, offset: int) -> Response:
    letter, delivered = console().pipeline.replay(partition, offset)
    flash(
        f"replayed {letter.source} to {delivered.topic} partition {delivered.partition} "
        f"at offset {delivered.offset}"
    )
    return redirect(url_for("pipeline.index"))
