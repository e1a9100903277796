"""Bad input answered as ClickHouse answers it, over raw HTTP and through clickhouse-connect;
clients that vanish, and many clients at once, leave the server healthy."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator

import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.support.warehouse import WarehouseProcess, held_insert


@pytest.fixture
def table(warehouse_server: WarehouseProcess) -> Iterator[str]:
    name = f"default.e_{uuid.uuid4().hex[:10]}"
    create = f"CREATE TABLE {name} (id UInt32, name String) ENGINE = MergeTree ORDER BY id"
    assert httpx.post(warehouse_server.url, content=create).status_code == 200
    yield name
    httpx.post(warehouse_server.url, content=f"DROP TABLE IF EXISTS {name}")


def _client(server: WarehouseProcess, user: str = "default", password: str = "") -> Client:
    return clickhouse_connect.get_client(
        dsn=server.url, username=user, password=password, compress=False
    )


def _count(server: WarehouseProcess, table: str) -> int:
    return int(httpx.get(server.url, params={"query": f"SELECT count() FROM {table}"}).text)


@pytest.mark.parametrize(
    ("sql", "status", "code"),
    [
        ("SELEC 1", 400, 62),
        ("SELECT * FROM default.no_such_table", 404, 60),
        ("SELECT 1; SELECT 2", 400, 62),
        ("SELECT 1 INTO OUTFILE '/tmp/x'", 501, 48),
    ],
)
def test_bad_sql_gets_clickhouses_status_code_and_message(
    warehouse_server: WarehouseProcess, sql: str, status: int, code: int
) -> None:
    answer = httpx.post(warehouse_server.url, content=sql)
    assert answer.status_code == status
    assert answer.headers["X-ClickHouse-Exception-Code"] == str(code)
    assert answer.text.startswith(f"Code: {code}. DB::Exception: ")
    with _client(warehouse_server) as client, pytest.raises(DatabaseError) as raised:
        client.command(sql)
    assert raised.value.code == code


def test_unknown_setting_is_a_404_with_code_115(warehouse_server: WarehouseProcess) -> None:
    answer = httpx.get(warehouse_server.url, params={"query": "SELECT 1", "no_such_setting": "1"})
    assert (answer.status_code, answer.headers["X-ClickHouse-Exception-Code"]) == (404, "115")
    assert "Unknown setting 'no_such_setting'" in answer.text
    with _client(warehouse_server) as client, pytest.raises(DatabaseError) as raised:
        client.query("SELECT 1", settings={"max_threads": "many"})
    assert raised.value.code in (27, 72)  # chdb: cannot parse the value


def test_body_in_the_wrong_format_is_refused_and_inserts_nothing(
    warehouse_server: WarehouseProcess, table: str
) -> None:
    answer = httpx.post(
        warehouse_server.url,
        params={"query": f"INSERT INTO {table} FORMAT JSONEachRow"},
        content=b"1,one\n2,two\n",
    )
    assert answer.status_code == 400
    assert answer.text.startswith("Code: ")
    assert _count(warehouse_server, table) == 0


def test_truncated_row_binary_body_is_refused_and_inserts_nothing(
    warehouse_server: WarehouseProcess, table: str
) -> None:
    row = (7).to_bytes(4, "little") + bytes([5]) + b"seven"
    answer = httpx.post(
        warehouse_server.url,
        params={"query": f"INSERT INTO {table} FORMAT RowBinary"},
        content=row + row[:6],
    )
    assert answer.headers["X-ClickHouse-Exception-Code"] == "33"  # CANNOT_READ_ALL_DATA
    assert _count(warehouse_server, table) == 0


def test_body_shorter_than_its_content_length_is_never_committed(
    warehouse_server: WarehouseProcess, table: str
) -> None:
    rows = b"".join(f"{i},n{i}\n".encode() for i in range(1000))
    head = (
        f"POST /?query=INSERT%20INTO%20{table}%20FORMAT%20CSV HTTP/1.1\r\n"
        f"Host: x\r\nContent-Length: {len(rows) + 100}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", warehouse_server.port)) as sock:
        sock.sendall(head + rows)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(30)
        reply = b""
        while piece := sock.recv(65536):
            reply += piece
    assert b"Code: 33. DB::Exception: The request body ended before its Content-Length" in reply
    assert _count(warehouse_server, table) == 0


def test_write_as_the_read_only_user_is_refused(
    warehouse_server: WarehouseProcess, table: str
) -> None:
    with _client(warehouse_server, "reader", "reader-secret") as reader:
        assert reader.command("SELECT 1") == 1
        with pytest.raises(DatabaseError) as raised:
            reader.command(f"INSERT INTO {table} VALUES (1, 'x')")
        assert raised.value.code == 164
    escape = httpx.post(
        warehouse_server.url,
        params={"readonly": "0"},
        content=f"INSERT INTO {table} VALUES (1, 'x')",
        auth=("reader", "reader-secret"),
    )
    assert escape.headers["X-ClickHouse-Exception-Code"] == "164"
    get_insert = httpx.get(
        warehouse_server.url, params={"query": f"INSERT INTO {table} VALUES (1, 'x')"}
    )
    assert get_insert.headers["X-ClickHouse-Exception-Code"] == "164"  # GET implies readonly
    assert _count(warehouse_server, table) == 0


@pytest.mark.parametrize(
    ("user", "password"), [("writer", "wrong"), ("nobody", "x"), ("reader", "")]
)
def test_wrong_credentials_are_a_403_with_code_516(
    warehouse_server: WarehouseProcess, user: str, password: str
) -> None:
    answer = httpx.get(warehouse_server.url, params={"query": "SELECT 1"}, auth=(user, password))
    assert (answer.status_code, answer.headers["X-ClickHouse-Exception-Code"]) == (403, "516")
    assert f"{user}: Authentication failed" in answer.text
    with pytest.raises(DatabaseError) as raised:
        _client(warehouse_server, user, password)
    assert raised.value.code == 516


def test_users_authenticate_by_url_headers_or_basic_auth(
    warehouse_server: WarehouseProcess,
) -> None:
    url, query = warehouse_server.url, {"query": "SELECT currentUser()"}
    by_params = httpx.get(url, params={**query, "user": "writer", "password": "writer-secret"})
    by_headers = httpx.get(
        url,
        params=query,
        headers={"X-ClickHouse-User": "writer", "X-ClickHouse-Key": "writer-secret"},
    )
    by_basic = httpx.get(url, params=query, auth=("writer", "writer-secret"))
    assert [r.status_code for r in (by_params, by_headers, by_basic)] == [200, 200, 200]


def test_duplicate_running_query_id_is_refused(
    warehouse_server: WarehouseProcess, table: str
) -> None:
    query_id = {"query_id": f"dup-{uuid.uuid4()}"}
    with held_insert(warehouse_server.url, query_id, table) as statuses:
        second = httpx.get(warehouse_server.url, params={"query": "SELECT 1", **query_id})
        assert second.headers["X-ClickHouse-Exception-Code"] == "216"
    assert statuses == [200]
    assert _count(warehouse_server, table) == 2


def test_client_disconnecting_mid_stream_leaves_the_server_healthy(
    warehouse_server: WarehouseProcess,
) -> None:
    request = (
        b"GET /?query=SELECT%20number%20FROM%20numbers(100000000)%20FORMAT%20RowBinary"
        b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", warehouse_server.port)) as sock:
            sock.sendall(request)
            received = 0
            while received < 4 << 20:
                received += len(sock.recv(1 << 16))
    assert warehouse_server.alive()
    started = time.monotonic()
    assert httpx.get(f"{warehouse_server.url}/ping").text == "Ok.\n"
    assert httpx.get(warehouse_server.url, params={"query": "SELECT 42"}).text == "42\n"
    assert time.monotonic() - started < 10


def test_reads_proceed_while_a_slow_insert_streams(
    warehouse_server: WarehouseProcess, table: str
) -> None:
    release = threading.Event()

    def slow_rows() -> Iterator[bytes]:
        yield b"1,first\n"
        release.wait(30)
        yield b"2,second\n"

    def insert() -> None:
        answer = httpx.post(
            warehouse_server.url,
            params={"query": f"INSERT INTO {table} FORMAT CSV"},
            content=slow_rows(),
            timeout=60,
        )
        results.append(answer.status_code)

    results: list[int] = []
    writer = threading.Thread(target=insert)
    writer.start()
    try:
        readers = [
            httpx.get(warehouse_server.url, params={"query": "SELECT count() FROM numbers(1000)"})
            for _ in range(5)
        ]
        assert [r.text for r in readers] == ["1000\n"] * 5
        assert writer.is_alive()  # the insert is still waiting for its rows
    finally:
        release.set()
        writer.join(60)
    assert results == [200]
    assert _count(warehouse_server, table) == 2
