"""Consumer groups: the list with their total lag, one group's members, committed offsets
and lag per partition, and an offset reset (refused by Kafka while the group has members)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services.console.errors import BadInputError, ConsoleError
from services.console.routes import console, int_arg
from services.console.routes.messages import parse_time
from services.console.security import write_action

blueprint = Blueprint("groups", __name__)

_LAG_FOR_AT_MOST = 50


@blueprint.get("/groups")
def index() -> str:
    cluster = console().cluster
    groups = cluster.groups()
    lags: dict[str, int | None] = {}
    for summary in groups[:_LAG_FOR_AT_MOST]:
        try:
            lags[summary.group_id] = cluster.group(summary.group_id).lag
        except ConsoleError:
            lags[summary.group_id] = None
    return render_template("groups.html", groups=groups, lags=lags)


@blueprint.get("/groups/<group_id>")
def show(group_id: str) -> str:
    group = console().cluster.group(group_id)
    return render_template("group.html", group=group)


@blueprint.post("/groups/<group_id>/reset")
@write_action
def reset(group_id: str) -> Response:
    cluster = console().cluster
    topic_name = request.form.get("topic", "")
    if request.form.get("confirm") != group_id:
        raise BadInputError(f"type the group's name ({group_id}) to confirm the reset")
    topic = cluster.topic(topic_name)
    to = request.form.get("to", "")
    offsets = []
    for state in topic.partitions:
        if to == "earliest":
            offset = state.low
        elif to == "latest":
            offset = state.high
        elif to == "offset":
            offset = int_arg(request.form.get("value"), "offset")
            offset = max(state.low, min(offset, state.high))
        elif to == "timestamp":
            found = cluster.offset_for_time(
                topic.name, state.partition, parse_time(request.form.get("value", ""))
            )
            offset = state.high if found is None else found
        else:
            raise BadInputError("reset to earliest, latest, offset or timestamp")
        offsets.append((topic.name, state.partition, offset))
    cluster.reset_offsets(group_id, offsets)
    flash(f"reset {group_id} on {topic.name} to {to}")
    return redirect(url_for("groups.show", group_id=group_id))
