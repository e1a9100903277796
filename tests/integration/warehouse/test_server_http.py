"""`ugc warehouse serve` spoken to as curl and an ETL speak to ClickHouse's HTTP interface."""

from __future__ import annotations

import gzip
import io
import json
import uuid
from collections.abc import Iterator

import clickhouse_connect
import fastavro
import httpx
import pytest
from backports import zstd

from registry.client.models import SchemaId
from registry.client.wire import frame
from tests.support.warehouse import WarehouseProcess, held_insert


@pytest.fixture
def http(warehouse_server: WarehouseProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=warehouse_server.url, timeout=60.0) as client:
        yield client


@pytest.fixture
def table(http: httpx.Client) -> Iterator[str]:
    name = f"default.t_{uuid.uuid4().hex[:10]}"
    created = http.post(
        "/", content=f"CREATE TABLE {name} (id UInt32, name String) ENGINE=MergeTree ORDER BY id"
    )
    assert created.status_code == 200, created.text
    yield name
    http.post("/", content=f"DROP TABLE IF EXISTS {name}")


def _rows(http: httpx.Client, table: str) -> str:
    return http.get("/", params={"query": f"SELECT * FROM {table} ORDER BY id FORMAT CSV"}).text


def test_ping_and_replicas_status_answer_ok(http: httpx.Client) -> None:
    assert http.get("/ping").text == "Ok.\n"
    assert http.get("/replicas_status").text == "Ok.\n"
    assert http.get("/").text == "Ok.\n"


def test_unknown_path_is_a_404_naming_the_handles(http: httpx.Client) -> None:
    answer = http.get("/nope")
    assert answer.status_code == 404
    assert "There is no handle /nope" in answer.text


def test_get_with_query_in_the_url_answers_tab_separated_with_headers(http: httpx.Client) -> None:
    answer = http.get("/", params={"query": "SELECT 1 AS a, 'x' AS b", "query_id": "q-get-1"})
    assert answer.status_code == 200
    assert answer.text == "1\tx\n"
    assert answer.headers["X-ClickHouse-Format"] == "TabSeparated"
    assert answer.headers["X-ClickHouse-Query-Id"] == "q-get-1"
    assert answer.headers["X-ClickHouse-Timezone"]
    assert json.loads(answer.headers["X-ClickHouse-Summary"])["read_rows"] == "1"


def test_query_in_the_body_with_default_format_and_database(http: httpx.Client) -> None:
    answer = http.post(
        "/",
        params={"default_format": "JSONEachRow", "database": "system"},
        content="SELECT * FROM one",
    )
    assert answer.text == '{"dummy":0}\n'
    assert answer.headers["X-ClickHouse-Format"] == "JSONEachRow"


def test_format_clause_in_the_query_wins_over_default_format(http: httpx.Client) -> None:
    answer = http.post("/?default_format=CSV", content="SELECT 1 AS n FORMAT JSON")
    assert answer.headers["X-ClickHouse-Format"] == "JSON"
    assert answer.json()["data"] == [{"n": 1}]


def test_insert_json_each_row_with_the_rows_in_the_body(http: httpx.Client, table: str) -> None:
    body = b'{"id": 2, "name": "b"}\n{"id": 1, "name": "a"}\n'
    answer = http.post(
        "/", params={"query": f"INSERT INTO {table} FORMAT JSONEachRow"}, content=body
    )
    assert answer.status_code == 200, answer.text
    assert json.loads(answer.headers["X-ClickHouse-Summary"])["written_rows"] == "2"
    assert _rows(http, table) == '1,"a"\n2,"b"\n'


def test_insert_statement_and_csv_rows_both_in_the_body(http: httpx.Client, table: str) -> None:
    answer = http.post("/", content=f"INSERT INTO {table} FORMAT CSV\n1,one\n2,two\n")
    assert answer.status_code == 200, answer.text
    answer = http.post("/", content=f"INSERT INTO {table} VALUES (3, 'three')")
    assert answer.status_code == 200, answer.text
    assert _rows(http, table) == '1,"one"\n2,"two"\n3,"three"\n'


def test_chunked_upload_streams_many_rows(http: httpx.Client, table: str) -> None:
    def rows() -> Iterator[bytes]:
        for start in range(0, 200_000, 10_000):
            yield "".join(f"{i},n{i}\n" for i in range(start, start + 10_000)).encode()

    answer = http.post("/", params={"query": f"INSERT INTO {table} FORMAT CSV"}, content=rows())
    assert answer.status_code == 200, answer.text
    assert http.get("/", params={"query": f"SELECT count() FROM {table}"}).text == "200000\n"


def test_gzip_request_body_and_zstd_response_are_negotiated(http: httpx.Client, table: str) -> None:
    body = gzip.compress(b"1,a\n2,b\n")
    answer = http.post(
        "/",
        params={"query": f"INSERT INTO {table} FORMAT CSV"},
        content=body,
        headers={"Content-Encoding": "gzip"},
    )
    assert answer.status_code == 200, answer.text
    raw = http.get(
        "/",
        params={
            "query": f"SELECT * FROM {table} ORDER BY id FORMAT CSV",
            "enable_http_compression": "1",
        },
        headers={"Accept-Encoding": "zstd"},
    )
    assert raw.headers["Content-Encoding"] == "zstd"
    assert zstd.decompress(raw.content) == b'1,"a"\n2,"b"\n'
    plain = http.get("/", params={"query": "SELECT 1", "enable_http_compression": "0"},
                     headers={"Accept-Encoding": "zstd"})  # fmt: skip
    assert "Content-Encoding" not in plain.headers


def test_session_keeps_settings_and_database_between_requests(http: httpx.Client) -> None:
    session = {"session_id": f"s-{uuid.uuid4()}"}
    assert http.post("/", params=session, content="SET max_block_size = 4321").status_code == 200
    assert http.post("/", params=session, content="USE system").status_code == 200
    answer = http.post(
        "/", params=session, content="SELECT getSetting('max_block_size'), currentDatabase()"
    )
    assert answer.text == "4321\tsystem\n"
    assert http.post("/", content="SELECT getSetting('max_block_size')").text != "4321\n"


def test_session_check_refuses_an_unknown_session(http: httpx.Client) -> None:
    answer = http.post(
        "/", params={"session_id": "never-seen", "session_check": "1"}, content="SELECT 1"
    )
    assert answer.status_code == 500
    assert answer.headers["X-ClickHouse-Exception-Code"] == "372"


def test_concurrent_requests_in_one_session_are_refused_as_locked(
    warehouse_server: WarehouseProcess, table: str
) -> None:
    session = {"session_id": f"s-{uuid.uuid4()}"}
    with held_insert(warehouse_server.url, session, table) as statuses:
        second = httpx.post(warehouse_server.url, params=session, content="SELECT 1")
        assert second.headers["X-ClickHouse-Exception-Code"] == "373"
        assert "is locked by a concurrent client" in second.text
    assert statuses == [200]
    assert httpx.post(warehouse_server.url, params=session, content="SELECT 1").text == "1\n"


def test_wait_end_of_query_sends_a_content_length(http: httpx.Client) -> None:
    answer = http.get(
        "/", params={"query": "SELECT number FROM numbers(100000)", "wait_end_of_query": "1"}
    )
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    assert answer.text.count("\n") == 100_000


def test_failure_mid_stream_ends_with_a_tagged_exception_block(http: httpx.Client) -> None:
    answer = http.get(
        "/",
        params={
            "query": "SELECT throwIf(number = 150000) FROM numbers(200000)",
            "max_block_size": "1000",
        },
    )
    tag = answer.headers["X-ClickHouse-Exception-Tag"]
    assert answer.status_code == 200
    assert answer.content.endswith(f" {tag}\r\n__exception__\r\n".encode())
    assert b"Code: 395. DB::Exception:" in answer.content[-2000:]


ROW_SCHEMA = {
    "type": "record",
    "name": "Row",
    "fields": [{"name": "id", "type": "int"}, {"name": "name", "type": "string"}],
}


def _avro_rows(schema_id: int, count: int) -> bytes:
    schema = fastavro.parse_schema(ROW_SCHEMA)
    out = bytearray()
    for i in range(count):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, schema, {"id": i, "name": f"n{i}"})
        out += frame(SchemaId(schema_id), buffer.getvalue())
    return bytes(out)


def test_insert_avro_confluent_with_the_registry_url_as_a_setting(
    http: httpx.Client, table: str, registry_url: str
) -> None:
    registered = httpx.post(
        f"{registry_url}/subjects/rows-value/versions", json={"schema": json.dumps(ROW_SCHEMA)}
    )
    schema_id = registered.json()["id"]
    answer = http.post(
        "/",
        params={
            "query": f"INSERT INTO {table} (id, name) FORMAT AvroConfluent",
            "format_avro_schema_registry_url": registry_url,
            "insert_deduplication_token": "batch-1",
        },
        content=_avro_rows(schema_id, 5_000),
    )
    assert answer.status_code == 200, answer.text
    counted = http.get(
        "/", params={"query": f"SELECT count(), max(name) FROM {table} WHERE id < 5000"}
    )
    assert counted.text == "5000\tn999\n"


def test_insert_deduplication_token_setting_makes_a_retry_count_once(http: httpx.Client) -> None:
    table = f"default.d_{uuid.uuid4().hex[:10]}"
    http.post(
        "/",
        content=f"CREATE TABLE {table} (id UInt32) ENGINE = MergeTree ORDER BY id "
        "SETTINGS non_replicated_deduplication_window = 100",
    )
    for token in ("topic-0-100-199", "topic-0-100-199", "topic-0-200-299"):
        answer = http.post(
            "/",
            params={
                "query": f"INSERT INTO {table} FORMAT CSV",
                "insert_deduplication_token": token,
            },
            content=b"1\n2\n3\n",
        )
        assert answer.status_code == 200, answer.text
    assert http.get("/", params={"query": f"SELECT count() FROM {table}"}).text == "6\n"


def test_close_session_ends_the_session_after_its_query(http: httpx.Client) -> None:
    session = {"session_id": f"s-{uuid.uuid4()}"}
    assert http.post("/", params=session, content="SET max_block_size = 777").status_code == 200
    closing = http.post("/", params={**session, "close_session": "1"}, content="SELECT 1")
    assert closing.text == "1\n"
    gone = http.post("/", params={**session, "session_check": "1"}, content="SELECT 1")
    assert gone.headers["X-ClickHouse-Exception-Code"] == "372"


def test_form_encoded_query_parameters_as_clickhouse_connect_sends_large_ones(
    warehouse_server: WarehouseProcess,
) -> None:
    client = clickhouse_connect.get_client(
        dsn=warehouse_server.url, compress=False, form_encode_query_params=True
    )
    with client:
        big = "y" * 200_000
        rows = client.query("SELECT length({a:String}), {b:UInt8}", parameters={"a": big, "b": 3})
    assert rows.result_rows == [(200_000, 3)]
