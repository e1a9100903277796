"""What `ugc schemas` prints: rich tables and plain explanation lines for people, one JSON
document on stdout for scripts (`--json`).

Explanations of refused changes are printed as plain lines, not table cells, so that a CI
log shows the registry's whole message unwrapped and a `grep` finds the field name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import click
from rich.console import Console
from rich.table import Table

from contracts.diff import FieldChange
from contracts.loading import Contract
from contracts.problems import ContractError
from contracts.registration import Action, Outcome, PartialRegistrationError, Step
from registry.client.models import RegisteredSchema, SchemaId, Subject, Version


class Options(Protocol):
    """What printing needs from the command's options."""

    @property
    def as_json(self) -> bool: ...

    @property
    def registry_url(self) -> str: ...


_WIDTH = 140


@dataclass(frozen=True)
class Side:
    """One side of a diff, or the schema `show` prints; `schema` None: nothing registered."""

    label: str
    version: Version | None
    schema_id: SchemaId | None
    schema: str | None

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "version": self.version, "id": self.schema_id}


def emit_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def problems_json(error: ContractError) -> list[dict[str, str]]:
    return [{"file": str(p.file), "message": p.message} for p in error.problems]


def _console() -> Console:
    return Console(width=max(Console().width, _WIDTH))


def progress(verb: str) -> Callable[[Contract], None]:
    """A callback that tells a person at a terminal which event type is being handled."""
    console = Console(stderr=True)

    def report(contract: Contract) -> None:
        if console.is_terminal:
            console.print(f"[dim]{verb} {contract.event_type}…[/]")

    return report


def progress_steps(verb: str) -> Callable[[Step], None]:
    report = progress(verb)
    return lambda step: report(step.contract) if step.changes_anything else None


def _versions(versions: Sequence[int]) -> str:
    return ", ".join(map(str, versions)) or "-"


# --- check / register --dry-run ---------------------------------------------------------

_STATE = {
    Action.NEW: "[green]new subject[/]",
    Action.CHANGED: "[yellow]changed: new version[/]",
    Action.UNCHANGED: "unchanged",
    Action.INCOMPATIBLE: "[red bold]INCOMPATIBLE[/]",
}


def step_json(step: Step) -> dict[str, Any]:
    contract = step.contract
    return {
        "event_type": contract.event_type,
        "subject": contract.subject,
        "action": step.action.value,
        "versions": list(step.versions),
        "matching_version": step.matching,
        "compatibility": contract.compatibility.value,
        "registered_compatibility": step.level.value if step.level else None,
        "conflicts": [conflict.to_json() for conflict in step.conflicts],
    }


def _state(step: Step) -> str:
    state = _STATE[step.action]
    if step.action is Action.UNCHANGED:
        state += f" (version {step.matching})"
    return state


def _level(step: Step) -> str:
    wanted = step.contract.compatibility.value
    if step.level is None:
        return f"{wanted} (to set)"
    return wanted if not step.sets_level else f"{step.level.value} -> {wanted}"


def print_plan(options: Options, steps: Sequence[Step], *, verb: str) -> None:
    refused = [step for step in steps if step.action is Action.INCOMPATIBLE]
    if options.as_json:
        emit_json(
            {
                "ok": not refused,
                "registry": options.registry_url,
                "dry_run": verb == "dry-run",
                "registered": False,
                "event_types": [step_json(step) for step in steps],
            }
        )
        return
    table = Table("event type", "subject", "registered", "local schema", "compatibility")
    for step in steps:
        table.add_row(
            step.contract.event_type,
            step.contract.subject,
            _versions(step.versions),
            _state(step),
            _level(step),
        )
    _console().print(table)
    for step in refused:
        _explain(step)
    click.echo(_plan_summary(steps, refused, verb))


def _explain(step: Step) -> None:
    contract = step.contract
    click.echo(
        f"{contract.event_type}: refused by {contract.subject} "
        f"({contract.compatibility.value}, file {contract.source}):"
    )
    for conflict in step.conflicts:
        parts = [
            f"field {conflict.field!r}" if conflict.field else None,
            f"rule {conflict.rule}" if conflict.rule else None,
            f"conflicts with version {conflict.version}" if conflict.version else None,
        ]
        summary = ", ".join(part for part in parts if part)
        click.echo(f"  - {summary + ': ' if summary else ''}{conflict.message}")


def _plan_summary(steps: Sequence[Step], refused: Sequence[Step], verb: str) -> str:
    names = ", ".join(step.contract.event_type for step in refused)
    counts = {action: sum(step.action is action for step in steps) for action in Action}
    tally = ", ".join(f"{n} {action.value}" for action, n in counts.items() if n)
    if refused and verb == "check":
        return f"check failed: {names} would be refused ({tally})"
    if refused:
        return f"nothing was registered: {names} would be refused ({tally})"
    if verb == "dry-run":
        pending = [s.contract.event_type for s in steps if s.changes_anything]
        todo = ", ".join(pending) if pending else "nothing (every event type is unchanged)"
        return f"dry run, nothing registered; register would change: {todo}"
    return f"check passed: {tally}"


# --- register ---------------------------------------------------------------------------


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "event_type": outcome.event_type,
        "subject": outcome.subject,
        "result": "registered" if outcome.action.writes else "unchanged",
        "action": outcome.action.value,
        "version": outcome.version,
        "compatibility_set": outcome.level_set.value if outcome.level_set else None,
    }


def print_outcomes(
    options: Options,
    outcomes: Sequence[Outcome],
    failure: PartialRegistrationError | None = None,
) -> None:
    if options.as_json:
        document: dict[str, Any] = {
            "ok": failure is None,
            "registry": options.registry_url,
            "event_types": [outcome_json(outcome) for outcome in outcomes],
        }
        if failure is not None:
            document["error"] = str(failure)
            document["not_registered"] = [failure.failed, *failure.pending]
        emit_json(document)
        return
    table = Table("event type", "subject", "result", "version", "compatibility")
    for outcome in outcomes:
        result = "[green]registered[/]" if outcome.action.writes else "unchanged"
        level = f"set to {outcome.level_set.value}" if outcome.level_set else "unchanged"
        table.add_row(outcome.event_type, outcome.subject, result, str(outcome.version), level)
    _console().print(table)
    if failure is None:
        click.echo(_outcome_summary(outcomes))


def _outcome_summary(outcomes: Sequence[Outcome]) -> str:
    written = [o.event_type for o in outcomes if o.action.writes]
    levels = [o.event_type for o in outcomes if o.level_set and not o.action.writes]
    if not written and not levels:
        return "nothing changed: every event type is unchanged"
    parts = [f"registered {', '.join(written)}"] if written else []
    if levels:
        parts.append(f"set the compatibility level of {', '.join(levels)}")
    return "; ".join(parts)


# --- list -------------------------------------------------------------------------------


def print_list(
    options: Options, steps: Sequence[Step], extra: Mapping[Subject, Sequence[int]]
) -> None:
    if options.as_json:
        emit_json(
            {
                "registry": options.registry_url,
                "event_types": [
                    {**step_json(step), "owner": step.contract.owner} for step in steps
                ],
                "registered_only": [
                    {"subject": subject, "versions": list(versions)}
                    for subject, versions in extra.items()
                ],
            }
        )
        return
    table = Table("event type", "subject", "owner", "registered", "local schema", "compatibility")
    for step in steps:
        contract = step.contract
        table.add_row(
            contract.event_type,
            contract.subject,
            contract.owner,
            _versions(step.versions),
            _state(step),
            _level(step),
        )
    for subject, versions in extra.items():
        table.add_row("-", subject, "-", _versions(versions), "[dim]not in manifest[/]", "-")
    _console().print(table)


# --- diff / show / export ---------------------------------------------------------------


def print_diff(
    options: Options, contract: Contract, old: Side, new: Side, changes: Sequence[FieldChange]
) -> None:
    if options.as_json:
        emit_json(
            {
                "event_type": contract.event_type,
                "subject": contract.subject,
                "from": old.to_json(),
                "to": new.to_json(),
                "changes": [change.to_json() for change in changes],
            }
        )
        return
    click.echo(f"{contract.event_type} ({contract.subject}): {old.label} -> {new.label}")
    if not changes:
        click.echo("no field-level changes")
        return
    table = Table("change", "field", "old", "new")
    for change in changes:
        table.add_row(change.kind.value, change.path, change.old or "", change.new or "")
    _console().print(table)


def print_schema(options: Options, contract: Contract, side: Side) -> None:
    parsed = json.loads(side.schema) if side.schema is not None else None
    if options.as_json:
        emit_json(
            {
                "event_type": contract.event_type,
                "subject": contract.subject,
                "version": side.version,
                "id": side.schema_id,
                "schema": parsed,
            }
        )
        return
    where = side.label if side.version is None else f"version {side.version}, id {side.schema_id}"
    click.echo(f"// {contract.event_type} ({contract.subject}), {where}")
    click.echo(json.dumps(parsed, indent=2, ensure_ascii=False))


def print_export(
    options: Options,
    out_dir: Path,
    written: Sequence[tuple[Contract, RegisteredSchema, Path]],
) -> None:
    if options.as_json:
        files = [
            {
                "event_type": contract.event_type,
                "subject": registered.subject,
                "version": registered.version,
                "id": registered.id,
                "path": str(path),
            }
            for contract, registered, path in written
        ]
        emit_json({"out": str(out_dir), "files": files})
        return
    table = Table("event type", "subject", "version", "id", "file")
    for contract, registered, path in written:
        table.add_row(
            contract.event_type,
            registered.subject,
            str(registered.version),
            str(registered.id),
            str(path),
        )
    _console().print(table)
    click.echo(f"wrote {len(written)} file{'s' if len(written) != 1 else ''} to {out_dir}")
