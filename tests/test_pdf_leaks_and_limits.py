"""Patient details never leave through the PDF's metadata, outline or links, whatever a clinic's
template says; pictures a template uses are checked like the logo; and every render, the CLI's too,
runs in a worker under the time and memory limits, leaving no temp files behind."""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader

from handout_app.domain import selection_to_dict
from handout_app.pdf import RenderFailed, render_pdf, variant_for
from handout_app.template_set import load_template_set
from handout_app.worker import encode_request
from handout_app.worker_client import TEMP_PREFIX, WorkerProcess, clean_stale_temp_dirs

from .helpers import GENERATED_AT, make_selection

NAME = "Zebediah Quixotic"
MRN = "MRN-998877"


def with_head_and_body(clinic: Path, head: str, body: str) -> None:
    """A clinic handout template that adds `head` to <head> and `body` at the top of the page."""
    builtin = (Path(__file__).resolve().parents[1] / "templates" / "handout.html.j2").read_text()
    text = builtin.replace("</head>", head + "\n</head>").replace("{% block body %}", "{% block body %}\n" + body)
    (clinic / "templates" / "handout.html.j2").write_text(text)


def render(clinic: Path, side: str = "right", archival: bool = False) -> bytes:
    template_set = load_template_set(clinic)
    selection = dataclasses.replace(make_selection(name=NAME, mrn=MRN, side=side), archival=archival)
    rendered = template_set.render_html(selection, GENERATED_AT)
    return render_pdf(
        rendered.html,
        facts=rendered.facts,
        base_dir=template_set.base_dir,
        extra_roots=template_set.extra_roots,
        variant=variant_for(archival),
    )


def outline_titles(reader: PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items: list) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(str(item.title))

    walk(reader.outline)
    return titles


def link_targets(reader: PdfReader) -> list[str]:
    targets = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None:
                targets.append(str(action.get_object().get("/URI", action.get_object().get("/D", ""))))
    return targets


def uncompressed_text(data: bytes) -> str:
    """Every string in the PDF, streams decompressed, as one text (for 'is it anywhere?' checks)."""
    reader = PdfReader(io.BytesIO(data))
    parts = [str(reader.trailer), str(reader.metadata), str(reader.root_object)]
    if reader.xmp_metadata is not None:
        parts.append(reader.xmp_metadata.stream.get_data().decode("utf-8", "replace"))
    names = reader.root_object.get("/Names")
    if names is not None:
        parts.append(str(names.get_object()))
    return " ".join(parts)


def test_template_metadata_outline_and_links_never_carry_patient_details(clinic: Path) -> None:
    with_head_and_body(
        clinic,
        head=(
            '<meta name="author" content="{{ patient.name }}"><meta name="keywords" content="{{ patient.mrn }}">'
            '<meta name="description" content="{{ patient.name '
            '}}"><meta name="custom-field" content="{{ patient.name }}">'
            '<meta name="dcterms.created" content="1999-01-01T00:00:00Z">'
        ),
        body=(
            "<h2>{{ patient.name }}</h2><h3>{{ patient.name|reverse }}</h3><h4>{{ patient.mrn|lower }}</h4>"
            '<p id="{{ patient.name|replace(" ", "-") }}">anchor</p>'
            '<a href="http://example.org/?leak={{ patient.name|urlencode }}">web</a>'
            '<a href="https://example.org/{{ patient.mrn }}">secure web</a>'
            '<a href="javascript:alert(1)">js</a><a href="file:///etc/passwd">file</a>'
            '<a href="mailto:x@example.org?subject={{ patient.name|urlencode }}">mail</a>'
            '<a href="#{{ patient.name|replace(" ", "-") }}">inside</a>'
            '<a href="tel:{{ clinic.phone }}">call the clinic</a>'
        ),
    )
    data = render(clinic, side="left", archival=False)
    reader = PdfReader(io.BytesIO(data))
    everywhere = uncompressed_text(data) + " ".join(outline_titles(reader)) + " ".join(link_targets(reader))
    for secret in (NAME, NAME[::-1], "Zebediah", "Quixotic", MRN, MRN.lower(), "Zebediah-Quixotic"):
        assert secret not in everywhere and secret.lower() not in everywhere.lower()
    assert "/Author" not in reader.metadata and "/Keywords" not in reader.metadata
    assert reader.metadata.title.startswith("Hip injection: information and consent: LEFT")
    assert "1999" not in str(reader.metadata.get("/CreationDate"))
    assert "example.org" not in everywhere and "javascript" not in everywhere and "file://" not in everywhere
    assert link_targets(reader) == ["tel:555-0100"]  # the clinic's own number, as the template wrote it
    titles = outline_titles(reader)
    assert "What are the risks?" in titles and "Consent" in titles  # the sheet's own outline is kept


def test_the_clinics_own_email_and_web_page_are_the_only_other_links(clinic: Path) -> None:
    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text() + 'email = "hips@riverside.example"\nwebsite = "https://riverside.example/hip"\n')
    with_head_and_body(
        clinic,
        head="",
        body=(
            '<a href="https://riverside.example/hip?name={{ patient.name|urlencode }}">tracked</a>'
            '<a href="https://riverside.example.evil.org/hip">look-alike</a>'
            '<a href="mailto:hips@riverside.example?body={{ patient.name|urlencode }}">mail with body</a>'
        ),
    )
    reader = PdfReader(io.BytesIO(render(clinic)))
    assert sorted(link_targets(reader)) == ["https://riverside.example/hip", "mailto:hips@riverside.example"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("website", "http://riverside.example"),
        ("website", "javascript:alert(1)"),
        ("website", "https://a b"),
        ("email", "a@b"),
        ("email", "x@y.org?body=z"),
    ],
)
def test_links_in_clinic_toml_must_be_an_https_page_and_one_address(clinic: Path, field: str, value: str) -> None:
    from handout_app.clinic import ClinicError, load_clinic

    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text() + f'{field} = "{value}"\n')
    with pytest.raises(ClinicError, match=f"'{field}' must be one"):
        load_clinic(clinic)


def test_archival_xmp_metadata_names_no_patient(clinic: Path) -> None:
    with_head_and_body(
        clinic, head='<meta name="author" content="{{ patient.name }}">', body="<h2>{{ patient.name }}</h2>"
    )
    data = render(clinic, archival=True)
    xmp = PdfReader(io.BytesIO(data)).xmp_metadata.stream.get_data().decode()
    assert "pdfaid" in xmp and NAME not in xmp and "Zebediah" not in xmp


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


@pytest.mark.parametrize("how", ["file", "data-url"])
def test_a_huge_picture_used_by_a_template_is_refused_before_decoding(clinic: Path, how: str) -> None:
    import base64

    picture = _png_header(12000, 12000) + b"\0" * 64
    (clinic / "assets" / "huge.png").write_bytes(picture)
    src = "assets/huge.png" if how == "file" else "data:image/png;base64," + base64.b64encode(picture).decode()
    with_head_and_body(clinic, head="", body=f'<img src="{src}" alt="x">')
    with pytest.raises(RenderFailed, match="12000 x 12000 pixels"):
        render(clinic)


# -- every render under the limits, the CLI's too ---------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "handout_app", *args], capture_output=True, text=True, timeout=300)


def render_args(clinic: Path, output: Path) -> list[str]:
    return [
        "render",
        "--target",
        "joint",
        "--medication",
        "corticosteroid",
        "--guidance",
        "ultrasound",
        "--side",
        "left",
        "--patient-name",
        "Limit Test",
        "--clinic",
        str(clinic),
        "--output",
        str(output),
    ]


def header_template(clinic: Path, body: str) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block title %}\n' + body + "\n{% endblock %}\n"
    )


def test_the_cli_stops_a_memory_bomb_with_a_plain_message(clinic: Path, tmp_path: Path) -> None:
    header_template(
        clinic,
        # Without escaping, each {{ big }} adds the same string, so the 4 GB is asked for at once when the
        # block is joined: the address-space cap stops it in a moment, with no page-by-page growth that a
        # loaded machine could stretch past the time limit.
        "{% autoescape false %}{% set big = 'x' * 200000 %}{% set y %}{% for i in "
        "range(20000) %}{{ big }}{% endfor %}{% endset %}{{ y|length }}{% endautoescape %}",
    )
    output = tmp_path / "out.pdf"
    result = cli(*render_args(clinic, output))
    assert result.returncode == 1, result.stderr
    assert "of memory and was stopped" in result.stderr and "unexpected problem" not in result.stderr
    assert "Traceback" not in result.stderr and not output.exists()


@pytest.mark.parametrize("body", ["{{ 'x'|center(1500000000) }}", "{{ '%01500000000d'|format(1) }}"])
def test_the_cli_refuses_padding_bombs_by_line(clinic: Path, tmp_path: Path, body: str) -> None:
    header_template(clinic, body)
    output = tmp_path / "out.pdf"
    result = cli(*render_args(clinic, output))
    assert result.returncode == 1 and "header.html.j2, line 3" in result.stderr and "not allowed" in result.stderr
    assert not output.exists()


def test_a_render_past_the_time_limit_is_killed_and_named(clinic: Path) -> None:
    header_template(
        clinic,
        "{% for i in range(20000) %}{% for j in range(20000) %}{% if i < 0 %}x{% endif %}{% endfor %}{% endfor %}",
    )
    worker = WorkerProcess()
    try:
        request = encode_request("t", selection_to_dict(make_selection()), str(clinic), GENERATED_AT.isoformat())
        reply, data = worker.render(request, timeout=3)
        assert reply["error_kind"] == "limit" and "took longer than 3 seconds" in reply["error"] and data == b""
        # The same worker object starts afresh for the next request.
        reply, data = worker.render(
            encode_request("u", selection_to_dict(make_selection()), None, GENERATED_AT.isoformat())
        )
        assert reply["ok"] and data.startswith(b"%PDF")
    finally:
        worker.stop()


def test_workers_leave_no_temp_folders_even_when_killed() -> None:
    worker = WorkerProcess()
    folder = worker.temp_dir
    assert folder.is_dir() and folder.name.startswith(f"{TEMP_PREFIX}{os.getpid()}-")
    worker.stop()
    assert not folder.exists()
    # A folder left by a process that was killed (its pid is gone) is removed at the next start.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = Path(tempfile.gettempdir()) / f"{TEMP_PREFIX}{dead.stdout.strip()}-abc"
    (stale / "weasyprint-xyz").mkdir(parents=True)
    mine = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
    clean_stale_temp_dirs()
    assert not stale.exists() and mine.exists()
    mine.rmdir()


def test_the_cli_renders_html_through_the_worker(tmp_path: Path) -> None:
    output = tmp_path / "sheet.html"
    result = cli(
        "render",
        "--target",
        "joint",
        "--medication",
        "corticosteroid",
        "--guidance",
        "ultrasound",
        "--side",
        "right",
        "--patient-name",
        "Html Test",
        "--format",
        "html",
        "--output",
        str(output),
    )
    assert result.returncode == 0, result.stderr
    assert "RIGHT" in output.read_text() and "Saved RIGHT hip joint injection" in result.stdout
