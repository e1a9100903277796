"""Parsing of warehouse DSNs: embedded paths must be absolute, servers pass through."""

from pathlib import Path

import pytest

from ugc.errors import WarehouseError
from ugc.warehouse import default_dsn, embedded_path


def test_embedded_dsn_with_three_slashes_names_an_absolute_directory() -> None:
    assert embedded_path("chdb:///srv/ugc/clickhouse") == Path("/srv/ugc/clickhouse")


def test_server_dsn_is_not_embedded() -> None:
    assert embedded_path("http://default:pw@clickhouse:8123/ugc") is None


def test_relative_embedded_dsn_is_refused_with_the_three_slash_form() -> None:
    with pytest.raises(WarehouseError, match="three slashes"):
        embedded_path("chdb://var/clickhouse")


def test_default_dsn_is_absolute_under_the_data_dir(tmp_path: Path) -> None:
    assert default_dsn(tmp_path) == f"chdb://{tmp_path.resolve() / 'clickhouse'}"
