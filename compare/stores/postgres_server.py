"""A throwaway PostgreSQL server: Debian's binaries, a cluster in a temporary directory.

`PostgresServer.start()` runs `initdb` and `pg_ctl start` on a fresh directory, listening
only on a Unix socket in that directory (the fastest local transport, and no TCP port to
collide with other users of the machine); `stop()` runs `pg_ctl stop -m fast` and removes
the directory. PostgreSQL refuses to run as root, so when this process is root the server
runs as an unprivileged user (`nobody` unless another is named) via `runuser`, and owns
its directory.

Server settings are PostgreSQL's defaults except those a bulk-loading analyst would set
(`SERVER_SETTINGS`); durability stays on (fsync, synchronous_commit, logged tables).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from compare.stores.base import StoreUnavailableError
from ugc.process import free_port

SERVER_SETTINGS = {
    "shared_buffers": "1GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
}


def find_bindir(named: str | None = None) -> Path:
    """The named directory of server binaries, or the newest Debian PostgreSQL's."""
    candidates = [named] if named else sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major)
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    where = named or "/usr/lib/postgresql/*/bin"
    raise StoreUnavailableError(
        f"no PostgreSQL server binaries (initdb, pg_ctl) in {where}: "
        "apt-get install postgresql (make install does it on Debian)"
    )


def _major(path: str) -> int:
    version = Path(path).parent.name
    return int(version) if version.isdigit() else 0


class PostgresServer:
    """One cluster, started and stopped by this process."""

    def __init__(self, bindir: Path, os_user: str | None = None) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="ugc-compare-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.user = self._os_user(os_user or "nobody")

    def _os_user(self, name: str) -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(name)
        except KeyError as exc:
            raise StoreUnavailableError(
                f"PostgreSQL cannot run as root, and the user {name!r} to run it as does not exist"
            ) from exc
        if shutil.which("runuser") is None:
            raise StoreUnavailableError(
                "PostgreSQL cannot run as root, and runuser is not installed"
            )
        os.chown(self.root, entry.pw_uid, entry.pw_gid)
        return name

    def _run(self, *argv: str) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            log = self.log.read_text()[-500:] if self.log.exists() else ""
            raise StoreUnavailableError(f"{argv[0]} failed: {' | '.join(tail)} {log}".strip())

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
        options = f"-c listen_addresses='' -k {self.root} -p {self.port}"
        options += "".join(f" -c {name}={value}" for name, value in SERVER_SETTINGS.items())
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip

    @property
    def conninfo(self) -> str:
        return f"host={self.root} port={self.port} user=postgres dbname=postgres"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
