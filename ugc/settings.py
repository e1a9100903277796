"""The base of every process's settings: `UGC_*` environment variables, read once.

Each process (registry, api, etl, console, the local stack) declares one subclass of
`UgcSettings`. Because all processes share one environment, a variable is "unknown" only
when no settings class anywhere declares it; `warn_unknown_environment` names such
variables instead of letting a typo fall back silently to a default.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

# Read by tools rather than by a process's settings class.
_TOOL_VARIABLES = {"UGC_CACHE_DIR", "UGC_KAFKA_LIBS", "UGC_KAFKA_HEAP"}
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


class StackSettings(UgcSettings):
    """Where the local stack keeps its state, and the ports it binds."""

    data_dir: Path = Path("var")
    kafka_port: int = 9092
    registry_port: int = 8081
    api_port: int = 8000
