"""`/config` and `/mode`: compatibility levels and modes, global and per subject."""

from __future__ import annotations

from flask import Blueprint, Response

from registry.client.models import CompatibilityLevel, Mode, Subject
from registry.server import errors
from registry.server.http import answer, flag, json_body, subject_arg
from registry.server.service import CONFIG, MODE, RegistryService


def _level(body: dict[str, object]) -> CompatibilityLevel:
    raw = body.get("compatibility", body.get("compatibilityLevel"))
    try:
        return CompatibilityLevel.parse(str(raw)) if isinstance(raw, str) else _bad_level(raw)
    except ValueError:
        return _bad_level(raw)


def _bad_level(raw: object) -> CompatibilityLevel:
    allowed = ", ".join(level.value for level in CompatibilityLevel)
    raise errors.InvalidCompatibilityLevelError(
        f"Invalid compatibility level {raw!r}. Valid values are: {allowed}"
    )


def _mode(body: dict[str, object]) -> Mode:
    raw = body.get("mode")
    try:
        if isinstance(raw, str):
            return Mode.parse(raw)
    except ValueError:
        pass
    allowed = ", ".join(mode.value for mode in Mode)
    raise errors.InvalidModeError(f"Invalid mode {raw!r}. Valid values are: {allowed}")


def blueprint(service: RegistryService) -> Blueprint:
    routes = Blueprint("config", __name__)

    def subject_or_global(subject: str | None) -> Subject | None:
        return None if subject is None else subject_arg(subject)

    @routes.get("/config")
    @routes.get("/config/<subject:subject>")
    def get_config(subject: str | None = None) -> Response:
        level = service.setting(CONFIG, subject_or_global(subject), flag("defaultToGlobal"))
        return answer({"compatibilityLevel": level.value})

    @routes.put("/config")
    @routes.put("/config/<subject:subject>")
    def put_config(subject: str | None = None) -> Response:
        level = service.set_setting(CONFIG, subject_or_global(subject), _level(json_body()))
        return answer({"compatibility": level.value})

    @routes.delete("/config")
    @routes.delete("/config/<subject:subject>")
    def delete_config(subject: str | None = None) -> Response:
        level = service.delete_setting(CONFIG, subject_or_global(subject))
        return answer({"compatibilityLevel": level.value})

    @routes.get("/mode")
    @routes.get("/mode/<subject:subject>")
    def get_mode(subject: str | None = None) -> Response:
        mode = service.setting(MODE, subject_or_global(subject), flag("defaultToGlobal"))
        return answer({"mode": mode.value})

    @routes.put("/mode")
    @routes.put("/mode/<subject:subject>")
    def put_mode(subject: str | None = None) -> Response:
        mode = service.set_setting(MODE, subject_or_global(subject), _mode(json_body()))
        return answer({"mode": mode.value})

    @routes.delete("/mode/<subject:subject>")
    def delete_mode(subject: str) -> Response:
        return answer({"mode": service.delete_setting(MODE, subject_arg(subject)).value})

    return routes
