"""`RegistryClient`: the HTTP client for a Confluent-compatible schema registry (7.x dialect).

It owns the conversation with the registry: URLs with percent-encoded subjects, the
registry's media type, basic auth, timeouts, one pooled `httpx.Client`, the caches that make
a hot path free of round trips, and the translation of every failure into
`registry.client.errors` exactly once, here. It satisfies `SchemaRegistry`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

import httpx

from registry.client.errors import RegistryError, RegistryUnavailableError, error_from_response
from registry.client.models import (
    CompatibilityLevel,
    Mode,
    RegisteredSchema,
    SchemaId,
    SchemaReference,
    SchemaType,
    Subject,
    Version,
)
from registry.client.protocol import CompatibilityResult, Latest, SchemaDefinition

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
_HEADERS = {
    "Content-Type": MEDIA_TYPE,
    "Accept": f"{MEDIA_TYPE}, application/vnd.schemaregistry+json, application/json",
}


def _path(*segments: str | int) -> str:
    # safe="" so that a "/" inside a subject name cannot become a path separator.
    return "/" + "/".join(quote(str(segment), safe="") for segment in segments)


def _references_json(references: Sequence[SchemaReference]) -> list[dict[str, object]]:
    return [reference.to_json() for reference in references]


def _schema_body(
    schema: str, schema_type: SchemaType, references: Sequence[SchemaReference]
) -> dict[str, object]:
    body: dict[str, object] = {"schema": schema}
    # The 7.x dialect omits schemaType for Avro; sending it would confuse old registries.
    if schema_type is not SchemaType.AVRO:
        body["schemaType"] = schema_type.value
    if references:
        body["references"] = _references_json(references)
    return body


def _parse_references(raw: object) -> tuple[SchemaReference, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        SchemaReference(
            str(ref["name"]), Subject(str(ref["subject"])), Version(int(ref["version"]))
        )
        for ref in raw
    )


def _parse_registered(body: Mapping[str, Any]) -> RegisteredSchema:
    return RegisteredSchema(
        id=SchemaId(int(body["id"])),
        subject=Subject(str(body["subject"])),
        version=Version(int(body["version"])),
        schema=str(body["schema"]),
        schema_type=SchemaType(body.get("schemaType", SchemaType.AVRO)),
        references=_parse_references(body.get("references")),
    )


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _answer_shape_checked(method: Callable[_P, _T]) -> Callable[_P, _T]:
    """Turn an answer of the wrong shape (a missing key, a bad level) into a RegistryError,
    so that no KeyError or ValueError from parsing escapes this boundary."""

    @functools.wraps(method)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(*args, **kwargs)
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryError(f"unexpected answer from the registry: {exc!r}") from exc

    return checked


def _bool(flag: bool) -> str:
    return "true" if flag else "false"


class RegistryClient:
    """A synchronous, thread-safe client for one registry at `url`.

    `url` may carry `user:password@` instead of the keyword arguments. The password is handed
    to httpx and never kept in a printable attribute or logged. Use it as a context manager,
    or call `close()`, to release pooled connections.
    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.username and username is None:
            username, password = parsed.username, parsed.password
        # The printable URL never carries the credentials.
        self.url = str(parsed.copy_with(username=None, password=None)).rstrip("/")
        self.username = username
        auth = httpx.BasicAuth(username, password or "") if username is not None else None
        self._http = httpx.Client(
            base_url=self.url,
            auth=auth,
            headers=_HEADERS,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
        )
        # Schemas are immutable once they have an id, so both caches are valid forever; a
        # race between threads only costs a duplicate fetch, never a wrong answer.
        self._definitions: dict[SchemaId, SchemaDefinition] = {}
        self._ids: dict[tuple[Subject, str, tuple[SchemaReference, ...]], SchemaId] = {}

    def __repr__(self) -> str:
        who = f" as {self.username!r}" if self.username else ""
        return f"RegistryClient({self.url!r}{who})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: object = None,
    ) -> Any:
        """The decoded JSON answer, or the RegistryError that stands for the failure."""
        try:
            response = self._http.request(method, path, params=params, json=body)
        except httpx.TransportError as exc:  # refused, reset, timed out, protocol garbage
            raise RegistryUnavailableError(
                f"registry {self.url} unreachable: {method} {path}: {exc!r}"
            ) from exc
        log.debug("%s %s -> %d", method, path, response.status_code)
        if response.is_error:
            raise error_from_response(response.status_code, response.content)
        try:
            return response.json()
        except ValueError as exc:
            raise RegistryError(
                f"registry answered {method} {path} with non-JSON content",
                status=response.status_code,
            ) from exc

    # Schemas and versions.

    @_answer_shape_checked
    def register(
        self,
        subject: Subject,
        schema: str,
        *,
        references: Sequence[SchemaReference] = (),
        normalize: bool = False,
        schema_type: SchemaType = SchemaType.AVRO,
    ) -> SchemaId:
        key = (subject, schema, tuple(references))
        if (cached := self._ids.get(key)) is not None:
            return cached
        params = {"normalize": "true"} if normalize else None
        answer = self._request(
            "POST",
            _path("subjects", subject, "versions"),
            params=params,
            body=_schema_body(schema, schema_type, references),
        )
        schema_id = SchemaId(int(answer["id"]))
        self._ids[key] = schema_id
        log.debug("registered under %s: id %d", subject, schema_id)
        return schema_id

    @_answer_shape_checked
    def lookup(
        self,
        subject: Subject,
        schema: str,
        references: Sequence[SchemaReference] = (),
        *,
        schema_type: SchemaType = SchemaType.AVRO,
    ) -> RegisteredSchema:
        answer = self._request(
            "POST", _path("subjects", subject), body=_schema_body(schema, schema_type, references)
        )
        registered = _parse_registered(answer)
        self._ids[(subject, schema, tuple(references))] = registered.id
        return registered

    @_answer_shape_checked
    def get_schema_by_id(self, schema_id: SchemaId) -> SchemaDefinition:
        if (cached := self._definitions.get(schema_id)) is not None:
            return cached
        answer = self._request("GET", _path("schemas", "ids", schema_id))
        definition = SchemaDefinition(
            schema=str(answer["schema"]),
            schema_type=SchemaType(answer.get("schemaType", SchemaType.AVRO)),
            references=_parse_references(answer.get("references")),
        )
        self._definitions[schema_id] = definition
        return definition

    @_answer_shape_checked
    def get_schema(self, schema_id: SchemaId) -> str:
        return self.get_schema_by_id(schema_id).schema

    @_answer_shape_checked
    def get_subject_versions(self, schema_id: SchemaId) -> list[tuple[Subject, Version]]:
        """Every (subject, version) that holds the schema with this id."""
        answer = self._request("GET", _path("schemas", "ids", schema_id, "versions"))
        return [(Subject(item["subject"]), Version(int(item["version"]))) for item in answer]

    @_answer_shape_checked
    def get_version(self, subject: Subject, version: Version | Latest) -> RegisteredSchema:
        answer = self._request("GET", _path("subjects", subject, "versions", version))
        return _parse_registered(answer)

    @_answer_shape_checked
    def get_latest(self, subject: Subject) -> RegisteredSchema:
        return self.get_version(subject, "latest")

    @_answer_shape_checked
    def list_subjects(self, prefix: str | None = None, *, deleted: bool = False) -> list[Subject]:
        params = {"deleted": _bool(deleted)}
        if prefix is not None:
            params["subjectPrefix"] = prefix
        return [Subject(name) for name in self._request("GET", "/subjects", params=params)]

    @_answer_shape_checked
    def list_versions(self, subject: Subject) -> list[Version]:
        return [
            Version(int(v)) for v in self._request("GET", _path("subjects", subject, "versions"))
        ]

    @_answer_shape_checked
    def delete_subject(self, subject: Subject, *, permanent: bool = False) -> list[Version]:
        """Soft-delete, or (`permanent`) purge an already soft-deleted subject."""
        answer = self._request(
            "DELETE", _path("subjects", subject), params={"permanent": _bool(permanent)}
        )
        self._forget(subject)
        return [Version(int(v)) for v in answer]

    @_answer_shape_checked
    def delete_version(
        self, subject: Subject, version: Version | Latest, *, permanent: bool = False
    ) -> Version:
        """Soft-delete, or (`permanent`) purge an already soft-deleted version."""
        answer = self._request(
            "DELETE",
            _path("subjects", subject, "versions", version),
            params={"permanent": _bool(permanent)},
        )
        self._forget(subject)
        return Version(int(answer))

    def _forget(self, subject: Subject) -> None:
        """Drop the subject's cached registrations: after a delete, registering the same
        schema again must reach the registry to create its new version."""
        for key in [key for key in self._ids if key[0] == subject]:
            self._ids.pop(key, None)

    # Compatibility and mode.

    @_answer_shape_checked
    def get_compatibility(self, subject: Subject | None = None) -> CompatibilityLevel:
        if subject is None:
            answer = self._request("GET", "/config")
        else:
            answer = self._request(
                "GET", _path("config", subject), params={"defaultToGlobal": "true"}
            )
        return CompatibilityLevel.parse(answer["compatibilityLevel"])

    @_answer_shape_checked
    def set_compatibility(
        self, level: CompatibilityLevel, subject: Subject | None = None
    ) -> CompatibilityLevel:
        path = "/config" if subject is None else _path("config", subject)
        answer = self._request("PUT", path, body={"compatibility": level.value})
        return CompatibilityLevel.parse(answer["compatibility"])

    @_answer_shape_checked
    def delete_compatibility(self, subject: Subject) -> CompatibilityLevel:
        """Drop the subject's own level (it falls back to the global one); answers the old."""
        answer = self._request("DELETE", _path("config", subject))
        return CompatibilityLevel.parse(answer["compatibilityLevel"])

    @_answer_shape_checked
    def test_compatibility(
        self,
        subject: Subject,
        schema: str,
        version: Version | Latest | None = "latest",
        references: Sequence[SchemaReference] = (),
        *,
        schema_type: SchemaType = SchemaType.AVRO,
    ) -> CompatibilityResult:
        segments: tuple[str | int, ...] = ("compatibility", "subjects", subject, "versions")
        if version is not None:
            segments += (version,)
        answer = self._request(
            "POST",
            _path(*segments),
            params={"verbose": "true"},
            body=_schema_body(schema, schema_type, references),
        )
        messages = answer.get("messages") or []
        return CompatibilityResult(bool(answer["is_compatible"]), [str(m) for m in messages])

    @_answer_shape_checked
    def get_mode(self, subject: Subject | None = None) -> Mode:
        if subject is None:
            answer = self._request("GET", "/mode")
        else:
            answer = self._request(
                "GET", _path("mode", subject), params={"defaultToGlobal": "true"}
            )
        return Mode.parse(answer["mode"])

    @_answer_shape_checked
    def set_mode(self, mode: Mode, subject: Subject | None = None) -> Mode:
        path = "/mode" if subject is None else _path("mode", subject)
        return Mode.parse(self._request("PUT", path, body={"mode": mode.value})["mode"])
