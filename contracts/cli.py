"""`ugc schemas …`: the registration CLI that gates the evolution of the event contracts.

This module owns the command line only: options, settings, the translation of registry and
contract errors into one clear line, and what people and scripts read. The rules live in
`contracts.registration` (plan, check, apply), the field-level comparison in `contracts.diff`,
the printing in `contracts.cli_output`.

Exit codes: 0 success; 1 an incompatible change, invalid contracts, or a registry that is
unreachable or failed; 2 a usage error (unknown option, unknown event type, bad version).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr

from contracts import cli_output as out
from contracts.diff import diff_schemas
from contracts.loading import Contract, load_contracts
from contracts.problems import ContractError
from contracts.registration import (
    Action,
    PartialRegistrationError,
    apply,
    live_versions,
    plan,
    registered_versions,
)
from registry.client.client import RegistryClient
from registry.client.errors import (
    NotFoundError,
    RegistryAuthError,
    RegistryError,
    RegistryUnavailableError,
)
from registry.client.models import RegisteredSchema, Version
from ugc.errors import UgcError
from ugc.settings import RegistryClientSettings, warn_unknown_environment

log = logging.getLogger(__name__)

DEFAULT_EXPORT_DIR = Path("registered-schemas")


class SchemasCliSettings(RegistryClientSettings):
    """Where `ugc schemas` finds the registry: UGC_REGISTRY_URL, _USERNAME, _PASSWORD."""


class SchemasError(UgcError):
    """A `ugc schemas` failure whose message is complete on one line."""


@dataclass(frozen=True)
class Options:
    """The options every subcommand shares, with the settings already applied."""

    schemas_dir: Path
    settings: SchemasCliSettings
    as_json: bool

    @property
    def registry_url(self) -> str:
        return self.settings.registry_url

    def client(self) -> RegistryClient:
        return self.settings.registry_client()

    def contracts(self) -> list[Contract]:
        if not (self.schemas_dir / "manifest.toml").is_file():
            raise SchemasError(
                f"no manifest.toml in {self.schemas_dir}; point --schemas-dir at the contracts"
            )
        try:
            return load_contracts(self.schemas_dir)
        except ContractError as exc:
            if self.as_json:
                out.emit_json({"ok": False, "problems": out.problems_json(exc)})
            raise SchemasError(f"{exc}\nnothing was registered") from exc

    def contract(self, event_type: str) -> Contract:
        contracts = {contract.event_type: contract for contract in self.contracts()}
        if event_type not in contracts:
            known = ", ".join(contracts)
            raise click.BadParameter(
                f"{event_type!r} is not in {self.schemas_dir}/manifest.toml (known: {known})",
                param_hint="EVENT_TYPE",
            )
        return contracts[event_type]


@contextmanager
def _registry_errors(options: Options) -> Iterator[None]:
    """Translate registry failures once, here, into one line for the person at the terminal."""
    url = options.registry_url
    try:
        yield
    except RegistryUnavailableError as exc:
        cause = exc.__cause__ or exc
        raise SchemasError(
            f"cannot reach the schema registry at {url} ({cause!r}); nothing was registered. "
            "Set --registry-url or UGC_REGISTRY_URL."
        ) from exc
    except RegistryAuthError as exc:
        raise SchemasError(
            f"the schema registry at {url} refused the credentials ({exc}); "
            "set --username/--password or UGC_REGISTRY_USERNAME/UGC_REGISTRY_PASSWORD"
        ) from exc
    except PartialRegistrationError:
        raise
    except RegistryError as exc:
        raise SchemasError(f"the schema registry at {url} answered: {exc}") from exc


def _read_options(
    schemas_dir: Path,
    registry_url: str | None,
    username: str | None,
    password: str | None,
    as_json: bool,
) -> Options:
    settings = SchemasCliSettings().overridden(
        registry_url=registry_url,
        registry_username=username,
        registry_password=None if password is None else SecretStr(password),
    )
    log.debug("schemas settings: %s", settings.masked())
    warn_unknown_environment()
    return Options(schemas_dir=schemas_dir, settings=settings, as_json=as_json)


def _common(command: Callable[..., None]) -> Callable[..., None]:
    """Add the shared options; the command receives them as one `Options`."""

    @click.option(
        "--schemas-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("schemas"),
        show_default=True,
        help="Directory holding manifest.toml and the .avsc files.",
    )
    @click.option(
        "--registry-url",
        metavar="URL",
        help="Schema registry (any Confluent-compatible one). "
        "Default: $UGC_REGISTRY_URL, else http://127.0.0.1:8081.",
    )
    @click.option("--username", help="Basic-auth user. Default: $UGC_REGISTRY_USERNAME.")
    @click.option("--password", help="Basic-auth password. Default: $UGC_REGISTRY_PASSWORD.")
    @click.option("--json", "as_json", is_flag=True, help="Print one JSON document for scripts.")
    @functools.wraps(command)
    def wrapper(
        schemas_dir: Path,
        registry_url: str | None,
        username: str | None,
        password: str | None,
        as_json: bool,
        **kwargs: Any,
    ) -> None:
        options = _read_options(schemas_dir, registry_url, username, password, as_json)
        with _registry_errors(options):
            command(options, **kwargs)

    return wrapper


class VersionSpec(click.ParamType[str | int, Any]):
    """A registered version number, `latest`, or `local` (the file in --schemas-dir)."""

    name = "VERSION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str | int:
        text = str(value).strip().lower()
        if text in ("latest", "local"):
            return text
        if text.isdigit() and int(text) > 0:
            return int(text)
        self.fail(f"{value!r} is not a version number, 'latest' or 'local'", param, ctx)


@click.group("schemas")
def schemas_group() -> None:
    """Register the event contracts in schemas/ and gate their evolution.

    \b
    Typical use:
      ugc schemas list                      local contracts and their registered versions
      ugc schemas check                     would the local files be accepted? (CI gate)
      ugc schemas register --dry-run        what register would do, without doing it
      ugc schemas register                  register every changed event type
      ugc schemas diff film_rating          field changes: latest registered -> local file
      ugc schemas show film_rating -V 2     one registered version
      ugc schemas export --out backup/      every registered version, as files

    \b
    In CI, on every pull request that touches schemas/:
      UGC_REGISTRY_URL=https://registry.example.com ugc schemas check

    Exit codes: 0 ok; 1 incompatible change, invalid contracts, or registry
    unreachable; 2 usage error.
    """


@schemas_group.command("list", short_help="Local event types, registered versions, local state.")
@_common
def list_command(options: Options) -> None:
    """List the local event types, their registered versions and local state.

    The local state is `new` (not registered yet), `unchanged` (the registry holds this
    exact schema), `changed` (a compatible change, not registered yet) or `incompatible`.
    Subjects named ugc.*-value that the manifest does not declare are listed too.
    """
    contracts = options.contracts()
    with options.client() as client:
        steps = plan(client, contracts, out.progress("asking the registry about"))
        known = {contract.subject for contract in contracts}
        extra = {
            subject: list(live_versions(client, subject))
            for subject in client.list_subjects(prefix="ugc.")
            if subject not in known and subject.endswith("-value")
        }
    out.print_list(options, steps, extra)


@schemas_group.command("check", short_help="Would the local files be accepted? Exit 1 if not.")
@_common
def check_command(options: Options) -> None:
    """Check the local contracts against the registry without registering anything.

    Exits 1 when any event type would be refused, naming the event type, the field, the
    rule it breaks and the registered version it conflicts with. A subject not registered
    yet is `new` and passes.

    \b
    CI example (GitHub Actions step):
      - run: ugc schemas check --registry-url "$REGISTRY_URL"
        env: {UGC_REGISTRY_USERNAME: ci, UGC_REGISTRY_PASSWORD: "${{ secrets.REGISTRY }}"}
    """
    contracts = options.contracts()
    with options.client() as client:
        steps = plan(client, contracts, out.progress("checking"))
    out.print_plan(options, steps, verb="check")
    if any(step.action is Action.INCOMPATIBLE for step in steps):
        raise SystemExit(1)


@schemas_group.command("register", short_help="Register new or changed event types (all or none).")
@click.option("--dry-run", is_flag=True, help="Check and show the plan; register nothing.")
@_common
def register_command(options: Options, dry_run: bool) -> None:
    """Register every new or changed event type and set each subject's compatibility level.

    Shared named types (ugc.Context, …) are inlined from their own files, so each
    registered schema is self-contained. Every event type is checked first: if any would
    be refused, nothing at all is registered. Running it twice changes nothing the second
    time and says `unchanged` for each event type.

    \b
    Deploy example (main branch only, after `ugc schemas check` passed on the PR):
      ugc schemas register --registry-url "$REGISTRY_URL"
    """
    contracts = options.contracts()
    with options.client() as client:
        steps = plan(client, contracts, out.progress("checking"))
        if dry_run or any(step.action is Action.INCOMPATIBLE for step in steps):
            out.print_plan(options, steps, verb="dry-run" if dry_run else "register")
            if not dry_run:
                raise SystemExit(1)
            return
        try:
            outcomes = apply(client, steps, out.progress_steps("registering"))
        except PartialRegistrationError as exc:
            out.print_outcomes(options, exc.done, failure=exc)
            raise
    out.print_outcomes(options, outcomes)


@schemas_group.command("diff", short_help="Field-level changes between two versions.")
@click.argument("event_type")
@click.option(
    "--from", "from_", type=VersionSpec(), default="latest", show_default=True, help="Old side."
)
@click.option("--to", type=VersionSpec(), default="local", show_default=True, help="New side.")
@click.option("--ignore-docs", is_flag=True, help="Leave out changes of `doc` only.")
@_common
def diff_command(
    options: Options, event_type: str, from_: str | int, to: str | int, ignore_docs: bool
) -> None:
    """Show field-level changes of EVENT_TYPE between two versions.

    A side is a registered version number, `latest`, or `local` (the file in
    --schemas-dir, with shared types inlined). The default compares the latest
    registered version with the local file: what `register` would change.

    \b
    Examples:
      ugc schemas diff film_rating                   latest registered -> local
      ugc schemas diff film_rating --from 1 --to 2   between two registered versions
    """
    contract = options.contract(event_type)
    with options.client() as client:
        old = _side(client, contract, from_, missing_ok=from_ == "latest")
        new = _side(client, contract, to, missing_ok=False)
    changes = diff_schemas(old.schema, new.schema, docs=not ignore_docs)
    out.print_diff(options, contract, old, new, changes)


@schemas_group.command("show", short_help="Print a registered or local schema.")
@click.argument("event_type")
@click.option(
    "-V",
    "--version",
    "version",
    type=VersionSpec(),
    default="latest",
    show_default=True,
    help="A registered version number, `latest`, or `local`.",
)
@_common
def show_command(options: Options, event_type: str, version: str | int) -> None:
    """Print the schema of EVENT_TYPE: a registered version, or the local one inlined."""
    contract = options.contract(event_type)
    if version == "local":
        side = out.Side("local", None, None, contract.schema)
    else:
        with options.client() as client:
            side = _side(client, contract, version, missing_ok=False)
    out.print_schema(options, contract, side)


@schemas_group.command("export", short_help="Write registered versions to files.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_EXPORT_DIR,
    show_default=True,
    help="Directory to write <event_type>/v<N>.avsc files into.",
)
@_common
def export_command(options: Options, out_dir: Path) -> None:
    """Write every registered version of every local event type back to files.

    Layout: OUT/<event_type>/v<N>.avsc, the schema exactly as the registry holds it
    (self-contained, pretty-printed). The latest export is the schema `register` sent:
    registering it again is `unchanged`.
    """
    written = []
    contracts = options.contracts()
    with options.client() as client:
        for contract in contracts:
            for registered in registered_versions(client, contract.subject):
                path = out_dir / contract.event_type / f"v{registered.version}.avsc"
                path.parent.mkdir(parents=True, exist_ok=True)
                text = json.dumps(json.loads(registered.schema), indent=2, ensure_ascii=False)
                path.write_text(text + "\n", encoding="utf-8")
                written.append((contract, registered, path))
    out.print_export(options, out_dir, written)


def _side(
    client: RegistryClient, contract: Contract, spec: str | int, *, missing_ok: bool
) -> out.Side:
    """One side of a diff or show: the local schema, or a registered version."""
    if spec == "local":
        return out.Side(f"local {contract.source}", None, None, contract.schema)
    try:
        registered: RegisteredSchema = client.get_version(
            contract.subject, "latest" if spec == "latest" else Version(int(spec))
        )
    except NotFoundError as exc:
        versions = live_versions(client, contract.subject)
        if missing_ok and not versions:
            return out.Side("nothing registered", None, None, None)
        have = ", ".join(map(str, versions)) or "none"
        raise SchemasError(
            f"{contract.event_type} ({contract.subject}) has no registered version {spec} "
            f"in {client.url} (versions: {have})"
        ) from exc
    return out.Side(
        f"version {registered.version}", registered.version, registered.id, registered.schema
    )
