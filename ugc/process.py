"""Detached child processes tracked by pid files: spawn, look up, terminate.

The local broker and every service of `ugc up` run as their own session (process group),
log to a file and leave a pid file, so that a later `ugc down` or `ugc kafka stop` from
another shell can find and stop them. A pid file records the command line's marker so a
recycled pid is never mistaken for ours.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StopReport:
    """How a stop went: whether anything ran, and whether it needed SIGKILL."""

    name: str
    pid: int | None
    was_running: bool
    killed: bool
    seconds: float

    def describe(self) -> str:
        if not self.was_running:
            return f"{self.name}: not running"
        how = "killed after the grace period" if self.killed else "stopped"
        return f"{self.name}: {how} (pid {self.pid}, {self.seconds:.1f}s)"


# Children this process spawned: polled (which also reaps them) instead of read from /proc.
_children: dict[int, subprocess.Popen[bytes]] = {}


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass(frozen=True)
class ManagedProcess:
    """One supervised process: its pid file, its log file and a marker in its command line."""

    name: str
    pid_file: Path
    log_file: Path
    marker: str

    def pid(self) -> int | None:
        """The pid of the running process, or None if it is not running."""
        try:
            record = json.loads(self.pid_file.read_text())
            pid = int(record["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if _alive(pid) and self.marker in _cmdline(pid):
            return pid
        return None

    def spawn(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> int:
        """Start the process detached in its own session; its output goes to the log file."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            child = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )
        _children[child.pid] = child
        self.pid_file.write_text(json.dumps({"pid": child.pid, "argv": list(argv)}))
        return child.pid

    def exited(self, pid: int) -> bool:
        return not _alive(pid)

    def stop(self, *, grace: float = 30.0) -> StopReport:
        """SIGTERM the process group, wait up to `grace` seconds, then SIGKILL it."""
        pid = self.pid()
        started = time.monotonic()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return StopReport(self.name, None, was_running=False, killed=False, seconds=0.0)
        _signal_group(pid, signal.SIGTERM)
        killed = not _wait_gone(pid, grace)
        if killed:
            _signal_group(pid, signal.SIGKILL)
            _wait_gone(pid, 10.0)
        self.pid_file.unlink(missing_ok=True)
        return StopReport(self.name, pid, True, killed, time.monotonic() - started)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (a TIME_WAIT socket does not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
