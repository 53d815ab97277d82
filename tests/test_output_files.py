"""Writing output files: only regular files are ever written, permissions are kept, and a kill at any
moment leaves no file holding the data (the unnamed O_TMPFILE, and the journal of named temp files)."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from handout_app import output_files
from handout_app.cli import main
from handout_app.output_files import (
    OutputExists,
    OutputNotRegular,
    check_target,
    clean_stale_temp_files,
    journal_folder,
    write_atomically,
)

REPO = Path(__file__).resolve().parents[1]
PATIENT_DATA = b"%PDF-1.7 Jane Example, born 1950-01-02, MRN 0042 " * 2000
CLI_ARGS = [
    "render",
    "--target",
    "joint",
    "--medication",
    "anesthetic",
    "--guidance",
    "ultrasound",
    "--side",
    "left",
    "--patient-name",
    "Ann Lee",
    "--generated-at",
    "2026-11-21T09:30:00+00:00",
]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="O_TMPFILE and renameat2 are Linux's")


@pytest.fixture(autouse=True)
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Journals go to a private state folder (inherited by child processes), with a fresh journal."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    journal = output_files._Journal()
    monkeypatch.setattr(output_files, "_JOURNAL", journal)
    yield state
    journal._close()


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(params=["unnamed", "named"])
def either_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with Linux's unnamed temporary file and with the named fallback (no O_TMPFILE)."""
    if request.param == "named":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    elif not hasattr(os, "O_TMPFILE"):
        pytest.skip("no O_TMPFILE here")
    return str(request.param)


def journals() -> list[Path]:
    folder = journal_folder()
    return sorted(folder.iterdir()) if folder.is_dir() else []


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".handout-"))


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def assert_fifo(path: Path) -> None:
    assert stat.S_ISFIFO(os.lstat(path).st_mode)


# -- the basic promises, both ways ---------------------------------------------------------------


def test_a_new_file_gets_0644_less_the_umask_and_nothing_else_is_left(tmp_path: Path, either_way: str) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    old = os.umask(0o027)
    try:
        write_atomically(folder / "handout.pdf", PATIENT_DATA)
    finally:
        os.umask(old)
    assert (folder / "handout.pdf").read_bytes() == PATIENT_DATA
    assert stat.S_IMODE(os.stat(folder / "handout.pdf").st_mode) == 0o640
    assert [p.name for p in folder.iterdir()] == ["handout.pdf"]
    with pytest.raises(OutputExists):
        write_atomically(folder / "handout.pdf", b"other")
    assert (folder / "handout.pdf").read_bytes() == PATIENT_DATA


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_replacing_keeps_the_permission_bits(tmp_path: Path, either_way: str, umask_022: None, mode: int) -> None:
    target = tmp_path / "handout.pdf"
    target.write_bytes(b"old")
    target.chmod(mode)
    write_atomically(target, PATIENT_DATA, replace=True)
    assert target.read_bytes() == PATIENT_DATA
    assert stat.S_IMODE(os.stat(target).st_mode) == mode  # 0600 used to become 0644
    assert temp_files(tmp_path) == []


def test_a_failed_write_leaves_nothing_and_the_old_file_intact(
    tmp_path: Path, either_way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "handout.pdf"
    target.write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, PATIENT_DATA, replace=True)
    with pytest.raises(OSError, match="No space"):
        write_atomically(tmp_path / "new.pdf", PATIENT_DATA)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "state") == ["handout.pdf"]
    assert target.read_bytes() == b"old"


# -- only regular files --------------------------------------------------------------------------


def _non_regular(kind: str, folder: Path) -> tuple[Path, Callable[[], None]]:
    """A path of the given kind and a check that it is still that kind."""
    path = folder / f"target-{kind}"
    if kind == "fifo":
        make_fifo(path)
        return path, lambda: assert_fifo(path)
    if kind == "symlink-to-victim":
        victim = folder / "passwd"
        victim.write_text("root:x:0:0\n")
        path.symlink_to(victim)
        return path, lambda: (path.is_symlink() and victim.read_text() == "root:x:0:0\n") or pytest.fail("changed")
    if kind == "dangling-symlink":
        path.symlink_to(folder / "nowhere")
        return path, lambda: (path.is_symlink() and not (folder / "nowhere").exists()) or pytest.fail("changed")
    if kind == "folder":
        path.mkdir()
        (path / "keep.txt").write_text("x")
        return path, lambda: (path / "keep.txt").is_file() or pytest.fail("changed")
    if kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
        return path, lambda: stat.S_ISSOCK(os.lstat(path).st_mode) or pytest.fail("changed")
    if kind == "device":
        if os.geteuid() != 0:
            pytest.skip("only root can make a device node")
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null
        return path, lambda: stat.S_ISCHR(os.lstat(path).st_mode) or pytest.fail("changed")
    raise AssertionError(kind)


KINDS = ["fifo", "symlink-to-victim", "dangling-symlink", "folder", "socket", "device"]


@pytest.mark.parametrize("kind", KINDS)
def test_anything_but_a_regular_file_is_refused_even_when_replacing(tmp_path: Path, either_way: str, kind: str) -> None:
    path, still_the_same = _non_regular(kind, tmp_path)
    for replace in (False, True):
        with pytest.raises(OutputNotRegular) as caught:
            write_atomically(path, PATIENT_DATA, replace=replace)
        assert "not an ordinary file" in str(caught.value)
        with pytest.raises(OutputNotRegular):
            check_target(path, replace=replace)
    still_the_same()
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("name", [".", ".."])
def test_a_dot_name_is_a_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputNotRegular, match="a folder"):
        write_atomically(tmp_path / name, b"x", replace=True)


@pytest.mark.parametrize("kind", ["fifo", "symlink-to-victim", "device"])
def test_cli_force_refuses_a_non_regular_output_with_exit_2(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, still_the_same = _non_regular(kind, tmp_path)
    code = main([*CLI_ARGS, "--force", "--output", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        err.startswith(f"error: --output: '{path}' is ")
        and "even with --force" in err
        and "give another file name" in err
    )
    assert "Traceback" not in err
    still_the_same()


def test_cli_refuses_an_impossible_name_before_rendering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([*CLI_ARGS, "--output", str(tmp_path / ("x" * 300 + ".pdf"))])
    err = capsys.readouterr().err
    assert code == 2 and "--output:" in err and "File name too long" in err and "Choose another name" in err


@linux_only
def test_a_fifo_swapped_in_after_the_check_is_put_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check and the replacement are one step (renameat2 RENAME_EXCHANGE): a pipe that appears
    between them is swapped back and the write refused."""
    target = tmp_path / "handout.pdf"
    target.write_bytes(b"old")
    real_fill = output_files._fill

    def fill_then_swap(fd: int, data: bytes, mode: int, existing: os.stat_result | None) -> None:
        real_fill(fd, data, mode, existing)
        target.unlink()
        make_fifo(target)

    monkeypatch.setattr(output_files, "_fill", fill_then_swap)
    with pytest.raises(OutputNotRegular, match="named pipe"):
        write_atomically(target, PATIENT_DATA, replace=True)
    assert_fifo(target)
    assert temp_files(tmp_path) == []


def test_a_hard_linked_target_is_replaced_not_written_through(tmp_path: Path, either_way: str) -> None:
    target, other = tmp_path / "handout.pdf", tmp_path / "someone-elses.pdf"
    other.write_bytes(b"theirs")
    os.link(other, target)
    write_atomically(target, PATIENT_DATA, replace=True)
    assert target.read_bytes() == PATIENT_DATA and other.read_bytes() == b"theirs"


def test_a_folder_reached_through_a_link_is_written_into_its_real_folder(tmp_path: Path, either_way: str) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    write_atomically(tmp_path / "link" / "handout.pdf", PATIENT_DATA)
    assert (real / "handout.pdf").read_bytes() == PATIENT_DATA and (tmp_path / "link").is_symlink()


def test_a_name_with_a_newline_works_and_the_journal_stays_one_entry_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    folder = tmp_path / "a\nb"
    folder.mkdir()
    seen: list[str] = []
    real_fill = output_files._fill

    def spy(fd: int, data: bytes, mode: int, existing: os.stat_result | None) -> None:
        seen.extend(p.read_text() for p in journals())
        real_fill(fd, data, mode, existing)

    monkeypatch.setattr(output_files, "_fill", spy)
    write_atomically(folder / "x\ny.pdf", PATIENT_DATA)
    assert (folder / "x\ny.pdf").read_bytes() == PATIENT_DATA
    [text] = seen
    [line] = text.splitlines()
    assert Path(json.loads(line)).parent == folder


# -- the journal and the clean-up ----------------------------------------------------------------


def test_the_journal_holds_only_the_random_temp_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    seen: list[str] = []
    real_fill = output_files._fill

    def spy(fd: int, data: bytes, mode: int, existing: os.stat_result | None) -> None:
        seen.extend(p.read_text() for p in journals())
        real_fill(fd, data, mode, existing)

    monkeypatch.setattr(output_files, "_fill", spy)
    write_atomically(tmp_path / "Jane-Example_hip-joint-injection_RIGHT.pdf", PATIENT_DATA)
    [text] = seen
    [entry] = [json.loads(line) for line in text.splitlines()]
    assert Path(entry).parent == tmp_path and output_files._TEMP_NAME.fullmatch(Path(entry).name)
    assert "Jane" not in text
    assert [p.read_text() for p in journals()] == [""]  # forgotten once the file has its name


def test_clean_up_leaves_a_running_process_alone_and_deletes_only_temp_names(tmp_path: Path) -> None:
    victim = tmp_path / "victim.pdf"
    victim.write_bytes(b"keep")
    live_temp = tmp_path / ".handout-0123456789abcdef0123456789abcdef.tmp"
    live_temp.write_bytes(b"in flight")
    with output_files._JOURNAL.recorded(str(live_temp)):
        assert clean_stale_temp_files() == 0  # our own journal is locked: we are alive
        assert live_temp.exists()
    # A dead process's journal (nobody holds its lock), naming a temp file and, forged, a real file.
    dead_temp = tmp_path / ".handout-fedcba9876543210fedcba9876543210.tmp"
    dead_temp.write_bytes(PATIENT_DATA)
    journal_folder().mkdir(parents=True, exist_ok=True)
    (journal_folder() / "999999-0000000000000000.journal").write_text(
        "".join(json.dumps(str(p)) + "\n" for p in (dead_temp, victim)) + "not json\n"
    )
    assert clean_stale_temp_files() == 1
    assert not dead_temp.exists() and victim.read_bytes() == b"keep"
    assert not (journal_folder() / "999999-0000000000000000.journal").exists()


def test_clean_up_never_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "not-a-folder"))
    (tmp_path / "not-a-folder").write_text("x")
    assert clean_stale_temp_files() == 0


def test_saving_works_without_a_writable_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "blocked"))
    (tmp_path / "blocked").write_text("a file where the folder should be")
    write_atomically(tmp_path / "handout.pdf", PATIENT_DATA)
    assert (tmp_path / "handout.pdf").read_bytes() == PATIENT_DATA


# -- a real kill ---------------------------------------------------------------------------------

CHILD = """
import os, sys, time
from pathlib import Path
from handout_app import output_files

mode, target = sys.argv[1], Path(sys.argv[2])
if mode.startswith("named"):
    del os.O_TMPFILE

def stall(*args):
    print("stalled", flush=True)
    time.sleep(120)

if "while-writing" in mode:
    def half_then_stall(fd, data, file_mode, existing):
        os.write(fd, data[: len(data) // 2])
        stall()
    output_files._fill = half_then_stall
else:  # the instant a finished replacement has a hidden name of its own, before it takes the target's
    output_files._commit = stall
output_files.write_atomically(target, b"Jane Example " * 5000, replace="replace" in mode)
"""


@pytest.mark.parametrize(
    "mode",
    [
        "unnamed-new-while-writing",
        "named-new-while-writing",
        "named-replace-while-writing",
        "unnamed-replace-before-rename",
        "named-replace-before-rename",
    ],
)
def test_a_kill_at_any_moment_leaves_no_file_with_the_data(tmp_path: Path, mode: str) -> None:
    if mode.startswith("unnamed") and not hasattr(os, "O_TMPFILE"):
        pytest.skip("no O_TMPFILE here")
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "handout.pdf"
    if "replace" in mode:
        target.write_bytes(b"the previous handout")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "stalled"
        leftovers = temp_files(folder)
        if mode.startswith("unnamed") and "while-writing" in mode:
            assert leftovers == []  # the bytes are in a file without a name: nothing to leave behind
        else:
            assert len(leftovers) == 1 and b"Jane Example" in (folder / leftovers[0]).read_bytes()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()  # type: ignore[union-attr]
    assert child.returncode == -signal.SIGKILL
    clean_stale_temp_files()
    assert temp_files(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == (["handout.pdf"] if "replace" in mode else [])
    if "replace" in mode:
        assert target.read_bytes() == b"the previous handout"
    assert journals() == []


def test_check_target_never_opens_a_fifo(tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path / "pipe.pdf")
    outcome: list[BaseException] = []

    def look() -> None:
        try:
            check_target(fifo, replace=True)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=look, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # it opened the pipe and waits for a writer: release it, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("check_target opened the named pipe")
    assert isinstance(outcome[0], OutputNotRegular)
