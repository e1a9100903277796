"""`/subjects`: subjects, their versions, registration, lookup and deletes."""

from __future__ import annotations

from flask import Blueprint, Response, request

from registry.server.http import (
    answer,
    flag,
    json_body,
    raw_schema,
    registered_json,
    schema_request,
    subject_arg,
    version_arg,
)
from registry.server.service import RegistryService


def blueprint(service: RegistryService) -> Blueprint:
    routes = Blueprint("subjects", __name__)

    @routes.get("/subjects")
    def subjects() -> Response:
        return answer(service.subjects(request.args.get("subjectPrefix", ""), flag("deleted")))

    @routes.post("/subjects/<subject:subject>")
    def lookup(subject: str) -> Response:
        request_ = schema_request(json_body())
        found = service.lookup(subject_arg(subject), request_, flag("deleted"))
        return answer(registered_json(found))

    @routes.delete("/subjects/<subject:subject>")
    def delete_subject(subject: str) -> Response:
        return answer(service.delete_subject(subject_arg(subject), flag("permanent")))

    @routes.get("/subjects/<subject:subject>/versions")
    def versions(subject: str) -> Response:
        return answer(service.versions(subject_arg(subject), flag("deleted")))

    @routes.post("/subjects/<subject:subject>/versions")
    def register(subject: str) -> Response:
        request_ = schema_request(json_body())
        return answer({"id": service.register(subject_arg(subject), request_)})

    @routes.get("/subjects/<subject:subject>/versions/<version>")
    def version(subject: str, version: str) -> Response:
        found = service.version(subject_arg(subject), version_arg(version), flag("deleted"))
        return answer(registered_json(found))

    @routes.get("/subjects/<subject:subject>/versions/<version>/schema")
    def version_schema(subject: str, version: str) -> Response:
        found = service.version(subject_arg(subject), version_arg(version), flag("deleted"))
        return raw_schema(found.schema)

    @routes.delete("/subjects/<subject:subject>/versions/<version>")
    def delete_version(subject: str, version: str) -> Response:
        deleted = service.delete_version(
            subject_arg(subject), version_arg(version), flag("permanent")
        )
        return answer(deleted)

    @routes.get("/subjects/<subject:subject>/versions/<version>/referencedby")
    def referenced_by(subject: str, version: str) -> Response:
        return answer(service.referenced_by(subject_arg(subject), version_arg(version)))

    return routes
