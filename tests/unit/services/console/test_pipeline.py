"""The pipeline service's pure parts: reading the ETL's recorded decisions."""

from __future__ import annotations

import pytest

from services.console.pipeline import decision_reasons


@pytest.mark.parametrize(
    ("recorded", "reasons"),
    [
        ('{"reasons": []}', ()),
        (
            '{"reasons": ["field \'score\' changed type: Int32 -> String", "x"]}',
            ("field 'score' changed type: Int32 -> String", "x"),
        ),
        ("opened by hand", ("opened by hand",)),
        ('{"other": 1}', ('{"other": 1}',)),
        ("", ()),
    ],
)
def test_the_reasons_of_an_etl_decision_are_read_from_its_json_or_shown_whole(
    recorded: str, reasons: tuple[str, ...]
) -> None:
    assert decision_reasons(recorded) == reasons
