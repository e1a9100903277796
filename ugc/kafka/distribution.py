"""Apache Kafka's jars, fetched once from Maven Central with Maven into a cache directory.

The cache lives outside the git tree (`UGC_CACHE_DIR`, default `~/.cache/ugc`) and is
reused when complete; a marker file written last tells a complete fetch from an
interrupted one. `UGC_KAFKA_LIBS` may name a directory of jars prepared another way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ugc.errors import SetupError

KAFKA_VERSION = "4.1.1"
SCALA_VERSION = "2.13"
_LOG4J_VERSION = "2.24.3"
_SLF4J_VERSION = "2.0.17"
_COMPLETE = ".complete"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ugc.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_{scala}</artifactId>
      <version>{kafka}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId><version>{log4j}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId>
      <version>{slf4j}</version></dependency>
  </dependencies>
</project>
"""


def cache_root() -> Path:
    configured = os.environ.get("UGC_CACHE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path.home() / ".cache" / "ugc"


@dataclass(frozen=True)
class KafkaDistribution:
    """The directory of jars that make up one Kafka version's runtime classpath."""

    libs: Path
    version: str = KAFKA_VERSION

    @classmethod
    def default(cls) -> KafkaDistribution:
        prepared = os.environ.get("UGC_KAFKA_LIBS")
        if prepared:
            return cls(Path(prepared).expanduser().resolve())
        return cls(cache_root() / f"kafka_{SCALA_VERSION}-{KAFKA_VERSION}" / "libs")

    @property
    def classpath(self) -> str:
        return str(self.libs / "*")

    def is_complete(self) -> bool:
        if (self.libs / _COMPLETE).exists():
            return True
        return bool(os.environ.get("UGC_KAFKA_LIBS")) and any(self.libs.glob("kafka_*.jar"))

    def ensure(self) -> KafkaDistribution:
        """Fetch the jars unless a complete copy is already cached; return self."""
        if self.is_complete():
            return self
        mvn = shutil.which("mvn")
        if mvn is None:
            raise SetupError(
                "Maven (mvn) is not on PATH: it fetches Kafka's jars from Maven Central. "
                "Install it (apt-get install maven) or set UGC_KAFKA_LIBS to a directory of "
                "Kafka jars."
            )
        workdir = self.libs.parent
        try:
            workdir.mkdir(parents=True, exist_ok=True)
            (workdir / "pom.xml").write_text(
                _POM.format(
                    scala=SCALA_VERSION,
                    kafka=self.version,
                    log4j=_LOG4J_VERSION,
                    slf4j=_SLF4J_VERSION,
                )
            )
        except OSError as exc:
            raise SetupError(f"cannot write the Kafka cache at {workdir}: {exc.strerror}") from exc
        self._run_maven(mvn, workdir)
        (self.libs / _COMPLETE).write_text(self.version + "\n")
        return self

    def _run_maven(self, mvn: str, workdir: Path) -> None:
        staging = workdir / "libs.partial"
        shutil.rmtree(staging, ignore_errors=True)
        argv = [
            mvn,
            "-q",
            "-B",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={staging}",
            "-DincludeScope=runtime",
        ]
        done = subprocess.run(argv, cwd=workdir, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            detail = _last_error_line(done.stdout + done.stderr)
            raise SetupError(
                f"Maven could not fetch org.apache.kafka:kafka_{SCALA_VERSION}:{self.version} "
                f"from Maven Central: {detail}"
            )
        shutil.rmtree(self.libs, ignore_errors=True)
        staging.rename(self.libs)


def _last_error_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line]
    return (errors or lines or ["no output"])[0][:300]
