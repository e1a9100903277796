"""`/compatibility`: would this schema be accepted, and if not, why."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.server.http import answer, flag, json_body, schema_request, subject_arg, version_arg
from registry.server.queries import VersionSpec
from registry.server.service import RegistryService


def blueprint(service: RegistryService) -> Blueprint:
    routes = Blueprint("compatibility", __name__)

    def verdict(subject: str, spec: VersionSpec | None) -> Response:
        messages = service.check(subject_arg(subject), spec, schema_request(json_body()))
        shaped: dict[str, object] = {"is_compatible": not messages}
        if flag("verbose"):
            shaped["messages"] = messages
        return answer(shaped)

    @routes.post("/compatibility/subjects/<subject:subject>/versions/<version>")
    def against_version(subject: str, version: str) -> Response:
        return verdict(subject, version_arg(version))

    @routes.post("/compatibility/subjects/<subject:subject>/versions")
    def against_all(subject: str) -> Response:
        return verdict(subject, None)

    return routes
