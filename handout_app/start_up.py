"""Python's cyclic garbage collector paused while a process loads what it keeps.

While a process starts it loads what it keeps until it ends: WeasyPrint and the built-in content in the
render worker, Qt and the form in the window, the commands and the record store (SQLAlchemy) in
`handout-app render`. Python's collector runs after every 700 or so new objects and walks the young
ones, often all of them; at start-up nearly every object is new and almost none is garbage. Measured on
2 cores: the worker's start (WeasyPrint and the content, about 330 ms) ran 133 to 155 collections taking
37 to 51 ms, and found 835 objects (150 KB) to free; `handout-app render` spent 50 to 70 ms of the 330 to
450 ms before its request in 127 collections; the window 20 ms in 99 before it showed. Each lies on the
way to the first sheet or the usable window. The worker and the window pause for their start only;
`handout-app render`, one sheet and then the end, pauses for the whole command (cli.program).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, keep_for_life: bool) -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused, then resume it (if it was running before).

    `keep_for_life`: what the process holds by the block's end lives as long as the process (a worker's
    WeasyPrint, the window), so every object alive then is frozen (gc.freeze: not only the block's), and
    later collections never walk them again; the little start-up garbage among them stays. Freezing before
    the collector resumes also spares the one large collection that would otherwise follow at once. With
    False, the block's objects are left to the collector as usual.
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
