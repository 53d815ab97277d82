"""The clinician review packet: every piece of built-in wording, when it prints and what backs it.

`review_packet(catalog)` turns the content data (templates/content/*.toml: the items, the claims
ledger, the fixed wording in labels.toml and the selection rules) into one Markdown document that a
clinic lead can review in one sitting. The packet is generated, never written by hand, so it cannot
drift from the content: `make review-packet` (or `python -m handout_app.review_packet >
docs/content-review.md`) rewrites docs/content-review.md, and a test fails when the file no longer
matches the content.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any

from .catalog import SECTIONS, Catalog, ContentItem, load_catalog
from .claims import FREQUENCY_BANDS, Fact, Source
from .templating import frequency_text
from .wording_approval import builtin_review

PACKET_PATH = "docs/content-review.md"
REGENERATE = "make review-packet"
SEED_PREFIX = "Seed document"  # how the five seed documents' citations begin in claims.toml
SPANISH_HEADING = "## Spanish wording"
NOT_APPROVED = "The built-in wording is not clinically approved."
_DRIVING = re.compile(r"\bdriv", re.IGNORECASE)
_PAIN_MEDICINE = re.compile(r"\bpain (medicine|pills?)\b", re.IGNORECASE)


# --- Small Markdown helpers ------------------------------------------------------------------------


def cell(text: str) -> str:
    """Text made safe for one Markdown table cell: one line, pipes escaped."""
    # Ordinary white space only: a no-break space ("15\u00a0000") is part of the wording under review.
    return re.sub(r"[ \t\r\n]+", " ", text).strip().replace("|", "\\|")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = [cell(h) for h in header]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids) or "none"


def wording(item: ContentItem, language: str) -> str:
    """An item's title and text in one language as one line ("**Title.** text"); empty when absent."""
    text = item.text.get(language, "")
    title = item.title.get(language, "")
    if not title:
        return text
    joiner = "" if title[-1] in ".?!:" else "."
    return f"**{title}{joiner}** {text}" if text else f"**{title}**"


def conditions(when: dict[str, Any]) -> str:
    """When an item or rule applies, in words: "medication: corticosteroid; target: joint", or "always"."""
    parts = [_condition(key, value) for key, value in when.items()]
    return "; ".join(parts) or "always"


def _condition(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return f"{key}: {'yes' if value else 'no'}"
    if key.endswith("_all"):
        return f"{key.removesuffix('_all')}: all of {' and '.join(value)}"
    if key.startswith("not_"):
        return f"{key.removeprefix('not_')}: {'not ' if len(value) == 1 else 'none of '}{', '.join(value)}"
    return f"{key}: {' or '.join(value)}"


def section_label(catalog: Catalog, section: str, language: str = "en") -> str:
    """A section's heading as the sheet prints it (labels.toml); empty when the section has none."""
    label = catalog.labels_for(language).get(section.replace("-", "_"))
    return label if isinstance(label, str) else ""


def section_heading(catalog: Catalog, section: str, language: str = "en") -> str:
    """A section's heading with its id ("Consent (`consent`)"); "Section `id`" when it has no heading."""
    label = section_label(catalog, section, language)
    return f"{label} (`{section}`)" if label else f"Section `{section}`"


def items_in_print_order(catalog: Catalog, section: str) -> list[ContentItem]:
    """The items of one section, in the order the sheet prints them."""
    return sorted((i for i in catalog.items if i.section == section), key=lambda i: i.order)


def is_seed(source: Source) -> bool:
    """Whether a source is one of the five seed documents (its citation starts "Seed document")."""
    return source.citation.startswith(SEED_PREFIX)


def _fact_line(catalog: Catalog, fact_id: str) -> str:
    fact = catalog.ledger.facts[fact_id]
    return f"`{fact.id}` (source `{fact.source}`): {fact.says}"


def _rated(catalog: Catalog, item: ContentItem) -> list[Fact]:
    return [catalog.ledger.facts[f] for f in item.facts if catalog.ledger.facts[f].rate_in]


def printed_frequency(catalog: Catalog, item: ContentItem, language: str = "en") -> str:
    """The "How often" line a risk prints, as on the sheet; empty when it prints none."""
    shown = frequency_text(catalog, item, language)
    if shown is None:
        return ""
    return f"{catalog.labels_for(language)['likelihood']}: {shown['line']}"


# --- The parts of the packet -----------------------------------------------------------------------


def _intro(catalog: Catalog, review: str) -> list[str]:
    return [
        "# Hip injection handout: content review packet",
        "",
        f"_Generated from `templates/content/` by `handout_app/review_packet.py`. Do not edit this file by hand: "
        f"run `{REGENERATE}`._",
        "",
        "This packet holds every piece of wording the app can print on a hip-injection handout, so a clinic lead "
        "can review all of it in one sitting: each item, when it prints, its English wording, and the facts and "
        "sources it rests on. The Spanish wording is in the appendix at the end.",
        "",
        f"- **Content version:** {catalog.version}",
        f"- **Review state** (from `templates/content/version.toml`): {review}",
        f"- **Clinical approval:** {NOT_APPROVED} No clinician has signed it off, and a printed sheet never "
        "claims an approval it does not have. Do not give it to patients until a clinician at your clinic has "
        "worked through this packet and signed the wording off as below.",
        "",
    ]


def _sign_off() -> list[str]:
    return [
        "### Recording your clinic's sign-off",
        "",
        '1. Work through the checklist "What a clinician must confirm before first use" near the end of this packet.',
        "2. Run `handout-app check-templates FOLDER` on your clinic folder. It prints the wording hash, a line "
        "`Wording hash: sha256:...`.",
        "3. Record the sign-off in `FOLDER/clinic.toml`, with the whole hash:",
        "",
        "```toml",
        "[approval]",
        'name = "Dr A. Lee"              # who approved the wording',
        'role = "Clinical lead"',
        "date = 2026-11-01               # the day it was approved, YYYY-MM-DD",
        'content_hash = "sha256:..."     # the whole Wording hash line check-templates printed',
        "```",
        "",
        "Any later change to the wording (content, templates, or the clinic texts `clinic.toml` prints) changes the "
        "hash; the sheets then stop saying the wording is approved until it is approved again.",
        "",
        "### Regenerating this packet",
        "",
        f"Run `{REGENERATE}` (or `python -m handout_app.review_packet > {PACKET_PATH}`) after any content change. "
        "A test fails while this file does not match the content.",
        "",
    ]


def _reading_guide() -> list[str]:
    return [
        "### How to read it",
        "",
        '- **Prints** says when an item is on the sheet: "always", or conditions on the procedure and the patient. '
        'All conditions separated by ";" must hold; "a or b" means either. "factor" is something the nurse '
        "ticks for the patient (diabetes, blood thinners, possible pregnancy, an allergy).",
        "- Text in double braces, such as `{{ side }}`, is filled in for each patient when the sheet prints.",
        "- **Facts** are the entries of the claims ledger (`templates/content/claims.toml`) the wording rests on. "
        "Every number, frequency word and unit of time an item prints must appear in one of its facts.",
        "",
    ]


def _scale_rows(catalog: Catalog) -> list[list[str]]:
    labels = catalog.labels_for("en")
    return [
        [f"`{band}`", labels["frequency_bands"][band], labels["frequency_ranges"][band]] for band, _ in FREQUENCY_BANDS
    ]


def _frequency(catalog: Catalog) -> list[str]:
    printing = [i for i in catalog.items if i.frequency]
    stating = [i for i in catalog.items if not i.frequency and _rated(catalog, i)]
    lines = [
        "## How often risks happen",
        "",
        "The sheet states how often a risk happens on one scale (CIOMS III, as used in EU package leaflets), "
        "with the figure beside the word. A frequency is printed only where a cited fact gives a rate "
        "(`rate = { fewer-than = N }` in `claims.toml`); every other risk prints without one, and no item uses a "
        "scale word of its own.",
        "",
        *_table(["Band", "Printed word", "Range"], _scale_rows(catalog)),
        "",
        "Risks that print a frequency:",
        "",
    ]
    rows = [
        [
            f"`{i.id}`",
            i.title.get("en", ""),
            printed_frequency(catalog, i),
            f"`{i.frequency}`: {catalog.ledger.facts[i.frequency].says}",
            f"`{catalog.ledger.facts[i.frequency].source}`",
        ]
        for i in printing
    ]
    lines += _table(["Item", "Risk", "Printed", "Fact", "Source"], rows) if rows else ["None."]
    if stating:
        lines += [
            "",
            "Items whose wording states a rate in words, citing a fact with a rate: "
            + ", ".join(f"`{i.id}` ({_ids(f.id for f in _rated(catalog, i))})" for i in stating)
            + ".",
        ]
    return [*lines, ""]


def _item(catalog: Catalog, item: ContentItem) -> list[str]:
    title = item.title.get("en")
    lines = [
        f"#### `{item.id}`" + (f": {title}" if title else ""),
        "",
        f"- **Prints:** {conditions(item.when)}",
        f"- **English:** {wording(item, 'en')}",
    ]
    if item.frequency:
        lines.append(f"- **Frequency printed:** {printed_frequency(catalog, item)} (fact `{item.frequency}`)")
    lines.append("- **Facts:**" + ("" if item.facts else " none"))
    lines += [f"  - {_fact_line(catalog, fact_id)}" for fact_id in item.facts]
    return [*lines, ""]


def _sections(catalog: Catalog) -> list[str]:
    lines = [
        "## The content, section by section",
        "",
        "Every item the sheet can print, section by section in print order. A sheet prints only the items whose "
        "conditions match the procedure and the patient.",
        "",
    ]
    for number, section in enumerate(SECTIONS, start=1):
        items = items_in_print_order(catalog, section)
        lines += [f"### {number}. {section_heading(catalog, section)}", ""]
        if not items:
            lines += ["No items.", ""]
        for item in items:
            lines += _item(catalog, item)
    return lines


def _rules(catalog: Catalog) -> list[str]:
    rows = [
        [f"`{r.id}`", r.level, conditions(r.when), f"`{r.field}`" if r.field else "", r.message.get("en", "")]
        for r in catalog.rules
    ]
    return [
        "## Selection rules",
        "",
        "Checked when the nurse chooses the procedure. **refuse** stops the handout until the choice is changed; "
        "**warn** lets it print and shows the message to the nurse.",
        "",
        *_table(["Rule", "Level", "When", "Form field", "Message (English)"], rows),
        "",
    ]


def _label_texts(value: Any) -> list[str]:
    """The words of one labels.toml entry, as lines a reviewer can read."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [f"{key}: {inner}" for key, inner in value.items()]
    if isinstance(value, list):
        return ["; ".join(_label_texts(v)) if isinstance(v, dict) else str(v) for v in value]
    return [str(value)]


def _fact_labels(catalog: Catalog) -> list[tuple[str, tuple[str, ...]]]:
    return [(key, facts) for key, facts in catalog.ledger.labels.items() if facts]


def _fixed_wording(catalog: Catalog, language: str) -> list[str]:
    labels = catalog.labels_for(language)
    lines: list[str] = []
    for key, facts in _fact_labels(catalog):
        lines += [f"- `{key}` (facts {_ids(facts)}):"]
        lines += [f"  - {text}" for text in _label_texts(labels.get(key, ""))]
    return lines


def _labels_part(catalog: Catalog) -> list[str]:
    return [
        "## Fixed wording that states facts",
        "",
        "Wording from `templates/content/labels.toml` that the sheet prints around the items and that states a "
        "figure, a time or an instruction, with the facts behind it (`[labels]` in `claims.toml`).",
        "",
        *_fixed_wording(catalog, "en"),
        "",
    ]


def _cited_by(catalog: Catalog, fact_id: str) -> list[str]:
    items = [f"`{i.id}`" for i in catalog.items if fact_id in i.facts]
    labels = [f"label `{key}`" for key, facts in catalog.ledger.labels.items() if fact_id in facts]
    return items + labels


def _source(catalog: Catalog, source: Source) -> list[str]:
    kind = "one of the five seed documents" if is_seed(source) else "a published reference (not a seed document)"
    lines = [
        f"### `{source.id}`: {source.title}",
        "",
        f"- **Citation:** {source.citation}",
        f"- **Kind:** {kind}",
        "- **Facts from this source:**",
    ]
    for fact in (f for f in catalog.ledger.facts.values() if f.source == source.id):
        lines.append(f"  - `{fact.id}`: {fact.says} Cited by: {', '.join(_cited_by(catalog, fact.id)) or 'nothing'}.")
    return [*lines, ""]


def _sources(catalog: Catalog) -> list[str]:
    lines = [
        "## Sources",
        "",
        "Every source in the claims ledger, with the facts taken from it and where each is cited.",
        "",
    ]
    for source in catalog.ledger.sources.values():
        lines += _source(catalog, source)
    return lines


def _matching(catalog: Catalog, pattern: re.Pattern[str]) -> list[ContentItem]:
    """Items whose English wording, or a fact they cite, matches `pattern`."""

    def hits(item: ContentItem) -> bool:
        says = (catalog.ledger.facts[f].says for f in item.facts)
        return any(pattern.search(text) for text in (wording(item, "en"), *says))

    return [i for i in catalog.items if hits(i)]


def _non_seed_facts(catalog: Catalog) -> list[str]:
    sources = catalog.ledger.sources
    return [
        f"  - `{f.id}` (source `{f.source}`, {sources[f.source].title}): {f.says}"
        for f in catalog.ledger.facts.values()
        if not is_seed(sources[f.source])
    ]


def _frequency_checks(catalog: Catalog) -> list[str]:
    lines = []
    for item in (i for i in catalog.items if i.frequency):
        fact = catalog.ledger.facts[item.frequency]
        source = catalog.ledger.sources[fact.source]
        lines.append(
            f'- [ ] **The printed frequency.** `{item.id}` prints "{printed_frequency(catalog, item)}" '
            f'from fact `{fact.id}` ("{fact.says}"), source `{source.id}`: {source.citation} Confirm the '
            "figure applies to injections at your clinic, or replace it with your own audited figure "
            "(a fact in your clinic's `content/claims.toml`)."
        )
    stating = [i.id for i in catalog.items if not i.frequency and _rated(catalog, i)]
    if stating:
        lines.append(f"- [ ] The same figure stated in words in {_ids(stating)} matches the printed frequency.")
    return lines


def _section_ids(catalog: Catalog, *sections: str) -> str:
    return _ids(i.id for s in sections for i in items_in_print_order(catalog, s))


def _checklist(catalog: Catalog) -> list[str]:
    return [
        "## What a clinician must confirm before first use",
        "",
        "Tick each line only when it is true for your clinic. Change wording in your clinic folder "
        "(`content/*.toml`, see the README), then regenerate the wording hash and record the sign-off.",
        "",
        f"- [ ] **Every risk and its wording**, section `risks`: {_section_ids(catalog, 'risks')}. "
        "Each is correct, worded accurately, prints for the right procedures, and no risk your clinicians "
        "discuss is missing.",
        *_frequency_checks(catalog),
        "- [ ] **Facts taken from references other than the five seed documents.** Each says what the reference "
        "supports, and the wording that cites it is right for your patients:",
        *_non_seed_facts(catalog),
        f"- [ ] **The consent statements**, section `consent`: {_section_ids(catalog, 'consent')}. "
        "They meet your clinic's consent policy and local law.",
        f"- [ ] **Driving instructions:** {_ids(i.id for i in _matching(catalog, _DRIVING))}. They match your "
        "clinic's advice for each medicine.",
        f"- [ ] **Pain-medicine instructions:** {_ids(i.id for i in _matching(catalog, _PAIN_MEDICINE))}. They "
        "match what your clinicians tell patients, for diagnostic and for treatment injections.",
        f"- [ ] **Aftercare and when to get help:** {_section_ids(catalog, 'after', 'call', 'emergency')}, and the "
        "fixed wording above (the pain diary). The ice and no-driving pictures print beside `after-ice` and "
        "`after-no-driving`, with those items' words and only where they print. A reader asked when the \"day or "
        'two" without hard work and sport starts in `after-activity` (printed under "From the next day"): say it '
        "if your patients should count from the injection. PRP sheets ask the team about pain medicines "
        "(`after-usual-medicines-prp`): give your clinic's rule.",
        *_reader_questions(),
        *_checklist_clinic(catalog),
    ]


def _reader_questions() -> list[str]:
    """What fresh readers of the rendered sheets asked and the software team cannot settle without a clinician."""
    return [
        "- [ ] **Facts used beyond the procedure their source describes.** A fresh reader noted:",
        "  - the infection figure comes from one clinic's page on X-ray-guided hip joint injections (numbing medicine "
        "and steroid) and prints on every "
        "hip-joint sheet, whatever the medicine and guidance (`risk-infection`);",
        '  - the steroid timings under "Days 2 to 5" and "After 10 days" (`after-steroid-onset`, '
        "`after-steroid-no-relief`) and the stay and rest times (`how-inject`, `how-rest`) come from one clinic's "
        "page on joint injections and print for bursa and soft-tissue sheets too;",
        "  - the cost answers (`faq-cost`, `faq-cost-prp`) warn that insurance may not pay for PRP, not for "
        "hyaluronic acid in the hip; say so if it is true for your patients;",
        "  - the return to activity over 1 to 2 weeks (`after-activity`) comes from the same page and prints for PRP "
        "and hyaluronic acid too, where the overview says the advice depends on the medicine and the clinic's plan.",
        "- [ ] **An allergy the sources do not cover.** A typed allergy (latex, for example) prints with the patient's "
        'details only; the checklist says "I have told the team about all my allergies", and no item says what '
        "the team does about it. Add your clinic's line if patients should read one.",
        "- [ ] **A patient allergic to a medicine the injection contains.** The window warns the nurse (`rules.toml`); "
        "the sheet still describes that medicine, and the checklist says the doctor knows and a plan was made. "
        "Confirm the plan is settled before the sheet is signed.",
        "- [ ] **Both hips at one visit.** The steps describe one injection. Nothing says both hips are done at the "
        "same visit, in which order, or that the patient may stop after the first (the consent says they can change "
        "their mind at any time, even during the injection). Add your clinic's line if patients should read one.",
        '- [ ] **The soft tissue is not named.** A sheet for other soft tissue says the needle goes "close to a tendon '
        'or muscle" and "Your doctor will show you the spot" (`about-periarticular`); a fresh reader asked for the '
        "structure's name. The form has no field for it: say whether the clinician should name it when explaining.",
    ]


def _checklist_clinic(catalog: Catalog) -> list[str]:
    emergency = catalog.labels_for("en")["emergency_default"]
    return [
        "- [ ] **Conditions and rules.** Each item prints only for the procedures and patients shown under "
        '"Prints", and the selection rules refuse or warn where your clinicians would.',
        "- [ ] **The Spanish wording**, reviewed by a clinician fluent in Spanish: every item in the appendix "
        '"Spanish wording" says the same as its English, in words your Spanish-speaking patients use. A reader from '
        'the US and Mexico would say "esteroide" or "cortisona" for "corticoide" and "número de expediente" for '
        '"número de historia clínica".',
        "- [ ] **Your clinic's own numbers and emergency line.** `clinic.toml` gives the office phone (`phone`), "
        "the after-hours phone (`after_hours_phone`), the opening hours and the emergency line (`emergency_line`), "
        "in English and Spanish, and each is right and answered. Without an emergency line the sheet prints: "
        f'"{emergency}"',
        "- [ ] **Sign-off recorded:** `[approval]` in `clinic.toml` with name, role, date and the content hash "
        "`handout-app check-templates FOLDER` prints.",
        "",
    ]


def _spanish_section(catalog: Catalog, section: str) -> list[str]:
    items = items_in_print_order(catalog, section)
    if not items:
        return []
    rows = [[f"`{i.id}`", wording(i, "es") or "(no Spanish wording: the English prints)"] for i in items]
    return [f"### {section_heading(catalog, section, 'es')}", "", *_table(["Id", "Texto en español"], rows), ""]


def _spanish(catalog: Catalog) -> list[str]:
    lines = [
        SPANISH_HEADING,
        "",
        "Appendix for the reviewer fluent in Spanish: every item's Spanish wording, section by section in print "
        "order, then the Spanish fixed wording that states facts.",
        "",
    ]
    for section in SECTIONS:
        lines += _spanish_section(catalog, section)
    return [*lines, "### Fixed wording (labels.toml, `es`)", "", *_fixed_wording(catalog, "es")]


def review_packet(catalog: Catalog, review: str | None = None) -> str:
    """The review packet for `catalog` as Markdown.

    `review` is the built-in wording's review state; by default the one templates/content/version.toml states.
    """
    parts = (
        _intro(catalog, review if review is not None else builtin_review()),
        _sign_off(),
        _reading_guide(),
        _frequency(catalog),
        _sections(catalog),
        _rules(catalog),
        _labels_part(catalog),
        _sources(catalog),
        _checklist(catalog),
        _spanish(catalog),
    )
    return "\n".join(line for part in parts for line in part).rstrip("\n") + "\n"


def main() -> int:
    """Write the packet for the built-in content to standard output, as UTF-8."""
    text = review_packet(load_catalog())
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
