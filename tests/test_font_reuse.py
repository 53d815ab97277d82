"""One font configuration kept from sheet to sheet (font_reuse.py): every sheet is byte for byte the sheet a
fresh configuration makes, whatever was made before it (a clinic's own @font-face, a render stopped in the
middle of registering a font), and no folder of font copies outlives the process."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from handout_app import font_reuse, resources
from handout_app.catalog import load_catalog
from handout_app.clinic import ClinicProfile
from handout_app.domain import Paper
from handout_app.pdf import RenderFailed, render_pdf
from handout_app.template_set import load_template_set
from handout_app.templating import render_html

from .helpers import GENERATED_AT, make_selection

ROOT = Path(__file__).resolve().parent.parent

# Other alphabets print in the fallback font, so both families' faces are used.
SHEETS = [
    dataclasses.replace(make_selection(name="Ann Lee", side="left"), paper=Paper.LETTER),
    dataclasses.replace(make_selection(name="Γιώργος Παπαδόπουλος", medications=("prp",)), language="es"),
    dataclasses.replace(make_selection(name="Алексей Смирнов", side="bilateral", target="iliopsoas"), large_print=True),
    make_selection(name="Nguyễn Văn Ánh", medications=("hyaluronic-acid",), guidance="fluoroscopy", contrast=True),
]


def built_in(selection: object) -> bytes:
    rendered = render_html(selection, load_catalog(), ClinicProfile(), GENERATED_AT)  # type: ignore[arg-type]
    return render_pdf(rendered.html, facts=rendered.facts)


def from_clinic(clinic: Path, selection: object) -> bytes:
    template_set = load_template_set(clinic)
    rendered = template_set.render_html(selection, GENERATED_AT)  # type: ignore[arg-type]
    return render_pdf(
        rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
    )


def fresh(make: object, *args: object) -> bytes:
    """The sheet made with a fresh font configuration, as WeasyPrint makes one for every render by itself."""
    font_reuse.remove_font_copies()
    data: bytes = make(*args)  # type: ignore[operator]
    font_reuse.remove_font_copies()
    return data


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_sheets_made_one_after_another_are_the_sheets_a_fresh_configuration_makes() -> None:
    expected = [digest(fresh(built_in, selection)) for selection in SHEETS]
    font_reuse.remove_font_copies()
    made = {index: digest(built_in(SHEETS[index])) for index in (2, 0, 3, 1, 0)}
    assert made == {index: expected[index] for index in made}


def test_the_configuration_is_kept_from_one_sheet_to_the_next() -> None:
    font_reuse.remove_font_copies()
    built_in(SHEETS[0])
    first = font_reuse._kept
    built_in(SHEETS[1])
    assert first is not None and font_reuse._kept is first


def regular_from(font: Path) -> str:
    """A clinic's face for the handout's regular text, from one of the handout's own font files."""
    descriptors = 'font-family: "Handout Sans"; font-weight: 400; font-style: normal'
    return f'@font-face {{ {descriptors}; src: url("{font.as_uri()}"); }}'


PLACES = ["clinic.css, before the handout's faces", "a <style> after them", "the logo, an SVG, read during layout"]


def declare(clinic: Path, where: str, rule: str) -> None:
    if where == PLACES[0]:
        style = clinic / "templates" / "clinic.css"
        style.write_text(rule + "\n" + (clinic / "clinic.css.orig").read_text())
    elif where == PLACES[1]:
        (clinic / "templates" / "partials" / "header.html.j2").write_text(
            '{% extends "builtin/partials/header.html.j2" %}\n'
            "{% block title %}{{ super() }}<style>" + rule + "</style>{% endblock %}\n"
        )
    else:
        logo = clinic / "assets" / "logo.svg"
        svg = (clinic / "logo.svg.orig").read_text()
        opened = svg.index(">", svg.index("<svg")) + 1
        logo.write_text(svg[:opened] + "<style>" + rule + "</style>" + svg[opened:])


@pytest.mark.parametrize("where", PLACES)
def test_a_clinic_font_face_never_reaches_another_sheet_nor_theirs_it(
    clinic: Path, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clinic may declare a face of the handout's own font files: here the regular text in Noto Sans, whose
    lines are taller than Atkinson's. The sheet without it, made before or after it, is unchanged, and the
    clinic's sheet is the one a fresh configuration makes, however often it is made; each is laid out to
    the end once (a misfit is found by the first text, before a page is made)."""
    shutil.copy(clinic / "templates" / "clinic.css", clinic / "clinic.css.orig")
    shutil.copy(clinic / "assets" / "logo.svg", clinic / "logo.svg.orig")
    selection = SHEETS[0]
    plain = fresh(built_in, selection)
    declare(clinic, where, regular_from(resources.font_dir() / "AtkinsonHyperlegible-Regular.ttf"))
    regular_as_regular = fresh(from_clinic, clinic, selection)
    declare(clinic, where, regular_from(resources.fallback_font_dir() / "NotoSans[wdth,wght].ttf"))
    with_face = fresh(from_clinic, clinic, selection)
    assert with_face != regular_as_regular  # the face shows: a sheet that caught it would differ
    font_reuse.remove_font_copies()
    import weasyprint.document

    layouts = []
    lay_out = weasyprint.document.layout_document

    def counted(*args: object, **kwargs: object) -> Iterator[object]:
        yield from lay_out(*args, **kwargs)
        layouts.append(1)  # to the end: a misfit stops its try at the first text, before a page is made

    monkeypatch.setattr(weasyprint.document, "layout_document", counted)
    makers: tuple[Callable[[], bytes], ...] = (lambda: built_in(selection), lambda: from_clinic(clinic, selection))
    made = [digest(make()) for make in (*makers, *makers, makers[1], makers[0])]
    assert made == [digest(plain), digest(with_face)] * 2 + [digest(with_face), digest(plain)]
    assert len(layouts) == len(made)


def test_a_clinic_style_edited_while_the_app_runs_prints_as_edited(clinic: Path) -> None:
    """WeasyPrint keeps line heights on the configuration keyed by the style alone, and leaves a calc() with
    a percentage unresolved in that key: the edited spacing (and its extra page) must still print."""
    style = clinic / "templates" / "clinic.css"
    original = style.read_text()
    style.write_text(original + "\np, li { line-height: calc(170% + 0px) !important; }\n")
    expected = fresh(from_clinic, clinic, SHEETS[0])
    style.write_text(original + "\np, li { line-height: calc(100% + 0px) !important; }\n")
    font_reuse.remove_font_copies()
    from_clinic(clinic, SHEETS[0])
    style.write_text(original + "\np, li { line-height: calc(170% + 0px) !important; }\n")
    assert digest(from_clinic(clinic, SHEETS[0])) == digest(expected)


def test_a_warning_is_reported_once_as_in_a_fresh_process(clinic: Path) -> None:
    """The clinic's style sheet warns, and a face after the handout's makes the kept configuration a misfit
    only once that sheet has been read: the try given up leaves no second copy of the warning."""
    style = clinic / "templates" / "clinic.css"
    style.write_text("p { colour: red; }\n" + style.read_text())
    declare(clinic, PLACES[1], regular_from(resources.fallback_font_dir() / "NotoSans[wdth,wght].ttf"))
    font_reuse.remove_font_copies()
    with pytest.raises(RenderFailed) as fresh_failure:
        from_clinic(clinic, SHEETS[0])
    font_reuse.remove_font_copies()
    built_in(SHEETS[0])  # leaves a configuration with the handout's faces
    with pytest.raises(RenderFailed) as failure:
        from_clinic(clinic, SHEETS[0])
    assert str(failure.value) == str(fresh_failure.value) and str(failure.value).count("colour") == 1


def test_a_picture_whose_svg_declares_a_face_while_the_pdf_is_written_is_laid_out_once(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A picture nested in the logo is read while the PDF is written, after the sheet's configuration was
    kept: its face must not make every later sheet of that clinic laid out twice (time and memory limits)."""
    face = regular_from(resources.fallback_font_dir() / "NotoSans[wdth,wght].ttf")
    picture = clinic / "assets" / "face.svg"
    picture.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20" width="100" height="20"><style>'
        + face
        + '</style><text x="0" y="15" font-family="Handout Sans" font-size="12">Riverside</text></svg>'
    )
    logo = clinic / "assets" / "logo.svg"
    nested = f'<image x="150" y="0" width="80" height="20" href="{picture.as_uri()}"/></svg>'
    logo.write_text(logo.read_text().replace("</svg>", nested))
    expected = fresh(from_clinic, clinic, SHEETS[0])
    import weasyprint

    layouts = []
    original = weasyprint.HTML.render

    def counted(document: object, *args: object, **kwargs: object) -> object:
        layouts.append(1)
        return original(document, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", counted)
    made = [digest(from_clinic(clinic, SHEETS[0])) for _ in range(3)]
    assert made == [digest(expected)] * 3 and len(layouts) == 3


@pytest.mark.parametrize("cut", ["first", "last"])
def test_a_render_stopped_while_a_font_was_being_registered_leaves_the_next_sheet_whole(
    monkeypatch: pytest.MonkeyPatch, cut: str
) -> None:
    """A newer keystroke cancels the render in progress at any point: here just after WeasyPrint wrote a
    font's copy and before it registered it. Kept, that configuration would skip the font from then on:
    after the last face, the next sheet would ask for exactly the faces it holds and use it as it is."""
    expected = fresh(built_in, SHEETS[0])
    font_reuse.remove_font_copies()
    built_in(SHEETS[0])
    faces = len(font_reuse._kept.faces)
    font_reuse.remove_font_copies()

    class Cancelled(BaseException):
        pass

    original = Path.write_bytes
    copies: list[Path] = []

    def write_then_stop(path: Path, data: bytes) -> int:
        written = original(path, data)
        if path.parent.name.startswith("weasyprint-"):
            copies.append(path)
            if len(copies) == (1 if cut == "first" else faces):
                raise Cancelled
        return written

    monkeypatch.setattr(Path, "write_bytes", write_then_stop)
    with pytest.raises(Cancelled):
        built_in(SHEETS[0])
    monkeypatch.undo()
    assert font_reuse._kept is None  # the configuration cut short is given up
    assert digest(built_in(SHEETS[0])) == digest(expected)


LEFT_BEHIND = textwrap.dedent(
    """
    import os
    import sys
    import threading
    from concurrent.futures import ProcessPoolExecutor
    sys.path.insert(0, {root!r})
    from handout_app import font_reuse, resources
    from handout_app.catalog import load_catalog
    from handout_app.clinic import ClinicProfile
    from handout_app.pdf import RenderFailed, render_pdf
    from handout_app.templating import render_html
    from tests.helpers import GENERATED_AT, make_selection

    def make(_: object = None) -> str:
        rendered = render_html(make_selection(), load_catalog(), ClinicProfile(), GENERATED_AT)
        return render_pdf(rendered.html, facts=rendered.facts).hex()

    def make_on_a_thread_too(_: object = None) -> str:
        on_thread = []  # a configuration made on another thread is never kept: it waits for the collector
        thread = threading.Thread(target=lambda: on_thread.append(make()))
        thread.start()
        thread.join()
        return make() if on_thread == [make()] else "differs"

    if __name__ == "__main__":
        before = make()
        folder = font_reuse._kept._folder
        with ProcessPoolExecutor(2) as pool:  # forked with the parent's configuration kept
            children = list(pool.map(make_on_a_thread_too, range(2)))
        if hasattr(os, "fork"):  # a plain forked child that ends normally runs the parent's atexit hooks
            child = os.fork()
            if child == 0:
                sys.exit(0)
            os.waitpid(child, 0)
        assert folder.is_dir(), "a child removed the parent's font copies"
        assert children == [before, before] and make() == before
        print(font_reuse._kept is not None)
    """
)


def test_no_folder_of_font_copies_outlives_a_process_nor_its_pool_children(tmp_path: Path) -> None:
    script = tmp_path / "make.py"
    script.write_text(LEFT_BEHIND.format(root=str(ROOT)))
    temp = tmp_path / "temp"
    temp.mkdir()
    done = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "TMPDIR": str(temp)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"  # the parent kept one
    assert list(temp.iterdir()) == []


def test_a_failure_stands_only_if_a_fresh_configuration_would_have_held_the_same_faces() -> None:
    """A WeasyPrint error raised with the kept configuration is the user's answer only when that configuration
    held exactly the faces the render asked for; otherwise the sheet is tried again with a fresh one."""
    used: list[object] = []

    def fails_with_the_kept_one(config: object) -> str:
        used.append(config)
        if len(used) == 1:
            raise ValueError("made with the kept configuration")
        return "made fresh"

    font_reuse.remove_font_copies()
    built_in(SHEETS[0])  # kept, with the handout's five faces; the render below asks for none
    kept = font_reuse._kept
    assert font_reuse.render_with_kept_fonts(fails_with_the_kept_one) == "made fresh"
    assert used[0] is kept and used[1] is not kept

    used.clear()

    def runs_out_of_memory(config: object) -> str:
        used.append(config)
        raise MemoryError

    built_in(SHEETS[0])
    with pytest.raises(MemoryError):  # the worker's limit: reported at once, never a second render
        font_reuse.render_with_kept_fonts(runs_out_of_memory)
    assert len(used) == 1

    used.clear()
    font_reuse.remove_font_copies()
    font_reuse.render_with_kept_fonts(lambda config: None)  # kept, holding no face, as the render below asks
    with pytest.raises(ValueError, match="kept configuration"):
        font_reuse.render_with_kept_fonts(fails_with_the_kept_one)
    assert len(used) == 1
