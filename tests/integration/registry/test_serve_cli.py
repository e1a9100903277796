"""`ugc registry serve` refuses to start, in one line, when Kafka cannot be reached."""

from __future__ import annotations

import os
import subprocess
import sys

from ugc.process import free_port


def test_serve_without_kafka_exits_1_with_one_line_naming_the_bootstrap() -> None:
    unused = free_port()
    env = {
        **os.environ,
        "UGC_KAFKA_BOOTSTRAP": f"127.0.0.1:{unused}",
        "UGC_REGISTRY_STORE_TIMEOUT": "2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "ugc", "registry", "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"Kafka at 127.0.0.1:{unused} is unreachable" in done.stderr
    assert "ugc kafka start" in done.stderr
