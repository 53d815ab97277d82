"""A process's start-up with Python's cyclic garbage collector paused.

While a process starts it loads what it keeps until it ends: WeasyPrint and the built-in content in the
render worker, the commands and the record store (SQLAlchemy) in `handout-app render`. Python's collector
runs after every 700 or so new objects and walks the young ones, often all of them; at start-up nearly
every object is new and none is garbage. Measured on 2 cores: the worker's start (WeasyPrint and the
content, about 330 ms) ran 133 to 155 collections taking 37 to 51 ms, and found 835 objects (150 KB) to
free; `handout-app render` spent 50 to 70 ms of the 330 to 450 ms before its request in 127 collections.
Both lie on the way to the first sheet.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, keep_for_life: bool) -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused, then resume it (if it was running before).

    `keep_for_life`: what the block loaded lives as long as the process (a worker's WeasyPrint), so it is
    frozen: later collections never walk it again. The little start-up garbage among it stays with it. Leave
    this False where the block's objects go away (a command run by tests in their own process).
    """
    was_running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep_for_life:
            gc.freeze()
        if was_running:
            gc.enable()
