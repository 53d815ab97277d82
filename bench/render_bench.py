"""Benchmarks: prints figures, asserts nothing. Run with `make bench`.

1. Bare WeasyPrint render of a handout's HTML in this process (median of 20), the baseline.
2. Form change -> new preview page shown in the window (median of 20), and its ratio to 1.
3. Typing a name a key at a time: last key -> preview of the whole name, and its ratio to 1.
4. Cold start to a usable window, and cold start to the first preview (separate processes): with the
   form filled at once (the worst case), and filled 4 s after the window opened, as a nurse types (with
   the built-in wording, and with the example clinic's folder).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import figure  # noqa: E402 (bench/ is on the path only now)

sys.path.insert(0, str(ROOT))
RUNS = 20


def bare_render_ms() -> float:
    from handout_app.catalog import load_catalog
    from handout_app.clinic import ClinicProfile
    from handout_app.pdf import render_pdf
    from handout_app.templating import render_html
    from tests.helpers import make_selection

    html = render_html(
        make_selection(name="Bench Patient"), load_catalog(), ClinicProfile(), dt.datetime.now().astimezone()
    ).html
    render_pdf(html)  # warm-up, as the worker does
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        render_pdf(html)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def wait_until(predicate) -> None:  # type: ignore[no-untyped-def]
    """Run the Qt event loop until predicate() holds.

    A QEventLoop with a 1 ms timer, not a processEvents() busy loop that would burn the CPU the
    worker needs.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(lambda: loop.quit() if predicate() else None)
    timer.start()
    loop.exec()
    timer.stop()


_APP = None


def _ready_window():  # type: ignore[no-untyped-def]
    """A window with its worker ready and a complete form (anesthetic + steroid, both purposes, RIGHT)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from handout_app.catalog import load_catalog
    from handout_app.domain import Intent, Medication, Side
    from handout_app.gui import dialogs
    from handout_app.gui.main_window import MainWindow

    dialogs.confirm_discard = lambda parent: True  # closing with an unsent sheet asks; nobody is here to answer
    global _APP  # the application must outlive this function
    _APP = QApplication.instance() or QApplication([])
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, "/tmp/handout-bench-settings")
    window = MainWindow(load_catalog())
    window.show()
    wait_until(lambda: window.client.is_ready)
    window.form.medications[Medication.ANESTHETIC].setChecked(True)
    window.form.medications[Medication.CORTICOSTEROID].setChecked(True)
    window.form.intent.setCurrentIndex(
        window.form.intent.findData(Intent.BOTH.value)
    )  # this mix has no default purpose
    window.form.side_buttons[Side.RIGHT].setChecked(True)
    return window


def change_to_preview_ms() -> float:
    """Median time from one form change to its preview being on screen (the window renders at once:
    there is no typing pause)."""
    window = _ready_window()
    times = []
    for index in range(RUNS + 1):
        start = time.perf_counter()
        window.form.patient_name.setText(f"Bench Patient {index}")
        wait_until(lambda: window.save_action.isEnabled())
        if index:  # the first one warms up the worker's caches
            times.append((time.perf_counter() - start) * 1000)
    window.close()
    return statistics.median(times)


TYPED = "Maria Gonzalez"  # a name typed letter by letter, one key every KEY_INTERVAL_MS
KEY_INTERVAL_MS = 120  # about eight keys a second, a nurse typing steadily
TYPING_RUNS = 7


def _pause(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def typing_to_preview_ms() -> float:
    """Median time from the last key of a typed name to the preview of the whole name."""
    window = _ready_window()
    times = []
    for index in range(TYPING_RUNS + 1):
        window.form.patient_name.clear()
        wait_until(lambda: window.save_action.isEnabled() or not window.form.patient_name.text())
        for count in range(1, len(TYPED) + 1):
            window.form.patient_name.setText(TYPED[:count])
            if count < len(TYPED):
                _pause(KEY_INTERVAL_MS)
        start = time.perf_counter()
        wait_until(lambda: window.save_action.isEnabled())
        if index:  # the first run warms the worker's caches
            times.append((time.perf_counter() - start) * 1000)
    window.close()
    return statistics.median(times)


def cold_start_ms(wait_for_preview: bool, fill_after_s: float = 0.0, clinic: bool = False) -> float:
    """Cold start to a usable window, or to the first preview of a form filled at once (the worst case) or
    `fill_after_s` seconds after the window opened, as a nurse types (timed from the filling then); with
    `clinic`, the window opens with the example clinic's folder, as a clinic's remembered folder opens it."""
    script = f"""
import os, sys, time
start = time.perf_counter()
os.environ['QT_QPA_PLATFORM'] = 'offscreen'
sys.path.insert(0, {str(ROOT)!r})
os.environ['XDG_CONFIG_HOME'] = '/tmp/handout-bench-settings'  # its own settings file, kept between runs
from handout_app.window import show_window
from pathlib import Path
w = show_window(Path({str(ROOT / "examples" / "clinic")!r}) if {clinic} else None, True)  # as `handout-app gui`
# opens it: the worker starts first, then Qt loads
from PySide6.QtWidgets import QApplication
QApplication.processEvents()
from handout_app.gui import dialogs
from handout_app.domain import Medication, Side
dialogs.confirm_discard = lambda parent: True  # closing with an unsent sheet asks; nobody is here to answer
app = QApplication.instance()
if {wait_for_preview}:
    if {fill_after_s}:
        idle_until = time.perf_counter() + {fill_after_s}
        while time.perf_counter() < idle_until:
            app.processEvents()
            time.sleep(0.01)
        start = time.perf_counter()
    w.form.medications[Medication.ANESTHETIC].setChecked(True)
    w.form.side_buttons[Side.LEFT].setChecked(True)
    w.form.patient_name.setText('Cold Start')
    w.request_preview()
    sys.path.insert(0, {str(ROOT / "bench")!r})
    from render_bench import wait_until
    wait_until(lambda: w.save_action.isEnabled())
print((time.perf_counter() - start) * 1000)
w.close()
"""
    results = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        results.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(results)


def _in_subprocess(function: str) -> float:
    # WeasyPrint (Pango) and Qt are kept in separate processes, as in the app itself.
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
        f"import render_bench; print(render_bench.{function}())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    bare = _in_subprocess("bare_render_ms")
    preview = change_to_preview_ms()
    typing = typing_to_preview_ms()

    window_ms, first_preview_ms = cold_start_ms(False), cold_start_ms(True)
    later_preview_ms = cold_start_ms(True, fill_after_s=4.0)
    clinic_preview_ms = cold_start_ms(True, fill_after_s=4.0, clinic=True)
    figure("bare WeasyPrint render", bare, "ms")
    figure("form change -> preview shown / bare render", preview / bare, "x", "<= 1.3x")
    figure("typing: last key -> preview / bare render", typing / bare, "x", "<= 1.1x")
    figure("cold start -> usable window", window_ms, "ms", "< 500 ms")
    figure("cold start -> first preview", first_preview_ms, "ms", "<= 1000 ms")
    figure("form filled 4 s after a cold start -> first preview / bare render", later_preview_ms / bare, "x")
    figure("the same with the example clinic's folder -> first preview", clinic_preview_ms, "ms")
    print(f"bare WeasyPrint render (median of {RUNS}):            {bare:8.1f} ms")
    print(
        f"form change -> preview shown (median of {RUNS}):      "
        f"{preview:8.1f} ms   ratio {preview / bare:.2f}x (aim <= 1.3x)"
    )
    print(
        f"typing a name, last key -> preview (median of {TYPING_RUNS}, a key every {KEY_INTERVAL_MS} ms): "
        f"{typing:8.1f} ms   ratio {typing / bare:.2f}x (aim <= 1.1x)"
    )
    print(f"cold start -> usable window (median of 5):  {window_ms:8.1f} ms   (aim < 500 ms)")
    print(f"cold start -> first preview (median of 5):  {first_preview_ms:8.1f} ms")
    print(
        f"form filled 4 s after a cold start -> first preview (median of 5):  {later_preview_ms:8.1f} ms   "
        f"ratio {later_preview_ms / bare:.2f}x the bare render (the worker warmed up meanwhile)"
    )
    print(f"the same with the example clinic's folder (median of 5):  {clinic_preview_ms:8.1f} ms")
    sys.stdout.flush()
    # Skip interpreter finalization: Qt objects torn down in arbitrary order at exit are not worth measuring.
    os._exit(0)


if __name__ == "__main__":
    main()
