"""GET /api/openapi.json and the Swagger UI at /api/docs, whose JavaScript and CSS are
served from the `swagger-ui-bundle` package, so the page works without reaching a CDN."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from services.api.catalog.event_types import EventCatalog
from services.api.http import answer
from services.api.openapi import DocumentCache

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>ugc ingest API</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#swagger-ui"});
  </script>
</body>
</html>
"""


def blueprint(catalog: EventCatalog, documents: DocumentCache) -> Blueprint:
    routes = Blueprint("docs", __name__)

    @routes.get("/api/openapi.json")
    def openapi() -> Response:
        return answer(documents.document(catalog.snapshot()))

    @routes.get("/api/docs")
    def docs() -> Response:
        return Response(_PAGE, mimetype="text/html")

    @routes.get("/api/docs/assets/<path:name>")
    def assets(name: str) -> Response:
        return send_from_directory(swagger_ui_path, name, max_age=3600)

    return routes
