"""The instance's high-water position is shared by processes forked after it was made, and
never goes back."""

from __future__ import annotations

import multiprocessing

from registry.server.high_water import LocalHighWater, SharedHighWater


def _advance(high_water: SharedHighWater, position: int) -> None:
    high_water.advance(position)


def test_a_position_advanced_in_a_forked_worker_is_seen_by_its_siblings() -> None:
    high_water = SharedHighWater()
    worker = multiprocessing.get_context("fork").Process(target=_advance, args=(high_water, 42))
    worker.start()
    worker.join(10)
    assert worker.exitcode == 0
    assert high_water.value() == 42


def test_the_high_water_never_goes_back() -> None:
    for high_water in (SharedHighWater(), LocalHighWater()):
        high_water.advance(7)
        high_water.advance(3)
        assert high_water.value() == 7
