"""Stand-in CUPS commands (`lp`, `lpstat`, `cancel`) for window tests that need a print to wait, to fail,
or to be cancelled. The real scheduler is exercised by the cups-marked tests; these scripts let
the fast lane post clicks and keys while a print runs.

`lp` keeps what it was given: its arguments in `lp-args`, the PDF from standard input in `job.pdf`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

QUEUE = "FakeQueue"
JOB_ID = f"{QUEUE}-7"


@dataclass
class FakeCups:
    folder: Path

    @property
    def job_pdf(self) -> Path:
        return self.folder / "job.pdf"

    @property
    def lp_args(self) -> list[str]:
        path = self.folder / "lp-args"
        return path.read_text().split("\n")[:-1] if path.exists() else []

    @property
    def cancelled(self) -> bool:
        return (self.folder / "cancelled").exists()

    def release_lp(self) -> None:
        """Let an `lp` installed with hold_lp=True go on and take the job."""
        (self.folder / "lp-go").touch()


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def install(
    monkeypatch: pytest.MonkeyPatch,
    folder: Path,
    hold_lp: bool = False,
    lp_fails: str = "",
    pending_polls: int = 0,
    cancel_fails: bool = False,
) -> FakeCups:
    """Put fake CUPS commands first on PATH. The job stays pending for `pending_polls` lpstat calls.
    With hold_lp, `lp` waits (up to a minute, the window's own limit) until the test calls release_lp():
    a print is under way for as long as the test needs, whatever the load."""
    bin_folder = folder / "bin"
    bin_folder.mkdir(parents=True)
    failure = f'echo "lp: {lp_fails}" >&2; exit 1\n' if lp_fails else ""
    hold = (
        f'n=0; while [ ! -e "{folder}/lp-go" ] && [ $n -lt 3000 ]; do sleep 0.02; n=$((n + 1)); done\n'
        if hold_lp
        else ""
    )
    _script(
        bin_folder / "lp",
        (
            f'for a in "$@"; do printf "%s\\n" "$a" >> "{folder}/lp-args"; done\n'
            f"{hold}{failure}"
            f'cat > "{folder}/job.pdf.part" && mv "{folder}/job.pdf.part" "{folder}/job.pdf"\n'
            f'echo "request id is {JOB_ID} (1 file(s))"\n'
        ),
    )
    _script(
        bin_folder / "lpstat",
        (
            f'count=$(cat "{folder}/polls" 2>/dev/null || echo 0); echo $((count + 1)) > "{folder}/polls"\n'
            f'if [ "$1" = "-d" ]; then echo "system default destination: {QUEUE}"; exit 0; fi\n'
            f'if [ $count -lt {pending_polls} ] && [ ! -e "{folder}/cancelled" ]; then '
            f'echo "{JOB_ID}  nurse  12345  Sun 22 Nov 2026 10:00:00"; fi\n'
        ),
    )
    _script(
        bin_folder / "cancel",
        'echo "cancel: no such job" >&2; exit 1\n' if cancel_fails else f'touch "{folder}/cancelled"\n',
    )
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    return FakeCups(folder)
