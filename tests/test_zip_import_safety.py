"""Hostile .zip archives for Clinic > Import: every one is a plain ArchiveError saying nothing was
imported, and nothing is left beside the target; a good one unpacks with normal permissions."""

from __future__ import annotations

import io
import os
import random
import stat
import struct
import threading
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from handout_app.clinic_archive import MAX_ARCHIVE_BYTES, MAX_FILES, ArchiveError, export_zip, import_zip

CLINIC_TOML = b'[clinic]\nname = "Imported Clinic"\n'
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "clinic"
LOCAL, CENTRAL = b"PK\x03\x04", b"PK\x01\x02"


def zip_bytes(entries: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which are the point here
        with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buffer.getvalue()


def patch(
    data: bytes,
    name: str,
    *,
    method: int | None = None,
    flags: int = 0,
    size: int | None = None,
    new_name: bytes | None = None,
) -> bytes:
    """Change the headers of the entry `name` in both the local header and the central directory."""
    out = bytearray(data)
    for signature, flags_at, method_at, size_at, length_at, name_at in (
        (LOCAL, 6, 8, 22, 26, 30),
        (CENTRAL, 8, 10, 24, 28, 46),
    ):
        start = out.find(signature)
        while start >= 0:
            (length,) = struct.unpack_from("<H", out, start + length_at)
            if bytes(out[start + name_at : start + name_at + length]) == name.encode():
                struct.pack_into(
                    "<H", out, start + flags_at, struct.unpack_from("<H", out, start + flags_at)[0] | flags
                )
                if method is not None:
                    struct.pack_into("<H", out, start + method_at, method)
                if size is not None and signature == CENTRAL:
                    struct.pack_into("<I", out, start + size_at, size)
                if new_name is not None:
                    assert len(new_name) == length
                    out[start + name_at : start + name_at + length] = new_name
            start = out.find(signature, start + 4)
    return bytes(out)


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Path]:
    """The folder the import goes into; the test ends by checking nothing was left in it."""
    parent = tmp_path / "workstation"
    parent.mkdir()
    yield parent


def refused(tmp_path: Path, parent: Path, data: bytes, match: str) -> ArchiveError:
    archive = tmp_path / "hostile.zip"
    archive.write_bytes(data)
    with pytest.raises(ArchiveError, match=match) as caught:
        import_zip(archive, parent / "clinic")
    assert "Nothing was imported" in str(caught.value) or "Choose a new folder name" in str(caught.value)
    assert list(parent.iterdir()) == []  # no target, no .import-* staging folder
    return caught.value


# -- unreadable entries --------------------------------------------------------------------------


def _bad_crc() -> bytes:
    data = zip_bytes([("clinic.toml", CLINIC_TOML), ("assets/note.txt", b"MARKER-0123456789")])
    return data.replace(b"MARKER-0123456789", b"MARKER-0123456788", 1)


def _bad_deflate() -> bytes:
    data = zip_bytes([("clinic.toml", CLINIC_TOML), ("assets/note.txt", b"STORED-ABCDEFGHIJ")])
    return patch(data.replace(b"STORED-ABCDEFGHIJ", b"\xff" * 17, 1), "assets/note.txt", method=zipfile.ZIP_DEFLATED)


UNREADABLE = {
    "bad-crc": (_bad_crc, r"'assets/note.txt' cannot be read \(Bad CRC-32"),
    "unsupported-method-99": (
        lambda: patch(zip_bytes([("clinic.toml", CLINIC_TOML), ("a.txt", b"x")]), "a.txt", method=99),
        r"compression method this app cannot read \(method 99\)",
    ),
    "deflate64-method-9": (
        lambda: patch(zip_bytes([("clinic.toml", CLINIC_TOML), ("a.txt", b"x")]), "a.txt", method=9),
        r"\(method 9\)",
    ),
    "encrypted": (
        lambda: patch(zip_bytes([("clinic.toml", CLINIC_TOML)]), "clinic.toml", flags=0x1),
        "is encrypted \\(password-protected\\)",
    ),
    "bad-deflate-stream": (_bad_deflate, "'assets/note.txt' cannot be read"),
    "bad-bzip2-stream": (
        lambda: patch(zip_bytes([("clinic.toml", CLINIC_TOML), ("b.txt", b"x" * 40)]), "b.txt", method=12),
        "'b.txt' cannot be read",
    ),
    "bad-lzma-stream": (
        lambda: patch(zip_bytes([("clinic.toml", CLINIC_TOML), ("c.txt", b"x" * 40)]), "c.txt", method=14),
        "'c.txt' cannot be read",
    ),
    "bad-local-header": (
        lambda: zip_bytes([("clinic.toml", CLINIC_TOML)]).replace(LOCAL, b"PK\x07\x08", 1),
        "'clinic.toml' cannot be read",
    ),
    "header-name-differs": (
        lambda: zip_bytes([("clinic.toml", CLINIC_TOML), ("a.txt", b"x")]).replace(b"a.txt", b"../..", 1),
        "'a.txt' cannot be read",
    ),  # the local header names another path than the directory
    "truncated": (lambda: zip_bytes([("clinic.toml", CLINIC_TOML)])[:-30], "is not a readable .zip file"),
    "not-a-zip": (lambda: b"%PDF-1.7 not a zip at all", "is not a readable .zip file"),
    "bad-utf8-name": (
        lambda: patch(
            zip_bytes([("clinic.toml", CLINIC_TOML), ("ab.txt", b"x")]), "ab.txt", flags=0x800, new_name=b"a\xff.txt"
        ),
        "is not a readable .zip file",
    ),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_an_unreadable_archive_is_a_plain_error(tmp_path: Path, place: Path, case: str) -> None:
    make, match = UNREADABLE[case]
    refused(tmp_path, place, make(), match)


# -- names ---------------------------------------------------------------------------------------

COLLIDING = {
    "duplicate": ["clinic.toml", "assets/a.txt", "assets/a.txt"],
    "duplicate-clinic-toml": ["clinic.toml", "clinic.toml"],
    "case": ["clinic.toml", "assets/Logo.svg", "assets/logo.svg"],
    "slash-and-backslash": ["clinic.toml", "assets/x.txt", "assets\\x.txt"],
    "dot-segment": ["clinic.toml", "./clinic.toml"],
    "accent-forms": ["clinic.toml", "caf\u00e9.txt", "cafe\u0301.txt"],
    "file-and-folder": ["clinic.toml", "assets", "assets/x.txt"],
}


@pytest.mark.parametrize("case", list(COLLIDING))
def test_names_that_collide_are_refused(tmp_path: Path, place: Path, case: str) -> None:
    names = COLLIDING[case]
    entries = [(name, CLINIC_TOML if name.endswith("clinic.toml") else f"{i}".encode()) for i, name in enumerate(names)]
    refused(
        tmp_path,
        place,
        zip_bytes(entries),
        "has the same name as|inside a folder that the archive also holds as a file",
    )


def test_a_name_cut_at_a_nul_byte_cannot_sneak_in_a_second_clinic_toml(tmp_path: Path, place: Path) -> None:
    data = zip_bytes([("clinic.toml", CLINIC_TOML), ("clinic.tomlXevil", b'[clinic]\nname = "Evil"\n')])
    refused(tmp_path, place, patch(data, "clinic.tomlXevil", new_name=b"clinic.toml\0evil"), "has the same name as")


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "..\\evil.txt",
        "/etc/evil.txt",
        "\\evil.txt",
        "C:\\evil.txt",
        "C:evil.txt",
        "\\\\server\\share\\evil.txt",
        "assets/./../../evil.txt",
        "assets\\..\\..\\evil.txt",
        "clinic.toml:stream",
    ],
)
def test_names_that_leave_the_folder_are_refused(tmp_path: Path, place: Path, name: str) -> None:
    refused(tmp_path, place, zip_bytes([("clinic.toml", CLINIC_TOML), (name, b"x")]), "outside the clinic folder")
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("assets/con.txt", "not a valid file name on Windows"),
        ("AUX", "not a valid file name on Windows"),
        ("assets/trailing.", "not a valid file name on Windows"),
        ("assets/space ", "not a valid file name on Windows"),
        ("assets/what?.txt", "not a valid file name on Windows"),
        ("line\nbreak.txt", "control characters"),
        ("bell\x07.txt", "control characters"),
        ("/", "has no name|outside"),
        ("./", "has no name"),
        ("/".join(["d"] * 17) + "/x.txt", "nested more than 16"),
        ("x" * 201, "longer than 200"),
    ],
)
def test_names_no_workstation_can_hold_are_refused(tmp_path: Path, place: Path, name: str, match: str) -> None:
    error = refused(tmp_path, place, zip_bytes([("clinic.toml", CLINIC_TOML), (name, b"x")]), match)
    assert "\n" not in str(error) and "\x07" not in str(error)


# -- sizes ---------------------------------------------------------------------------------------


def test_a_huge_declared_size_is_refused_before_unpacking(tmp_path: Path, place: Path) -> None:
    data = zip_bytes([("clinic.toml", CLINIC_TOML), ("assets/big.bin", b"x" * 100)])
    refused(tmp_path, place, patch(data, "assets/big.bin", size=0xFFFFFFF0), "unpacks to more than 50 MB")


def test_a_header_that_understates_the_size_is_caught_by_counting(tmp_path: Path, place: Path) -> None:
    data = zip_bytes([("clinic.toml", CLINIC_TOML), ("assets/big.bin", b"\0" * 2_000_000)], zipfile.ZIP_DEFLATED)
    refused(
        tmp_path,
        place,
        patch(data, "assets/big.bin", size=1000),
        "'assets/big.bin' cannot be read|unpacks to more than it says",
    )


def test_a_zip_bomb_is_refused(tmp_path: Path, place: Path) -> None:
    data = zip_bytes([("clinic.toml", CLINIC_TOML), ("assets/zeros.bin", b"\0" * 3_000_000)], zipfile.ZIP_DEFLATED)
    refused(tmp_path, place, data, "unpacks to far more than it holds")


def test_too_many_entries_and_too_big_a_file_are_refused(tmp_path: Path, place: Path) -> None:
    many = [("clinic.toml", CLINIC_TOML)] + [(f"assets/{i}.txt", b"") for i in range(MAX_FILES)]
    refused(tmp_path, place, zip_bytes(many), f"a clinic folder has at most {MAX_FILES}")
    archive = tmp_path / "huge.zip"
    with open(archive, "wb") as handle:
        handle.truncate(MAX_ARCHIVE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ArchiveError, match="is larger than"):
        import_zip(archive, place / "clinic")
    assert list(place.iterdir()) == []


# -- what the archive holds ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ([], "clinic.toml: is missing"),
        ([("assets/", b""), ("templates/", b"")], "clinic.toml: is missing"),
        ([("clinic.toml/", b""), ("clinic.toml/x", b"")], "clinic.toml: is not an ordinary file"),
        ([("clinic.toml", b'[clinic]\nname = "A\\u001b[2J"\n')], "line 2: 'name' contains a control character"),
        (
            [("clinic.toml", CLINIC_TOML), ("content/deep.toml", b"x = " + b"[" * 5000 + b"]" * 5000)],
            "nested too deeply|content/deep.toml",
        ),
    ],
    ids=["empty", "only-folders", "folder-named-clinic.toml", "escape-in-name", "deeply-nested-wording"],
)
def test_archives_without_a_usable_set_are_refused(tmp_path: Path, place: Path, entries: list, match: str) -> None:
    refused(tmp_path, place, zip_bytes(entries), match)


def test_a_nested_zip_is_imported_as_a_file_not_unpacked(tmp_path: Path, place: Path) -> None:
    inner = zip_bytes([("../../escape.txt", b"x")])
    archive = tmp_path / "outer.zip"
    archive.write_bytes(zip_bytes([("clinic.toml", CLINIC_TOML), ("assets/inner.zip", inner)]))
    imported = import_zip(archive, place / "clinic")
    assert (imported / "assets" / "inner.zip").read_bytes() == inner
    assert not (tmp_path / "escape.txt").exists() and sorted(p.name for p in place.iterdir()) == ["clinic"]


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_an_archive_that_is_not_a_file_is_refused_without_hanging(tmp_path: Path, place: Path, kind: str) -> None:
    archive = tmp_path / "set.zip"
    os.mkfifo(archive) if kind == "fifo" else archive.mkdir()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            import_zip(archive, place / "clinic")
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        os.close(os.open(archive, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("import_zip hung on a named pipe")
    assert isinstance(outcome[0], ArchiveError) and "is not an ordinary file" in str(outcome[0])
    assert list(place.iterdir()) == []


@pytest.mark.parametrize("kind", ["file", "link-to-empty-folder"])
def test_a_target_that_is_not_a_new_or_empty_folder_is_refused(tmp_path: Path, place: Path, kind: str) -> None:
    archive = tmp_path / "set.zip"
    archive.write_bytes(zip_bytes([("clinic.toml", CLINIC_TOML)]))
    target = place / "clinic"
    if kind == "file":
        target.write_text("mine")
    else:
        (tmp_path / "empty").mkdir()
        target.symlink_to(tmp_path / "empty")
    with pytest.raises(ArchiveError, match="already exists and is not an empty folder"):
        import_zip(archive, target)
    assert sorted(p.name for p in place.iterdir()) == ["clinic"] and list((tmp_path / "empty").glob("*")) == []


@pytest.mark.parametrize(
    ("umask", "folder_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o002, 0o775, 0o664), (0o077, 0o700, 0o600)]
)
def test_the_imported_folder_gets_normal_permissions(
    tmp_path: Path, place: Path, umask: int, folder_mode: int, file_mode: int
) -> None:
    setuid = zipfile.ZipInfo("assets/run.sh")
    setuid.external_attr = (stat.S_IFREG | 0o4777) << 16
    archive = tmp_path / "set.zip"
    archive.write_bytes(zip_bytes([("clinic.toml", CLINIC_TOML), (setuid, b"#!/bin/sh\n")]))
    old = os.umask(umask)
    try:
        imported = import_zip(archive, place / "clinic")
    finally:
        os.umask(old)
    assert stat.S_IMODE(imported.stat().st_mode) == folder_mode  # was always 0700
    assert stat.S_IMODE((imported / "assets").stat().st_mode) == folder_mode
    assert stat.S_IMODE((imported / "clinic.toml").stat().st_mode) == file_mode
    assert stat.S_IMODE((imported / "assets" / "run.sh").stat().st_mode) == file_mode  # no setuid, no execute


def test_random_damage_never_escapes_as_anything_but_archive_error(tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    export_zip(EXAMPLE, good)
    original = good.read_bytes()
    rng = random.Random(20261121)
    archive = tmp_path / "damaged.zip"
    for attempt in range(120):
        data = bytearray(original)
        for _ in range(rng.choice((1, 4, 16))):
            # Mostly the headers (the first bytes of each entry and the central directory at the end).
            position = rng.randrange(len(data) - 600, len(data)) if rng.random() < 0.6 else rng.randrange(len(data))
            data[position] = rng.randrange(256)
        archive.write_bytes(bytes(data))
        parent = tmp_path / f"place-{attempt}"
        parent.mkdir()
        try:
            import_zip(archive, parent / "clinic")
        except ArchiveError:
            assert list(parent.iterdir()) == []
