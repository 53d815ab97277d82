"""Benchmark: what recording a sheet adds to Save and Print (the nurse waits for it).

Measured in one run, on a private SQLite store: writing the PDF itself (output_files.write_atomically)
against recording it (records/recorder.py: the wording snapshot, the document row and the delivery).
The first record of a new wording set also archives its files; later ones find them stored. Prints
medians, asserts nothing.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import figure  # noqa: E402 (bench/ is on the path only now)

sys.path.insert(0, str(ROOT))
RUNS = 20


def main() -> None:
    """Print the medians."""
    folder = Path(tempfile.mkdtemp(prefix="record-bench-"))
    os.environ["XDG_DATA_HOME"] = str(folder / "data")
    from handout_app.domain import Guidance, Medication, PatientDetails, Selection, Side, Target, selection_to_dict
    from handout_app.output_files import write_atomically
    from handout_app.records.entry import SheetRequest
    from handout_app.records.recorder import now_for_sheet, recorder_for, store_choice
    from handout_app.worker import handle

    selection = Selection(
        target=Target.JOINT,
        medications=frozenset({Medication.CORTICOSTEROID}),
        guidance=Guidance.ULTRASOUND,
        side=Side.LEFT,
        patient=PatientDetails(name="Bench Patient"),
    )
    clinic = str(ROOT / "examples" / "clinic")
    recorder = recorder_for(store_choice(None))
    request = SheetRequest(selection_to_dict(selection), clinic, now_for_sheet(), recorder.fresh_number())
    reply, pdf = handle(json.loads(request.payload("bench")))
    started = time.perf_counter()
    recorder.record(request, reply["wording"], pdf, "saved")
    first = time.perf_counter() - started
    writes, records = [], []
    for index in range(RUNS):
        started = time.perf_counter()
        write_atomically(folder / f"sheet-{index}.pdf", pdf)
        writes.append(time.perf_counter() - started)
        again = SheetRequest(request.selection, clinic, request.generated_at, recorder.fresh_number())
        started = time.perf_counter()
        outcome = recorder.record(again, reply["wording"], pdf, "saved")
        records.append(time.perf_counter() - started)
        assert outcome.stored, outcome.warning
    write_ms, record_ms = statistics.median(writes) * 1000, statistics.median(records) * 1000
    figure("record a sheet on Save or Print (SQLite)", record_ms, "ms")
    print(
        f"record a sheet (SQLite): first of a wording set {first * 1000:.0f} ms; then median {record_ms:.1f} ms "
        f"(writing the PDF itself: {write_ms:.1f} ms, {record_ms / write_ms:.1f}x) over {RUNS} runs"
    )


if __name__ == "__main__":
    main()
