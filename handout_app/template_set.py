"""A clinic's template set: the built-in content and templates with the clinic folder's changes on top.

The clinic folder may hold:
  clinic.toml           the clinic profile (name, numbers, logo, settings)
  content/*.toml        wording changes by item id, items switched off, new items, new order
  templates/...         files that replace built-in templates of the same path (or extend them
                        with {% extends "builtin/<path>" %}); templates/clinic.css adds styles
  assets/...            the logo and any other pictures the templates use
Loading checks everything at once and raises an error that names the file and line. A set never
falls back to the built-in wording silently: `builtin_only=True` is the explicit choice, and the
footer then says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2

from . import resources
from .catalog import Catalog, apply_overrides, load_catalog
from .clinic import Approval, ClinicError, ClinicProfile, load_clinic
from .domain import Selection
from .sandbox import HandoutSandbox as SandboxedEnvironment
from .templating import RenderedHtml, TemplateProblem, make_environment, render_html
from .wording_approval import check_approval

MAX_HASHED_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class TemplateSet:
    """Everything one render needs besides the selection."""

    catalog: Catalog
    clinic: ClinicProfile
    env: SandboxedEnvironment
    stylesheets: tuple[str, ...]
    trace: str  # which wording this sheet was printed from (English, for reports)
    content_hash: str
    builtin_fallback: bool = False
    builtin: bool = False  # the app's own wording, with or without a clinic profile
    # The clinic's wording sign-off, only while the set is exactly the wording approved (wording_approval.py):
    # the footer names it then, and never for the built-in wording.
    approval: Approval | None = None

    def footer_trace(self, language: str) -> str:
        """The footer's wording line in the handout's language (a clinic set's name is printed as given)."""
        if self.builtin_fallback:
            fallback: str = self.catalog.labels_for(language)["builtin_fallback"]
            return fallback
        if self.builtin:
            return ""  # the template then names the built-in version in the sheet's language
        return self.trace

    @property
    def base_dir(self) -> Path:
        """Relative links in clinic templates (assets/logo.png) resolve inside the clinic folder."""
        return self.clinic.folder or resources.templates_dir()

    @property
    def extra_roots(self) -> list[Path]:
        """Folders besides the built-in ones that the PDF renderer may read."""
        return [self.clinic.folder] if self.clinic.folder else []

    def render_html(
        self, selection: Selection, generated_at: dt.datetime, document_number: str = "", *, with_facts: bool = True
    ) -> RenderedHtml:
        """The handout's HTML for `selection` from this set, with `document_number` in every page's footer
        (`with_facts` False: without the facts a PDF needs, for HTML that is never laid out)."""
        return render_html(
            selection,
            self.catalog,
            self.clinic,
            generated_at,
            self.env,
            template_trace=self.footer_trace(selection.language),
            stylesheets=self.stylesheets,
            approval=self.approval,
            document_number=document_number,
            with_facts=with_facts,
        )


MAX_TEMPLATE_BYTES = 256 * 1024  # the largest built-in template is under 4 KB


def _every_path(folder: Path) -> list[Path]:
    """Every file, folder and link inside `folder`, sorted. Raises ClinicError for a folder inside it that
    cannot be listed: a plain walk passes over it in silence, yet a template there can still be included
    by name, unseen by the set's hashes and by check-templates' reading of the templates."""
    found: list[Path] = []

    def refuse(error: OSError) -> None:
        raise ClinicError(
            Path(error.filename or folder),
            "cannot be listed (its permissions keep the app out). Make it readable, or take it out of the "
            "clinic folder.",
        )

    for place, folders, files in os.walk(folder, onerror=refuse):
        found += [Path(place, name) for name in (*folders, *files)]
    return sorted(found)


def check_folder_files(folder: Path) -> None:
    """Refuse a clinic folder holding anything but plain files and folders inside it, each of them listable.

    A link to a file elsewhere would let a content file or a hashed asset read text from outside the
    folder; a pipe or device would block loading; a huge template would take the loader's memory.
    """
    root = Path(os.path.realpath(folder))
    for path in _every_path(Path(folder)):
        if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
            raise ClinicError(
                path, "is a link to something outside the clinic folder. Put a copy of the file in the folder instead."
            )
        if not path.is_dir() and not path.is_file():
            raise ClinicError(
                path, "is not a regular file (a pipe, device or broken link). Remove it from the clinic folder."
            )
        if path.is_file() and not path.is_symlink() and path.stat().st_nlink > 1:
            # A hard link shares its text with a file elsewhere, which may be outside the folder.
            raise ClinicError(
                path, "is a hard link to another file. Put a plain copy of the file in the clinic folder instead."
            )
        if path.suffix == ".j2" and path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise ClinicError(
                path, f"is over {MAX_TEMPLATE_BYTES // 1024} KB; a template is far smaller. Remove what it repeats."
            )


PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")  # the picture types a sheet may show (logo.py)


def usable_by_a_sheet(relative: PurePosixPath, logo: str = "") -> bool:
    """Whether a clinic folder's file (path relative to the folder) is part of its set: clinic.toml, the
    wording (content/*.toml), the templates and their styles and pictures (templates/), the pictures and
    styles in assets/, and the logo clinic.toml names. Only these are hashed for the footer and archived
    with each sheet (records/archive.py). Anything else (a day list or a saved handout left in the folder,
    a note named after a patient) holds patients' details and is never read for the record."""
    suffix = relative.suffix.lower()
    top = relative.parts[0]
    return (
        relative.as_posix() in ("clinic.toml", logo)
        or (top == "content" and suffix == ".toml")
        or (top == "templates" and suffix in (".j2", ".css", *PICTURE_SUFFIXES))
        or (top == "assets" and suffix in (".css", *PICTURE_SUFFIXES))
    )


def set_files(folder: Path, logo: str = "") -> list[tuple[str, Path]]:
    """(relative path, file) for every file of the folder's set (usable_by_a_sheet), sorted by path."""
    found = []
    for path in folder.rglob("*"):
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        if path.is_file() and usable_by_a_sheet(relative, logo):
            found.append((relative.as_posix(), path))
    return sorted(found)


def content_hash(folder: Path | None, builtin_version: str, logo: str = "") -> str:
    """A short hash of the built-in version and every file of the clinic folder's set (names and bytes)."""
    digest = hashlib.sha256(builtin_version.encode())
    if folder is not None:
        total = 0
        for relative, path in set_files(folder, logo):
            total += path.stat().st_size
            if total > MAX_HASHED_BYTES:
                raise ClinicError(
                    folder, f"holds more than {MAX_HASHED_BYTES // (1024 * 1024)} MB; keep only the set's files there."
                )
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:8]


def _compile_all(env: SandboxedEnvironment, folder: Path) -> None:
    """Compile every clinic template now, so a syntax error is found on load, not mid-shift."""
    for path in sorted(folder.rglob("*.j2")):
        name = path.relative_to(folder).as_posix()
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(str(path), exc.lineno, exc.message or str(exc)) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(str(path), None, exc.message or f"'{exc.name}' was not found.") from None
        except jinja2.TemplateError as exc:
            raise TemplateProblem(str(path), None, str(exc)) from None
        except RecursionError:
            raise TemplateProblem(
                str(path), None, "nests brackets or tags too deeply to read; write it flatter."
            ) from None


def _stylesheets(templates: Path | None) -> tuple[str, ...]:
    builtin = resources.templates_dir() / "handout.css"
    sheets = [builtin]
    if templates is not None:
        if (templates / "handout.css").is_file():
            sheets = [templates / "handout.css"]
        if (templates / "clinic.css").is_file():
            sheets.append(templates / "clinic.css")
    return tuple(p.resolve().as_uri() for p in sheets)


def builtin_set(clinic: ClinicProfile | None = None, fallback: bool = False) -> TemplateSet:
    """The built-in wording and templates, with a clinic profile if one is given.

    With `fallback`, the footer says the clinic's own wording was switched off because of errors.
    """
    catalog = load_catalog()
    labels = catalog.labels_for("en")
    trace = labels["builtin_fallback"] if fallback else f"{labels['builtin_wording']} {catalog.version}"
    return TemplateSet(
        catalog=catalog,
        clinic=clinic or ClinicProfile(),
        env=make_environment(),
        stylesheets=_stylesheets(None),
        trace=trace,
        content_hash=content_hash(None, catalog.version),
        builtin_fallback=fallback,
        builtin=True,
    )


def load_template_set(folder: Path | None, *, builtin_only: bool = False) -> TemplateSet:
    """The clinic folder's set (or the built-in one without a folder). Raises ClinicError,
    CatalogError or TemplateProblem naming the file and line.

    `builtin_only` is the explicit "use the built-in wording for now" choice: the clinic's profile
    is still used if it loads, its wording and templates are not, and the footer says so.
    """
    if folder is None:
        return builtin_set()
    folder = Path(folder)
    if builtin_only:
        try:
            check_folder_files(folder)
            clinic = load_clinic(folder)
        except ClinicError:
            clinic = ClinicProfile()  # a broken clinic.toml: names and numbers print as blank lines
        return builtin_set(clinic, fallback=True)
    check_folder_files(folder)
    clinic = load_clinic(folder)
    catalog = load_catalog()
    if (folder / "content").is_dir():
        catalog = apply_overrides(catalog, folder / "content")
    templates = folder / "templates" if (folder / "templates").is_dir() else None
    env = make_environment(clinic_templates=templates)
    if templates is not None:
        _compile_all(env, templates)
    digest = content_hash(clinic.folder, catalog.version, clinic.logo)
    name = clinic.template_set_name or clinic.name or folder.name
    version = f" {clinic.template_set_version}" if clinic.template_set_version else ""
    return TemplateSet(
        catalog=catalog,
        clinic=clinic,
        env=env,
        stylesheets=_stylesheets(templates),
        trace=f"{name}{version} #{digest}",
        content_hash=digest,
        approval=check_approval(clinic, catalog.version).approved,
    )


def folder_stamp(folder: Path | None) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and change times of the folder's files: a cheap "has anything changed?" key."""
    if folder is None or not Path(folder).is_dir():
        return ()
    stamp = []
    for path in sorted(Path(folder).rglob("*")):
        try:
            info = path.stat()
        except OSError:
            continue  # a broken link: loading the set reports what it points to, if anything uses it
        if stat.S_ISREG(info.st_mode):
            stamp.append((path.as_posix(), info.st_size, info.st_mtime_ns))
    return tuple(stamp)
