"""`/schemas`: schemas by their registry-wide id, and the listing of every schema."""

from __future__ import annotations

from flask import Blueprint, Response, request

from registry.client.models import SchemaType
from registry.server.http import answer, flag, raw_schema, registered_json
from registry.server.records import schema_fields
from registry.server.service import RegistryService


def blueprint(service: RegistryService) -> Blueprint:
    routes = Blueprint("schemas", __name__)

    @routes.get("/schemas/types")
    def types() -> Response:
        return answer([SchemaType.AVRO.value])

    @routes.get("/schemas")
    def every_schema() -> Response:
        found = service.all_schemas(
            request.args.get("subjectPrefix", ""), flag("deleted"), flag("latestOnly")
        )
        return answer([registered_json(item) for item in found])

    @routes.get("/schemas/ids/<int:schema_id>")
    def by_id(schema_id: int) -> Response:
        stored = service.schema_by_id(schema_id)
        return answer(schema_fields(stored.schema, stored.schema_type, stored.references))

    @routes.get("/schemas/ids/<int:schema_id>/schema")
    def text_by_id(schema_id: int) -> Response:
        return raw_schema(service.schema_by_id(schema_id).schema)

    @routes.get("/schemas/ids/<int:schema_id>/subjects")
    def subjects_of_id(schema_id: int) -> Response:
        versions = service.versions_of_id(schema_id, flag("deleted"))
        return answer(sorted({v.subject for v in versions}))

    @routes.get("/schemas/ids/<int:schema_id>/versions")
    def versions_of_id(schema_id: int) -> Response:
        versions = service.versions_of_id(schema_id, flag("deleted"))
        return answer([{"subject": v.subject, "version": v.version} for v in versions])

    return routes
