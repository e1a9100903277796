"""The base of every process's settings: `UGC_*` environment variables, read once.

Each process (registry, api, etl, console, the local stack) declares one subclass of
`UgcSettings`, mixing in what it is a client of: `KafkaClientSettings` (bootstrap servers and
SASL/SSL, rendered once as librdkafka's configuration by `kafka_config()`) and
`RegistryClientSettings` (the registry's URL and credentials, `registry_client()`). Because
all processes share one environment, a variable is "unknown" only when no settings class
anywhere declares it; `warn_unknown_environment` names such variables instead of letting a
typo fall back silently to a default.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry.client.client import RegistryClient

log = logging.getLogger(__name__)

# Read by tools rather than by a process's settings class.
_TOOL_VARIABLES = {"UGC_CACHE_DIR", "UGC_KAFKA_LIBS", "UGC_KAFKA_HEAP", "UGC_KAFKA_JVM_OPTS"}
_TEST_PREFIX = "UGC_TEST_"


class UgcSettings(BaseSettings):
    """Settings read from `UGC_<FIELD>` variables; subclasses register themselves."""

    model_config = SettingsConfigDict(env_prefix="UGC_", extra="ignore")
    _known: ClassVar[set[str]] = set()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        UgcSettings._known.update(f"UGC_{name.upper()}" for name in cls.__annotations__)

    def masked(self) -> dict[str, Any]:
        """The settings as a dict with every secret shown as '**********'."""
        shown: dict[str, Any] = {}
        for name, value in self:
            shown[name] = "**********" if isinstance(value, SecretStr) and value else value
        return shown

    def overridden(self, **options: object) -> Self:
        """A copy with the command-line options that were given (None means not given)."""
        return self.model_copy(update={k: v for k, v in options.items() if v is not None})

    def log_once(self, process: str) -> None:
        log.info("%s settings: %s", process, self.masked())
        warn_unknown_environment()


def warn_unknown_environment(environ: dict[str, str] | None = None) -> list[str]:
    """Log a warning for each `UGC_*` variable that no settings class declares."""
    env = os.environ if environ is None else environ
    unknown = sorted(
        name
        for name in env
        if name.startswith("UGC_")
        and name not in UgcSettings._known
        and name not in _TOOL_VARIABLES
        and not name.startswith(_TEST_PREFIX)
    )
    for name in unknown:
        log.warning("ignoring unknown environment variable %s (no UGC setting has that name)", name)
    return unknown


class KafkaClientSettings(UgcSettings):
    """How a process reaches Kafka: UGC_KAFKA_BOOTSTRAP, and for a secured cluster
    UGC_KAFKA_SECURITY_PROTOCOL with UGC_KAFKA_SASL_* and UGC_KAFKA_SSL_*."""

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None  # PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_location: Path | None = None
    kafka_ssl_certificate_location: Path | None = None
    kafka_ssl_key_location: Path | None = None
    kafka_ssl_key_password: SecretStr | None = None

    def kafka_config(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """librdkafka's configuration for these settings (the one place secrets are revealed
        to a Kafka client), with `overrides` on top."""
        options: dict[str, Any] = {
            "bootstrap.servers": self.kafka_bootstrap,
            "security.protocol": self.kafka_security_protocol,
            "sasl.mechanism": self.kafka_sasl_mechanism,
            "sasl.username": self.kafka_sasl_username,
            "sasl.password": _reveal(self.kafka_sasl_password),
            "ssl.ca.location": self.kafka_ssl_ca_location,
            "ssl.certificate.location": self.kafka_ssl_certificate_location,
            "ssl.key.location": self.kafka_ssl_key_location,
            "ssl.key.password": _reveal(self.kafka_ssl_key_password),
        }
        options |= overrides or {}
        return {
            key: str(value) if isinstance(value, Path) else value
            for key, value in options.items()
            if value is not None
        }


class RegistryClientSettings(UgcSettings):
    """How a process reaches the schema registry: UGC_REGISTRY_URL, and HTTP Basic
    credentials UGC_REGISTRY_USERNAME / UGC_REGISTRY_PASSWORD when it asks for them."""

    registry_url: str = "http://127.0.0.1:8081"
    registry_username: str | None = None
    registry_password: SecretStr | None = None

    def registry_client(self, timeout: float = 10.0) -> RegistryClient:
        return RegistryClient(
            self.registry_url,
            username=self.registry_username,
            password=_reveal(self.registry_password),
            timeout=timeout,
        )


def _reveal(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


class StackSettings(UgcSettings):
    """Where the local stack keeps its state, and the ports it binds."""

    data_dir: Path = Path("var")
    kafka_port: int = 9092
    registry_port: int = 8081
    api_port: int = 8000
    warehouse_port: int = 8123
    console_port: int = 8080
    etl_port: int = 8090
