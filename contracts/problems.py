"""The problems found in the event contracts: `ContractProblem` is one thing wrong with one
file, `ContractError` carries every problem of every file, so one pass fixes them all.
`contracts.inlining` and `contracts.loading` append to one list of problems as they read
`schemas/` and raise one `ContractError` at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ContractProblem:
    """One thing wrong with one file."""

    file: Path
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


class ContractError(Exception):
    """The contracts cannot be used; `problems` lists everything wrong, file by file."""

    def __init__(self, problems: Iterable[ContractProblem]) -> None:
        self.problems = tuple(dict.fromkeys(problems))  # one type inlined twice, one report
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the contracts:\n{lines}")
