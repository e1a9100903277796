"""`ugc up`, `ugc status` and `ugc down` as a newcomer runs them: every component starts
healthy on its port, status tells, and down leaves no process behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from ugc.process import free_port

UGC = [sys.executable, "-m", "ugc"]


def _processes_under(data_dir: Path) -> list[str]:
    """Command lines of live processes started for this stack (their markers or paths)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if str(data_dir) in cmdline or f"UGC_DATA_DIR={data_dir}".encode() in environ:
            found.append(cmdline)
    return found


def test_up_status_down_runs_every_component_and_leaves_nothing(tmp_path: Path) -> None:
    data_dir = (tmp_path / "var").resolve()
    registry_port = free_port()
    env = {
        **os.environ,
        "UGC_DATA_DIR": str(data_dir),
        "UGC_KAFKA_PORT": str(free_port()),
        "UGC_REGISTRY_PORT": str(registry_port),
        "UGC_API_PORT": str(free_port()),
    }

    def ugc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*UGC, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
            cwd=tmp_path,
            check=False,
        )

    up = ugc("up")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        status = ugc("status")
        assert status.returncode == 0, status.stdout
        assert "kafka" in status.stdout and "registry" in status.stdout
        assert "stopped" not in status.stdout
        registry = f"http://127.0.0.1:{registry_port}"
        assert httpx.get(f"{registry}/healthz").json()["status"] == "ok"
        registered = httpx.post(
            f"{registry}/subjects/e2e-value/versions", json={"schema": '"string"'}
        )
        assert registered.json() == {"id": 1}
    finally:
        down = ugc("down")
    assert down.returncode == 0
    assert "registry: stopped" in down.stdout and "kafka: stopped" in down.stdout
    assert _processes_under(data_dir) == []
    after = ugc("status")
    assert after.returncode == 1
