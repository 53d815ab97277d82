"""start_up.collector_paused: the garbage collector rests while a process loads what it keeps, and runs again
afterwards whatever happened, so that a long session (a day of previews, a day's list) never piles up
garbage; what the block loaded is frozen only when it lasts as long as the process."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from handout_app.start_up import collector_paused


@pytest.fixture(autouse=True)
def _collector_as_found() -> Iterator[None]:
    running = gc.isenabled()
    gc.unfreeze()  # whatever an earlier test in this process froze
    yield
    gc.unfreeze()
    if running:
        gc.enable()
    else:
        gc.disable()


class _Loaded:
    """An object the paused block makes and keeps, as a module loaded at start-up."""


def test_the_collector_rests_during_the_block_and_runs_again_after_it() -> None:
    gc.enable()
    with collector_paused(keep_for_life=False):
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing kept for life: a later collection still looks at it


def test_what_lasts_for_life_is_frozen_out_of_later_collections() -> None:
    gc.enable()
    with collector_paused(keep_for_life=True):
        kept = _Loaded()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    assert not any(kept is tracked for tracked in gc.get_objects())  # frozen objects are no longer tracked


def test_a_failed_start_still_leaves_the_collector_running() -> None:
    gc.enable()
    with pytest.raises(ImportError), collector_paused(keep_for_life=True):
        raise ImportError("a library is missing")
    assert gc.isenabled()


def test_a_collector_the_caller_had_stopped_stays_stopped() -> None:
    gc.disable()
    with collector_paused(keep_for_life=False):
        pass
    assert not gc.isenabled()
