"""One local Apache Kafka node (KRaft, broker and controller combined) on 127.0.0.1.

Everything the node owns lives under its data directory:

    <data-dir>/kafka.json          cluster id and ports chosen by ugc (the identity of the dir)
    <data-dir>/server.properties   the broker configuration, rewritten at each start
    <data-dir>/log4j2.properties   logging to stdout, which goes to broker.log
    <data-dir>/storage/            Kafka's log dirs (topics, metadata log, meta.properties)
    <data-dir>/broker.log, broker.pid

A restart on the same directory keeps topics and messages; a directory formatted by another
cluster is refused rather than reformatted.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ugc.errors import BrokerError, SetupError
from ugc.kafka.distribution import KafkaDistribution
from ugc.process import ManagedProcess, StopReport, free_port, port_is_free

HOST = "127.0.0.1"
MIN_JAVA = 17

_LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str | None
    data_dir: Path

    def describe(self) -> str:
        if not self.running:
            return f"kafka: not running (data dir {self.data_dir})"
        return f"kafka: running at {self.bootstrap} (pid {self.pid}, data dir {self.data_dir})"


class LocalKafka:
    """Start, stop and inspect the Kafka node that owns `data_dir`."""

    def __init__(self, data_dir: Path, *, distribution: KafkaDistribution | None = None) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.distribution = distribution or KafkaDistribution.default()
        self._process = ManagedProcess(
            name="kafka",
            pid_file=self.data_dir / "broker.pid",
            log_file=self.data_dir / "broker.log",
            marker=f"-Dugc.kafka.dir={self.data_dir}",
        )

    @property
    def storage(self) -> Path:
        return self.data_dir / "storage"

    @property
    def log_file(self) -> Path:
        return self._process.log_file

    def status(self) -> BrokerStatus:
        pid = self._process.pid()
        state = self._read_state()
        bootstrap = f"{HOST}:{state['port']}" if pid and "port" in state else None
        return BrokerStatus(pid is not None, pid, bootstrap, self.data_dir)

    def start(self, port: int = 9092, *, timeout: float = 120.0) -> str:
        """Start the node (fetching jars and formatting storage if needed); return bootstrap."""
        self._prepare_data_dir()
        running = self.status()
        if running.running:
            if running.bootstrap == f"{HOST}:{port}":
                return running.bootstrap
            raise BrokerError(
                f"Kafka from {self.data_dir} already runs at {running.bootstrap}; "
                "stop it first (ugc kafka stop) to move it to another port"
            )
        java = _require_java()
        if not port_is_free(port):
            raise SetupError(
                f"port {port} on {HOST} is already in use by another process; "
                "choose another with --port"
            )
        self.distribution.ensure()
        controller_port = _free_port_other_than(port)
        cluster_id = self._ensure_formatted(java, port, controller_port)
        self._write_state(cluster_id, port, controller_port)
        pid = self._process.spawn(self._command(java), cwd=self.data_dir)
        self._wait_ready(pid, port, timeout)
        return f"{HOST}:{port}"

    def stop(self, *, grace: float = 30.0) -> StopReport:
        return self._process.stop(grace=grace)

    # --- preparation -----------------------------------------------------------------

    def _prepare_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            probe = self.data_dir / ".write-probe"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise SetupError(
                f"data dir {self.data_dir} is not writable: {exc.strerror or exc}"
            ) from exc

    def _read_state(self) -> dict[str, object]:
        try:
            state = json.loads((self.data_dir / "kafka.json").read_text())
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _write_state(self, cluster_id: str, port: int, controller_port: int) -> None:
        state = {"cluster_id": cluster_id, "port": port, "controller_port": controller_port}
        (self.data_dir / "kafka.json").write_text(json.dumps(state, indent=2) + "\n")

    def _ensure_formatted(self, java: str, port: int, controller_port: int) -> str:
        expected = self._read_state().get("cluster_id")
        found = _formatted_cluster_id(self.storage)
        if found is not None:
            if found != expected:
                raise SetupError(
                    f"data dir {self.data_dir} holds Kafka storage of cluster id {found}, "
                    f"not the one ugc formatted there ({expected or 'none recorded'}); "
                    "use another --data-dir or remove that directory"
                )
            self._write_config(port, controller_port)
            return found
        cluster_id = str(expected) if expected else _new_cluster_id()
        self._write_config(port, controller_port)
        argv = [java, "-cp", self.distribution.classpath, "kafka.tools.StorageTool", "format"]
        argv += ["-t", cluster_id, "-c", str(self.data_dir / "server.properties")]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BrokerError(f"formatting Kafka storage failed: {_first_line(done.stderr)}")
        return cluster_id

    def _write_config(self, port: int, controller_port: int) -> None:
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{HOST}:{controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.storage),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
        }
        text = "".join(f"{key}={value}\n" for key, value in settings.items())
        (self.data_dir / "server.properties").write_text(text)
        (self.data_dir / "log4j2.properties").write_text(_LOG4J2)

    def _command(self, java: str) -> list[str]:
        heap = os.environ.get("UGC_KAFKA_HEAP", "1g")
        # A local broker lives for a test session or a working day on a small machine, where
        # the server JIT's (C2) compiling competes with the work: in a broker just started by
        # `ugc bench registry`, 1.0-1.4 of its 3.1 CPU-seconds per 800 registrations were
        # compiler threads; with the client JIT (C1) alone the broker took 1.3-1.6, and
        # `ugc bench etl` did not change. Override with UGC_KAFKA_JVM_OPTS (split on spaces;
        # empty for the JVM's defaults).
        tuning = os.environ.get("UGC_KAFKA_JVM_OPTS", "-XX:TieredStopAtLevel=1").split()
        return [
            java,
            "-Xms256m",
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            *tuning,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.properties'}",
            self._process.marker,
            "-cp",
            self.distribution.classpath,
            "kafka.Kafka",
            str(self.data_dir / "server.properties"),
        ]

    # --- readiness -------------------------------------------------------------------

    def _wait_ready(self, pid: int, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.exited(pid):
                self._process.pid_file.unlink(missing_ok=True)
                raise BrokerError(
                    f"Kafka exited during start-up: {self._failure_reason()} "
                    f"(full log: {self.log_file})"
                )
            if _listening(port) and _answers_metadata(f"{HOST}:{port}"):
                return
            time.sleep(0.2)
        self.stop(grace=10.0)
        raise BrokerError(
            f"Kafka did not answer a metadata request on {HOST}:{port} within {timeout:.0f}s "
            f"(log: {self.log_file})"
        )

    def _failure_reason(self) -> str:
        try:
            lines = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return "no log written"
        for line in lines:
            if " ERROR " in line or "Exception" in line:
                return line.strip()[:400]
        return (lines[-1].strip() if lines else "no log written")[:400]


def _require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise SetupError(
            f"Java is not on PATH: Kafka needs a Java {MIN_JAVA}+ runtime "
            "(apt-get install openjdk-17-jre-headless)"
        )
    done = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):
            major = int(match.group(2))
        if major < MIN_JAVA:
            raise SetupError(f"Java {major} found at {java}; Kafka needs Java {MIN_JAVA}+")
    return java


def _formatted_cluster_id(storage: Path) -> str | None:
    try:
        text = (storage / "meta.properties").read_text()
    except OSError:
        return None
    match = re.search(r"^cluster\.id=(\S+)$", text, re.MULTILINE)
    return match.group(1) if match else None


def _new_cluster_id() -> str:
    """A random cluster id in Kafka's form (base64url of a UUID) that does not start with
    "-": the storage tool's command line would take it for an option (one id in 64 did,
    and formatting failed). Kafka's own Uuid.randomUuid skips those ids too."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _free_port_other_than(port: int) -> int:
    while True:
        candidate = free_port(HOST)
        if candidate != port:
            return candidate


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _answers_metadata(bootstrap: str) -> bool:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        metadata = admin.list_topics(timeout=2.0)
    except Exception:
        return False
    return bool(metadata.brokers)


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:400] if lines else "no output"
