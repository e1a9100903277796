"""The layering holds: import-linter's contracts (pyproject.toml, also run by scripts/check),
among them the client library's line: `registry.client` never imports `registry.server`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def test_registry_client_never_imports_the_server_and_every_layer_holds() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert "registry.client is the protocol library" in result.stdout
    assert "0 broken" in result.stdout
