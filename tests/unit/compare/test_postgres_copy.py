"""The COPY text PostgreSQL (and Vertica) load: escapes, nulls, UTC timestamps."""

from __future__ import annotations

import numpy as np

from compare.dataset import Chunk
from compare.stores.postgres import copy_text


def test_copy_text_escapes_specials_marks_nulls_and_writes_utc_timestamps() -> None:
    chunk = Chunk(
        {
            "event_id": ["e1", "e2"],
            "occurred_at": np.array([0, 1_793_597_942_342], dtype=np.int64),
            "context_user_agent": ["tab\there\\", None],
            "position_ms": np.array([5, 6], dtype=np.int64),
        }
    )
    assert copy_text(chunk).decode().splitlines() == [
        "e1\t1970-01-01T00:00:00.000\ttab\\there\\\\\t5",
        "e2\t2026-11-02T05:39:02.342\t\\N\t6",
    ]
    assert copy_text(chunk, null="").decode().splitlines()[1].split("\t")[2] == ""
