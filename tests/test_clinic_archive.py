"""Export and import of a clinic folder as a .zip, with hostile archives refused."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from handout_app.clinic_archive import MAX_UNPACKED_BYTES, ArchiveError, export_zip, import_zip
from handout_app.output_files import OutputExists
from handout_app.template_set import load_template_set

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "clinic"


def make_zip(path: Path, entries: dict[str, bytes], link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def test_export_then_import_gives_the_same_set(tmp_path: Path) -> None:
    archive = tmp_path / "riverside.zip"
    count = export_zip(EXAMPLE, archive)
    assert count == len([p for p in EXAMPLE.rglob("*") if p.is_file()])
    with pytest.raises(OutputExists):
        export_zip(EXAMPLE, archive)  # never replaced silently
    imported = import_zip(archive, tmp_path / "other-workstation" / "clinic")
    assert load_template_set(imported).content_hash == load_template_set(EXAMPLE).content_hash


def test_import_refuses_paths_that_leave_the_folder(tmp_path: Path) -> None:
    clinic_toml = (EXAMPLE / "clinic.toml").read_bytes()
    for bad in ("../escape.txt", "/etc/evil.txt", "templates/../../escape.txt", "C:/evil.txt"):
        archive = make_zip(tmp_path / "bad.zip", {"clinic.toml": clinic_toml, bad: b"x"})
        with pytest.raises(ArchiveError, match="outside the clinic folder"):
            import_zip(archive, tmp_path / "target")
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "target").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".import-")]


def test_import_refuses_links_bombs_and_broken_sets(tmp_path: Path) -> None:
    clinic_toml = (EXAMPLE / "clinic.toml").read_bytes()
    with pytest.raises(ArchiveError, match="is a link"):
        import_zip(
            make_zip(tmp_path / "link.zip", {"clinic.toml": clinic_toml}, link="assets/logo.svg"), tmp_path / "t1"
        )
    bomb = {"clinic.toml": clinic_toml, "assets/big.bin": b"\0" * (MAX_UNPACKED_BYTES + 1)}
    with pytest.raises(ArchiveError, match="more than 50 MB"):
        import_zip(make_zip(tmp_path / "bomb.zip", bomb), tmp_path / "t2")
    with pytest.raises(ArchiveError, match=r"clinic\.toml, line 2: unknown field 'colour'"):
        import_zip(make_zip(tmp_path / "broken.zip", {"clinic.toml": b'[clinic]\ncolour = "red"\n'}), tmp_path / "t3")
    with pytest.raises(ArchiveError, match=r"not a readable \.zip"):
        (tmp_path / "junk.zip").write_bytes(b"not a zip")
        import_zip(tmp_path / "junk.zip", tmp_path / "t4")
    assert not any((tmp_path / name).exists() for name in ("t1", "t2", "t3", "t4"))


def test_import_never_overwrites_an_existing_folder(tmp_path: Path) -> None:
    archive = tmp_path / "set.zip"
    export_zip(EXAMPLE, archive)
    target = tmp_path / "existing"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(ArchiveError, match="already exists"):
        import_zip(archive, target)
    assert (target / "keep.txt").read_text() == "mine"
