"""The client library's dependency line: `registry.client` never imports `registry.server`."""

from __future__ import annotations

import ast
from pathlib import Path

import registry.client

CLIENT_DIR = Path(registry.client.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_registry_client_never_imports_the_server() -> None:
    offenders = {
        str(path.relative_to(CLIENT_DIR)): sorted(
            m for m in _imported_modules(path) if m.startswith("registry.server")
        )
        for path in CLIENT_DIR.rglob("*.py")
    }
    assert not {name: mods for name, mods in offenders.items() if mods}
