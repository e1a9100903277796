"""`ugc.kafka.broker`: the cluster ids `ugc kafka start` formats storage with."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

import pytest

from ugc.kafka import broker


def test_regression_a_new_cluster_id_never_starts_with_a_dash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 0xF8 encodes to "-" in base64url: the storage tool would read such an id as an option.
    dashed = uuid.UUID(bytes=b"\xf8" + bytes(15))
    plain = uuid.UUID(bytes=b"\x10" + bytes(15))
    assert base64.urlsafe_b64encode(dashed.bytes).startswith(b"-")
    drawn: Iterator[uuid.UUID] = iter([dashed, dashed, plain])
    monkeypatch.setattr(broker.uuid, "uuid4", lambda: next(drawn))

    cluster_id = broker._new_cluster_id()

    assert cluster_id == base64.urlsafe_b64encode(plain.bytes).decode().rstrip("=")
    assert len(cluster_id) == 22
