"""The local Kafka node: real produce/consume, restarts that keep data, clean stops, and
one-line errors for every way the machine can refuse to run it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from ugc.errors import SetupError
from ugc.kafka.broker import LocalKafka
from ugc.process import free_port

UGC = [sys.executable, "-m", "ugc"]


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    failures: list[str] = []

    def on_delivery(err: object, _msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    for value in values:
        producer.produce(topic, value, key=b"user-1", on_delivery=on_delivery)
    assert producer.flush(30) == 0
    assert failures == []


def consume_from_start(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    values: list[bytes] = []
    try:
        for _ in range(200):
            if len(values) >= count:
                break
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                values.append(message.value())
    finally:
        consumer.close()
    return values


def test_messages_produced_with_acks_all_are_consumed_back_in_order(
    kafka_bootstrap: str, unique_name: object
) -> None:
    topic = unique_name("events")  # type: ignore[operator]
    sent = [f"event-{i}".encode() for i in range(100)]
    produce(kafka_bootstrap, topic, sent)
    assert consume_from_start(kafka_bootstrap, topic, len(sent)) == sent


def test_restart_on_same_data_dir_keeps_messages_readable_from_offset_zero(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka")
    bootstrap = broker.start(free_port())
    try:
        produce(bootstrap, "kept", [b"first", b"second"])
        first_cluster = (tmp_path / "kafka" / "kafka.json").read_text()
        assert broker.stop().was_running
        assert not broker.status().running
        bootstrap = broker.start(free_port())
        assert consume_from_start(bootstrap, "kept", 2) == [b"first", b"second"]
        assert (tmp_path / "kafka" / "kafka.json").read_text().split('"port"')[0] == (
            first_cluster.split('"port"')[0]
        )
    finally:
        broker.stop()


def _java_processes_for(data_dir: Path) -> list[str]:
    marker = f"-Dugc.kafka.dir={data_dir.resolve()}"
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline:
                found.append(proc.name)
    return found


def test_cli_start_then_stop_leaves_no_process_behind(tmp_path: Path) -> None:
    data_dir = tmp_path / "kafka"
    port = str(free_port())
    started = subprocess.run(
        [*UGC, "kafka", "start", "--port", port, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    try:
        assert started.returncode == 0, started.stderr
        assert f"127.0.0.1:{port}" in started.stdout
        status = subprocess.run(
            [*UGC, "kafka", "status", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert status.returncode == 0
        assert f"running at 127.0.0.1:{port}" in status.stdout
        assert len(_java_processes_for(data_dir)) == 1
    finally:
        stopped = subprocess.run(
            [*UGC, "kafka", "stop", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    assert _java_processes_for(data_dir) == []
    after = subprocess.run(
        [*UGC, "kafka", "status", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert after.returncode == 1
    assert "not running" in after.stdout


def _run_cli(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*UGC, *args], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def _assert_one_line_failure(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr


def test_start_on_a_taken_port_names_the_port(kafka_bootstrap: str, tmp_path: Path) -> None:
    port = kafka_bootstrap.rsplit(":", 1)[1]
    done = _run_cli(["kafka", "start", "--port", port, "--data-dir", str(tmp_path / "k")])
    _assert_one_line_failure(done, f"port {port}", "already in use")


def test_start_without_java_says_to_install_java(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    done = _run_cli(
        ["kafka", "start", "--port", str(free_port()), "--data-dir", str(tmp_path)], env
    )
    _assert_one_line_failure(done, "Java is not on PATH", "install")


def test_start_without_maven_and_no_cached_jars_says_to_install_maven(tmp_path: Path) -> None:
    java_only = tmp_path / "bin"
    java_only.mkdir()
    java = subprocess.run(["which", "java"], capture_output=True, text=True, check=True)
    (java_only / "java").symlink_to(Path(java.stdout.strip()).resolve())
    env = {**os.environ, "PATH": str(java_only), "UGC_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("UGC_KAFKA_LIBS", None)
    done = _run_cli(
        ["kafka", "start", "--port", str(free_port()), "--data-dir", str(tmp_path / "k")], env
    )
    _assert_one_line_failure(done, "Maven (mvn) is not on PATH", "apt-get install maven")


def test_start_on_an_unwritable_data_dir_names_the_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = _run_cli(
        ["kafka", "start", "--port", str(free_port()), "--data-dir", str(blocker / "k")]
    )
    _assert_one_line_failure(done, "is not writable", str(blocker / "k"))


def test_start_refuses_a_data_dir_formatted_for_another_cluster(tmp_path: Path) -> None:
    broker = LocalKafka(tmp_path / "kafka")
    broker.start(free_port())
    broker.stop()
    state = tmp_path / "kafka" / "kafka.json"
    state.write_text(state.read_text().replace('"cluster_id": "', '"cluster_id": "X'))
    with pytest.raises(SetupError, match="holds Kafka storage of cluster id"):
        broker.start(free_port())
    assert not broker.status().running
