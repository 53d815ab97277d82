"""The one Jinja environment factory, and `render_html()`: selection + content + clinic -> HTML.

Templates and item wording are rendered in a sandbox with autoescaping and StrictUndefined, so
a patient's name is always literal text and a misspelt variable is an error, never a blank.
"""

from __future__ import annotations

import datetime as dt
import html as html_module
import os
import re
import threading
import urllib.parse
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nodes
import markupsafe
from markupsafe import Markup

from . import __version__, resources
from .catalog import Catalog, ContentItem, Finding, select
from .claims import frequency_band
from .clinic import CLINIC_FIELDS, PRIVATE_FIELDS, Approval, ClinicProfile
from .diagram import hip_figures, item_pictures
from .domain import AllergyKind, Intent, Selection, Side, default_intent
from .errors import SetError
from .formats import format_count, format_date
from .limits import MAX_HTML_CHARS
from .naming import procedure_name, side_heading
from .pdf import SheetFacts, css_quoted, heading_key
from .sandbox import HandoutSandbox
from .template_cache import compiled_templates
from .template_data import check_plain, freeze

MAIN_TEMPLATE = "handout.html.j2"


_PYTHON_TYPE_ATTRIBUTE = re.compile(r"'[\w.]+ object' has no attribute '([^']*)'")


class TemplateProblem(SetError):
    """A template that cannot be rendered; names the template file and line."""

    def __init__(self, template: str, line: int | None, message: str) -> None:
        # Jinja names Python's types ("'handout_app.template_data.FrozenMap object' has no attribute 'phon'");
        # a clinic needs the name it misspelt.
        message = _PYTHON_TYPE_ATTRIBUTE.sub(r"there is no '\1' here: check the spelling", message)
        self.template = template
        self.line = line
        self.detail = message
        super().__init__(f"{template}{f', line {line}' if line else ''}: {message}")


def css_string(value: str) -> Markup:
    """Quote text for use inside a CSS string (content: "..."); '<' is escaped so it cannot end <style>."""
    return Markup(css_quoted(value))


class TemplateRefused(jinja2.TemplateError):
    """A template file that may not be used (a link to a file outside the template folder)."""


class ContainedFileSystemLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses any template whose real path leaves its folder (symlinks out)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        for root in self.searchpath:
            candidate = Path(root).joinpath(*jinja2.loaders.split_template_path(template))
            if candidate.exists() and not candidate.is_file():
                # Opening a pipe or device named like a template would block the render for ever.
                raise TemplateRefused(f"'{template}' is not a regular file; replace it with a plain text file.")
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(os.path.realpath(filename))
        if not any(real.is_relative_to(Path(os.path.realpath(root))) for root in self.searchpath):
            # Not TemplateNotFound: a ChoiceLoader would quietly try the next folder instead.
            raise TemplateRefused(
                f"'{template}' points outside the template folder; replace the link with a real file."
            )
        return source, filename, uptodate


BUILTIN_PREFIX = "builtin"


def make_environment(template_dirs: list[Path] | None = None, clinic_templates: Path | None = None) -> HandoutSandbox:
    """The project's only Jinja environment: sandboxed, autoescaped, strict about undefined names.

    With `clinic_templates`, a file there replaces the built-in file of the same path, and
    `{% extends "builtin/<path>" %}` reaches the built-in one so a clinic can change a single block.
    """
    builtin = ContainedFileSystemLoader([str(p) for p in (template_dirs or [resources.templates_dir()])])
    loaders: list[jinja2.BaseLoader] = []
    if clinic_templates is not None:
        loaders.append(ContainedFileSystemLoader(str(clinic_templates)))
    loaders += [jinja2.PrefixLoader({BUILTIN_PREFIX: builtin}), builtin]
    env = HandoutSandbox(
        loader=jinja2.ChoiceLoader(loaders),
        bytecode_cache=compiled_templates(),
        # No constant folding: an expression such as 'x' * 10**10 would otherwise be computed while
        # loading, outside the render worker's limits.
        optimized=False,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["css_string"] = css_string
    env.filters["breakable"] = breakable
    return env


LONGEST_UNBROKEN = 30  # characters: longer than any real word in a handout, shorter than a table cell
_LONG_WORD = re.compile(rf"[^\s<>&]{{{LONGEST_UNBROKEN + 1},}}")  # never a tag or an entity inside


def breakable(text: Any) -> Markup:
    """`text` as HTML, with any word longer than LONGEST_UNBROKEN characters in a `span.unbroken`.

    For table cells that wrap with `overflow-wrap: break-word` (cheap to size) instead of `anywhere`
    (which makes the table weigh a break after every letter): a word wider than the page could then push
    the table off the page, so such a word alone may break anywhere (handout.css). Real wording has no
    such word, so its sheet is unchanged."""
    html = text if isinstance(text, Markup) else markupsafe.escape(str(text))
    return Markup(_LONG_WORD.sub(lambda match: f'<span class="unbroken">{match.group(0)}</span>', html))


@lru_cache(maxsize=8)
def _default_environment() -> HandoutSandbox:
    return make_environment()


@lru_cache(maxsize=1024)
def _compile_wording(env: HandoutSandbox, wording: str) -> jinja2.Template:
    # Item wording is a small template (it may name the side or the clinic); compile each once.
    return env.from_string(wording)


# Templates have nothing that changes from one render to the next (no clock, no random: sandbox.py), so a
# wording rendered with the same values of the names it reads gives the same text. Sheets of one check or
# one preview session share most wording (the same side phrase, clinic, or no name at all), so each set's
# environment keeps the renders it made, keyed by the wording and those values, and reuses them. A wording
# that fails is never kept (it fails again each time, as before); nor is one that includes or imports a
# template (which sees every name), nor an unusually long one.
LONGEST_KEPT_WORDING = 8_000  # characters; real wording is under a thousand
KEPT_WORDING_CHARS = 4_000_000  # all kept renders of one environment together
_ABSENT = object()
_wording_lock = threading.Lock()


class _KeptWording:
    """One environment's kept wording renders, oldest first, and their length together."""

    __slots__ = ("chars", "renders")

    def __init__(self) -> None:
        self.renders: dict[tuple[Any, ...], Markup] = {}
        self.chars = 0


_kept_wording: weakref.WeakKeyDictionary[HandoutSandbox, _KeptWording] = weakref.WeakKeyDictionary()


def _kept_wording_for(env: HandoutSandbox) -> _KeptWording:
    with _wording_lock:
        return _kept_wording.setdefault(env, _KeptWording())


@lru_cache(maxsize=1024)
def _wording_names(env: HandoutSandbox, wording: str) -> tuple[str, ...] | None:
    """The names a wording reads from its context, or None when it may read others too (an include or an
    import sees the whole context)."""
    tree = env.parse(wording)
    if any(True for _ in tree.find_all((jinja2.nodes.Include, jinja2.nodes.Import, jinja2.nodes.FromImport))):
        return None
    if any(True for _ in tree.find_all(jinja2.nodes.Extends)):
        return None
    return tuple(sorted(jinja2.meta.find_undeclared_variables(tree)))


def is_plain_wording(env: HandoutSandbox, wording: str) -> bool:
    """True when `wording` holds nothing Jinja would read: no tag, expression or comment opens in it and it
    has no line break (the one thing Jinja changes in plain text: it makes every line break a newline and
    drops a final one). Jinja renders such a wording to exactly its text, so it need not be compiled. Nearly all item
    wording is plain: compiling the hundred items of one sheet cost each worker's first sheet about 40 ms
    (make bench: first preview)."""
    if "\n" in wording or "\r" in wording:
        return False
    openers = (env.block_start_string, env.variable_start_string, env.comment_start_string)
    prefixes = (env.line_statement_prefix, env.line_comment_prefix)
    return not any(opener in wording for opener in openers) and not any(prefixes)


def templates_reading(env: HandoutSandbox, name: str) -> list[str]:
    """The templates of `env` (built-in and clinic) that read the context name `name`, and any that cannot
    be read or parsed (which might). A template reaches its context by name alone (the sandbox gives it no
    other way in), so a name none of them reads cannot change a sheet's HTML. Item wording is rendered
    with a context of its own (build_context's item_context), so it is not among them. Every file the
    loaders can reach is listed: a clinic folder with a folder that cannot be listed does not load
    (template_set.check_folder_files)."""
    assert env.loader is not None
    found = []
    for template in env.loader.list_templates():
        try:
            source, filename, _ = env.loader.get_source(env, template)
        except UnicodeDecodeError:
            continue  # not text (a picture): it cannot be rendered as a template on any paper
        except Exception:  # unreadable: the check's render reports it if a sheet uses it; it might read the name
            found.append(template)
            continue
        if name not in source:
            continue  # a name is read only where it is written: no need to parse (most files)
        try:
            tree = env.parse(source, template, filename)
        except Exception:  # broken: the check's render reports it; it might read the name
            found.append(template)
            continue
        if any(node.name == name and node.ctx == "load" for node in tree.find_all(jinja2.nodes.Name)):
            found.append(template)
    return found


def _render_wording(env: HandoutSandbox, wording: str, context: Mapping[str, Any], kept: _KeptWording) -> Markup:
    """The wording rendered with `context`: its own text when it is plain, kept from an earlier render with
    the same values where it can be."""
    if is_plain_wording(env, wording):
        return Markup(wording)
    names = _wording_names(env, wording)  # a syntax error is raised here, as _compile_wording would
    key: tuple[Any, ...] | None = None
    if names is not None:
        # With each value's type: 1 and True, or text and markup, are equal as keys but print differently.
        key = (wording, *[(value, type(value)) for value in [context.get(name, _ABSENT) for name in names]])
        try:
            found = kept.renders.get(key)
        except TypeError:  # a value that cannot be a key: rendered every time
            key, found = None, None
        if found is not None:
            return found
    rendered = Markup(_compile_wording(env, wording).render(context))
    if key is not None and len(rendered) <= LONGEST_KEPT_WORDING:
        with _wording_lock:
            if key not in kept.renders:
                kept.chars += len(rendered)
                while kept.renders and kept.chars > KEPT_WORDING_CHARS:  # the oldest go first
                    kept.chars -= len(kept.renders.pop(next(iter(kept.renders))))
                kept.renders[key] = rendered
    return rendered


@dataclass(frozen=True)
class RenderedHtml:
    """The HTML of one handout and what the caller should know about it."""

    html: str
    title: str
    procedure: str
    warnings: tuple[Finding, ...]
    facts: SheetFacts = field(default_factory=SheetFacts)


def _render_capped(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render `template`, stopping as soon as the output passes MAX_HTML_CHARS."""
    parts: list[str] = []
    total = 0
    for part in template.generate(context):
        total += len(part)
        if total > MAX_HTML_CHARS:
            raise TemplateProblem(
                template.filename or template.name or MAIN_TEMPLATE,
                None,
                f"the handout grew past {MAX_HTML_CHARS // (1024 * 1024)} million characters and was stopped; "
                "a loop or repeat in the clinic's templates makes far too much text.",
            )
        parts.append(part)
    return "".join(parts)


def _template_error(exc: Exception) -> TemplateProblem:
    """Turn a Jinja error into one that names the template file and line."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateProblem(exc.filename or exc.name or "<wording>", exc.lineno, exc.message or str(exc))
    # Runtime errors (undefined names, sandbox refusals) carry the template in the traceback only.
    tb = exc.__traceback__
    template, line = "<wording>", None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or filename == "<template>":
            template, line = filename, tb.tb_lineno
        tb = tb.tb_next
    return TemplateProblem(template, line, _plain_error(exc))


# Per catalog: the labels and the rendered items as template data (freeze, check_plain), made once and shared
# by every sheet that prints them (they cannot change: template_data.py). Keyed by the catalog's id, with a
# weak reference that says whether it is still the same catalog. Only items whose wording is of a usual
# length are kept, and at most KEPT_PER_CATALOG (a few hundred for the example clinic), so what is kept
# stays far below the worker's memory limit whatever a clinic's wording makes.
KEPT_PER_CATALOG = 2_048
_kept_by_catalog: dict[int, tuple[weakref.ref[Catalog], dict[tuple[Any, ...], Any]]] = {}


def _kept_for(catalog: Catalog) -> dict[tuple[Any, ...], Any]:
    with _wording_lock:
        entry = _kept_by_catalog.get(id(catalog))
        if entry is None or entry[0]() is not catalog:
            number = id(catalog)

            def forget(_: object) -> None:
                with _wording_lock:
                    if (current := _kept_by_catalog.get(number)) is not None and current[0]() is None:
                        del _kept_by_catalog[number]

            entry = (weakref.ref(catalog, forget), {})
            _kept_by_catalog[number] = entry
        return entry[1]


def _template_labels(catalog: Catalog, language: str) -> Any:
    """The labels of `language` as template data, made and proven plain once per catalog."""
    kept = _kept_for(catalog)
    labels = kept.get(("labels", language))
    if labels is None:
        labels = kept[("labels", language)] = freeze(catalog.labels_for(language))
        check_plain(labels, "labels")
    return labels


def _render_item(
    env: HandoutSandbox,
    item: ContentItem,
    language: str,
    context: dict[str, Any],
    catalog: Catalog,
    kept_wording: _KeptWording,
    kept: dict[tuple[Any, ...], Any],
) -> Any:
    """The item as template data (id, title, text, frequency), its wording rendered with `context`;
    `kept_wording` and `kept` are its environment's and catalog's kept renders (_kept_wording_for, _kept_for)."""
    frequency = frequency_text(catalog, item, language)

    def words(table: dict[str, str]) -> Markup:
        text = table.get(language)
        if text is None:
            raise TemplateProblem(item.source, None, f"item '{item.id}' has no wording in language '{language}'.")
        try:
            return _render_wording(env, text, context, kept_wording)
        except RecursionError:
            raise TemplateProblem(
                item.source, None, f"item '{item.id}': a macro calls itself without end; remove the loop."
            ) from None
        except Exception as exc:  # any error in a clinic's wording (1/0, a refused call) is the clinic's to fix
            raise TemplateProblem(item.source, None, f"item '{item.id}': {_plain_error(exc)}") from exc

    title, text = words(item.title) if item.title else "", words(item.text)
    key = ("item", item.id, item.frequency, language, title, text)
    rendered = kept.get(key)
    if rendered is None:
        rendered = freeze({"id": item.id, "title": title, "text": text, "frequency": frequency})
        check_plain(rendered, f"item '{item.id}'")
        if len(title) + len(text) <= LONGEST_KEPT_WORDING:
            if len(kept) >= KEPT_PER_CATALOG:
                kept.clear()
            kept[key] = rendered
    return rendered


def frequency_text(catalog: Catalog, item: ContentItem, language: str) -> dict[str, str] | None:
    """How often a risk happens, on the sheet's one scale, with the figure beside the word; None when
    the item cites no fact with a rate (then the sheet prints no frequency at all)."""
    if not item.frequency:
        return None
    labels = catalog.labels_for(language)
    fact = catalog.ledger.facts[item.frequency]
    band = frequency_band(fact)
    rate = labels["frequency_rates"][fact.rate_bound].format(n=format_count(fact.rate_in, language))
    word, band_range = labels["frequency_bands"][band], labels["frequency_ranges"][band]
    return {
        "band": band,
        "word": word,
        "range": band_range,
        "rate": rate,
        "line": labels["frequency_line"].format(rate=rate, word=word, range=band_range),
    }


def with_clinic_intent(selection: Selection, clinic: ClinicProfile) -> Selection:
    """The selection with the clinic's default purpose filled in where the medicines leave it open."""
    if selection.intent is None and default_intent(selection.medications) is None and clinic.default_intent:
        return replace(selection, intent=Intent(clinic.default_intent))
    return selection


def _plain_error(exc: BaseException) -> str:
    """The error's message, or its kind when it has none (a bare ZeroDivisionError says nothing)."""
    text = str(exc)
    return text if text else type(exc).__name__


def clinic_data(clinic: ClinicProfile, language: str = "en") -> dict[str, Any]:
    """The clinic's printed fields only, each text in `language` (English when the clinic gave none
    in it): never its folder, so no template holds a path to the disk."""
    return {
        name: clinic.text_in(name, language) if isinstance(getattr(clinic, name), str) else getattr(clinic, name)
        for name in CLINIC_FIELDS
        if name not in PRIVATE_FIELDS
    }


def _allergy_words(selection: Selection, labels: dict[str, Any]) -> list[str]:
    return [
        a.text if a.kind is AllergyKind.OTHER else labels["allergy_names"][a.kind.value]
        for a in selection.factors.allergies
    ]


def build_context(
    selection: Selection,
    catalog: Catalog,
    clinic: ClinicProfile,
    generated_at: dt.datetime,
    env: HandoutSandbox,
    template_trace: str = "",
    stylesheets: tuple[str, ...] = (),
    approval: Approval | None = None,
) -> tuple[dict[str, Any], tuple[Finding, ...], str]:
    """Everything the templates may use, with every item's wording already rendered.

    `template_trace` names the wording set (name, version, content hash) for the footer;
    `stylesheets` are file URIs, the built-in style sheet when empty; `approval` is the wording
    sign-off the footer names, given only while it matches the wording (wording_approval.py).
    """
    selection = with_clinic_intent(selection, clinic)
    selection.check()
    if generated_at.tzinfo is None:
        # WeasyPrint needs an offset in the PDF date; a naive time is taken as this machine's local time.
        generated_at = generated_at.astimezone()
    labels = catalog.labels_for(selection.language)
    content = select(catalog, selection)
    procedure = procedure_name(selection, labels, selection.language)
    clinic_fields = clinic_data(clinic, selection.language)
    # Wording sees plain immutable data only (template_data.py), like the page templates.
    item_context = freeze(
        {
            "side": labels["sides"][selection.side.value],
            "side_phrase": labels["side_phrases"][selection.side.value],
            "injection_phrase": labels["injection_phrases"][selection.side.value],
            "procedure": procedure,
            "clinic": clinic_fields,
        }
    )
    kept_wording, kept = _kept_wording_for(env), _kept_for(catalog)
    sections = {
        name: [_render_item(env, item, selection.language, item_context, catalog, kept_wording, kept) for item in items]
        for name, items in content.sections.items()
    }
    patient = selection.patient
    font_dir = resources.font_dir()
    context = {
        "labels": _template_labels(catalog, selection.language),
        "lang": selection.language,
        "paper": selection.paper.value,
        "large_print": selection.large_print,
        "hip_figures": hip_figures(selection.target, selection.side, labels),
        "item_pictures": item_pictures(labels, (item["id"] for items in sections.values() for item in items)),
        "diagram_caption": labels["diagram_caption"].format(place=labels["diagram_places"][selection.target.value]),
        "consent_copy": selection.consent_copy,
        "title": f"{labels['document_title']}: {procedure}",
        "procedure": procedure,
        "side": item_context["side"],
        "side_phrase": item_context["side_phrase"],
        # The banner at the top of page 1 ("Your LEFT hip"); sheet_check holds it there, in large type.
        "side_heading": side_heading(item_context["side_phrase"]),
        "both_hips": selection.side is Side.BILATERAL,
        "intent": selection.effective_intent.value,
        "is_diagnostic": selection.effective_intent.value in ("diagnostic", "both"),
        # Both hips: the diary takes a score for each hip, so the doctor can read each side's result.
        "diary_intro": labels["diary_intro_both" if selection.side is Side.BILATERAL else "diary_intro"],
        "diary_scores": (
            [labels["diary_score_side"].format(side=labels["sides"][one.value]) for one in (Side.LEFT, Side.RIGHT)]
            if selection.side is Side.BILATERAL
            else [labels["diary_score"]]
        ),
        "clinic": clinic_fields,
        "patient": {
            "name": patient.name.strip(),
            "date_of_birth": format_date(patient.date_of_birth, selection.language),
            "mrn": patient.mrn.strip(),
            "procedure_date": format_date(patient.procedure_date, selection.language),
            "clinician": patient.clinician.strip(),
        },
        "allergies": _allergy_words(selection, labels),
        "sections": sections,
        "risk_titles": [item["title"] for item in sections["risks"]],
        "content_version": catalog.version,
        "template_trace": template_trace or f"{labels['builtin_wording']} {catalog.version}",
        # Who signed the wording off, for the footer; None unless the set's approval still matches.
        "approval": {
            "name": approval.name,
            "role": approval.role,
            "date": format_date(approval.date, selection.language),
        }
        if approval
        else None,
        "stylesheets": stylesheets or ((resources.templates_dir() / "handout.css").as_uri(),),
        "logo_uri": clinic.logo_path.resolve().as_uri() if clinic.logo_path else "",
        "app_version": __version__,
        "generated": f"{format_date(generated_at.date(), selection.language)} {generated_at:%H:%M}",
        "generated_iso": generated_at.isoformat(timespec="seconds"),
        "font_regular": (font_dir / "AtkinsonHyperlegible-Regular.ttf").as_uri(),
        "font_bold": (font_dir / "AtkinsonHyperlegible-Bold.ttf").as_uri(),
        "font_italic": (font_dir / "AtkinsonHyperlegible-Italic.ttf").as_uri(),
        # Noto Sans is variable (one file covers every weight): Greek, Cyrillic and rarer Latin letters.
        "font_fallback_regular": (resources.fallback_font_dir() / "NotoSans[wdth,wght].ttf").as_uri(),
        "font_fallback_italic": (resources.fallback_font_dir() / "NotoSans-Italic[wdth,wght].ttf").as_uri(),
    }
    frozen = freeze(context)
    check_plain(frozen)  # a Path, a dict or an object with methods would let a template reach the disk
    return dict(frozen), content.warnings, procedure


def render_html(
    selection: Selection,
    catalog: Catalog,
    clinic: ClinicProfile,
    generated_at: dt.datetime,
    env: HandoutSandbox | None = None,
    template_trace: str = "",
    stylesheets: tuple[str, ...] = (),
    approval: Approval | None = None,
    document_number: str = "",
    with_facts: bool = True,
) -> RenderedHtml:
    """Render the handout's HTML. Raises SelectionRefused, SelectionError or TemplateProblem.

    `document_number` is printed at the foot of every page (pdf.footer_number_css); empty for a sheet
    that is only checked or measured, never handed out. `with_facts` False leaves out the facts only a PDF
    needs (sheet_facts), for HTML that is never laid out (the worker's HTML replies)."""
    env = env or _default_environment()
    context, warnings, procedure = build_context(
        selection, catalog, clinic, generated_at, env, template_trace, stylesheets, approval
    )
    try:
        html = _render_capped(env.get_template(MAIN_TEMPLATE), context)
    except RecursionError as exc:
        problem = _template_error(exc)
        raise TemplateProblem(
            problem.template, problem.line, "a macro or include calls itself without end; remove the loop."
        ) from None
    except TemplateProblem:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # 1/0, int('x'), a refused call: a problem in the template, named with its line
        raise _template_error(exc) from exc
    return RenderedHtml(
        html=html,
        title=context["title"],
        procedure=procedure,
        warnings=warnings,
        facts=sheet_facts(selection, catalog, clinic, context, document_number) if with_facts else SheetFacts(),
    )


CLINIC_PHONE_FIELDS = ("phone", "after_hours_phone", "emergency_line")
# The sheet's section headings, in print order: the only entries its PDF outline may have.
OUTLINE_LABELS = (
    "document_title",
    "key_points",
    "about",
    "medicines",
    "how",
    "benefits",
    "alternatives",
    "risks",
    "before",
    "after",
    "diary",
    "call",
    "faq",
    "consent",
)


def clinic_links(clinic: ClinicProfile) -> frozenset[str]:
    """The link targets a sheet may carry, exactly as a template writes them from clinic.toml: tel: links
    to the clinic's numbers (as given, as digits, or URL-quoted), its e-mail and its https web page."""
    targets: set[str] = set()
    for name in CLINIC_PHONE_FIELDS:
        for number in clinic.texts(name).values():  # the emergency line in every language it is given in
            digits = re.sub(r"[^0-9+]", "", number)
            if digits:
                targets |= {f"tel:{number}", f"tel:{digits}", f"tel:{urllib.parse.quote(number, safe='+-()')}"}
    if clinic.email:
        targets.add(f"mailto:{clinic.email}")
    if clinic.website.startswith("https://"):
        targets.add(clinic.website)
    return frozenset(targets)


def _plain(markup: str) -> str:
    """Wording without its tags, as it reads on the page."""
    return html_module.unescape(re.sub(r"<[^>]*>", "", str(markup)))


def sheet_facts(
    selection: Selection,
    catalog: Catalog,
    clinic: ClinicProfile,
    context: dict[str, Any],
    document_number: str = "",
) -> SheetFacts:
    """What the app writes into the PDF itself and what the laid-out sheet must (not) show (pdf.SheetFacts)."""
    labels = context["labels"]
    outline = [labels[key] for key in OUTLINE_LABELS] + [f"{labels['consent']}: {labels['consent_copy']}"]
    opposite = {Side.LEFT: Side.RIGHT, Side.RIGHT: Side.LEFT}.get(selection.side)
    every_language = [catalog.labels_for(lang) for lang in catalog.labels]
    forbidden = sorted({other["sides"][opposite.value] for other in every_language}) if opposite else []
    phrases = (
        sorted({p for other in every_language for p in other["other_side_phrases"][opposite.value]}) if opposite else []
    )
    pictures = [*context["hip_figures"], *context["item_pictures"].values()]
    logo_alt = f"{clinic.name or labels['clinic']} {labels['logo']}"
    return SheetFacts(
        title=context["title"],
        subject=f"{labels['wording']}: {context['template_trace']} "
        f"({labels['content_version']} {context['content_version']}, {context['lang']})",
        language=context["lang"],
        created=context["generated_iso"],
        links=clinic_links(clinic),
        outline=tuple(heading_key(text) for text in outline),
        alt_texts=frozenset(heading_key(text) for text in (*(p["alt"] for p in pictures), logo_alt)),
        neutral_alt=labels["picture"],
        forbidden_phrases=tuple(phrases),
        required_text=(
            labels["side_phrases"][selection.side.value],
            context["procedure"],
            labels["consent"],
            # every risk, with what it says, and every statement the patient signs
            *(_plain(item[part]) for item in context["sections"]["risks"] for part in ("title", "text") if item[part]),
            *(_plain(item["text"]) for item in context["sections"]["consent"]),
            # what the nurse knows of the patient's allergies, and when and whom to call: what to do in an
            # emergency, the clinic's numbers where it gave them
            *(context["allergies"] or [labels["no_allergies"]]),
            *(_plain(item["text"]) for name in ("call", "emergency") for item in context["sections"][name]),
            clinic.text_in("emergency_line", selection.language) or labels["emergency_default"],
            *(number for number in (clinic.phone, clinic.after_hours_phone) if number),
        ),
        forbidden_words=tuple(forbidden),
        side_heading=context["side_heading"],
        side_word=labels["sides"][selection.side.value],
        large_print=selection.large_print,
        page_size=selection.paper.spec.page_css,
        page_mm=selection.paper.spec.page_mm,
        consent_heading=labels["consent"],
        consent_shows=(context["procedure"],),
        document_number=document_number,
        number_label=labels["document_number"],
        page_label=labels["page"],
        of_label=labels["of"],
    )
