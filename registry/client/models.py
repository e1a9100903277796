"""The registry's vocabulary as types: identifiers, references, registered schemas, levels.

`SchemaId`, `Subject` and `Version` are distinct types so that a version number cannot be
passed where a registry-wide id is expected. `CompatibilityLevel` and `Mode` parse
case-insensitively and print upper-case, as Confluent's API does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NewType

SchemaId = NewType("SchemaId", int)
Subject = NewType("Subject", str)
Version = NewType("Version", int)

MAX_VERSION = 2**31 - 1


class SchemaType(enum.StrEnum):
    AVRO = "AVRO"
    JSON = "JSON"
    PROTOBUF = "PROTOBUF"


class CompatibilityLevel(enum.StrEnum):
    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @classmethod
    def parse(cls, text: str) -> CompatibilityLevel:
        """The level named by `text`, in any letter case; ValueError otherwise."""
        return cls(text.strip().upper())

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        """New schemas must read data written with old ones."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        """Old schemas must read data written with new ones."""
        return self.value.startswith(("FORWARD", "FULL"))


class Mode(enum.StrEnum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    IMPORT = "IMPORT"

    @classmethod
    def parse(cls, text: str) -> Mode:
        return cls(text.strip().upper())


@dataclass(frozen=True)
class SchemaReference:
    """A named type that a schema uses, defined by `subject` at `version`."""

    name: str
    subject: Subject
    version: Version

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True)
class RegisteredSchema:
    """One version of a subject, as the registry answers it."""

    id: SchemaId
    subject: Subject
    version: Version
    schema: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[SchemaReference, ...] = field(default=())
