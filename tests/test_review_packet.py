"""The clinician review packet (docs/content-review.md): generated from the content, complete, honest
about its approval, and with all the Spanish wording for a Spanish-speaking reviewer."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from handout_app.catalog import SECTIONS, Catalog, load_catalog
from handout_app.review_packet import conditions, review_packet

ROOT = Path(__file__).resolve().parents[1]
PACKET = ROOT / "docs" / "content-review.md"
VERSION_TOML = ROOT / "templates" / "content" / "version.toml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def packet(catalog: Catalog) -> str:
    return review_packet(catalog)


def part(packet: str, heading: str) -> str:
    """The packet's text from a level-2 heading to the next one."""
    start = packet.index(f"\n## {heading}\n")
    end = packet.find("\n## ", start + 1)
    return packet[start:] if end < 0 else packet[start:end]


def in_cell(text: str) -> str:
    """Text as a Markdown table cell holds it."""
    return text.replace("|", "\\|")


def test_the_committed_packet_is_generated_from_the_current_content(packet: str) -> None:
    assert PACKET.is_file(), f"{PACKET.relative_to(ROOT)} is missing: run `make review-packet`."
    committed = PACKET.read_bytes().decode("utf-8")
    assert committed == packet, (
        f"{PACKET.relative_to(ROOT)} no longer matches the content in templates/content: run `make review-packet` "
        "and commit the result."
    )


def test_the_module_command_prints_the_packet(packet: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "handout_app.review_packet"], cwd=ROOT, capture_output=True, check=True, timeout=120
    )
    assert done.stdout.decode("utf-8") == packet


def test_every_item_fact_and_source_citation_is_in_the_packet(catalog: Catalog, packet: str) -> None:
    content = part(packet, "The content, section by section")
    for item in catalog.items:
        assert f"#### `{item.id}`" in content, item.id
        assert item.text["en"] in content, item.id
    for fact in catalog.ledger.facts.values():
        assert f"`{fact.id}`: {fact.says}" in part(packet, "Sources"), fact.id
    for source in catalog.ledger.sources.values():
        assert f"- **Citation:** {source.citation}" in packet, source.id
        assert source.title in packet, source.id


def test_each_item_shows_when_it_prints_and_the_facts_it_cites(catalog: Catalog, packet: str) -> None:
    for item in catalog.items:
        block = packet.split(f"\n#### `{item.id}`", 1)[1].split("\n#### ", 1)[0].split("\n### ", 1)[0]
        assert f"- **Prints:** {conditions(item.when)}\n" in block, item.id
        for fact_id in item.facts:
            fact = catalog.ledger.facts[fact_id]
            assert f"  - `{fact.id}` (source `{fact.source}`): {fact.says}" in block, (item.id, fact_id)


def test_conditions_read_as_words() -> None:
    assert conditions({}) == "always"
    assert (
        conditions({"medication": ["corticosteroid"], "target": ["joint"]})
        == "medication: corticosteroid; target: joint"
    )
    assert conditions({"intent": ["diagnostic", "both"]}) == "intent: diagnostic or both"
    assert conditions({"not_medication": ["anesthetic"]}) == "medication: not anesthetic"
    assert (
        conditions({"contrast": True, "not_guidance": ["ultrasound", "landmark"]})
        == "contrast: yes; guidance: none of ultrasound, landmark"
    )
    assert conditions({"medication_all": ["anesthetic", "prp"]}) == "medication: all of anesthetic and prp"
    assert (
        conditions({"factor_all": ["allergy-iodine", "allergy-antiseptic"]})
        == "factor: all of allergy-iodine and allergy-antiseptic"
    )


def test_sections_follow_print_order_with_their_headings(catalog: Catalog, packet: str) -> None:
    headings = re.findall(r"^### \d+\. .*\(`([a-z-]+)`\)$|^### \d+\. Section `([a-z-]+)`$", packet, flags=re.MULTILINE)
    assert [a or b for a, b in headings] == list(SECTIONS)
    assert f"### 7. {catalog.labels_for('en')['risks']} (`risks`)" in packet


def test_the_packet_says_plainly_the_built_in_wording_is_not_clinically_approved(catalog: Catalog, packet: str) -> None:
    intro = packet.split("\n## ", 1)[0]
    review = tomllib.loads(VERSION_TOML.read_text(encoding="utf-8"))["review"]
    assert "The built-in wording is not clinically approved." in intro
    assert " ".join(review.split()) in intro
    assert f"**Content version:** {catalog.version}" in intro
    for step in (
        "[approval]",
        "name = ",
        "role = ",
        "date = ",
        "content_hash = ",
        "handout-app check-templates FOLDER",
        "make review-packet",
    ):
        assert step in intro, step


def test_the_frequency_part_shows_the_scale_and_every_printed_figure(catalog: Catalog, packet: str) -> None:
    frequency = part(packet, "How often risks happen")
    labels = catalog.labels_for("en")
    for band, word in labels["frequency_bands"].items():
        assert f"| `{band}` | {word} | {labels['frequency_ranges'][band]} |" in frequency
    printing = [item for item in catalog.items if item.frequency]
    assert printing, "the built-in content prints at least one frequency"
    for item in printing:
        fact = catalog.ledger.facts[item.frequency]
        row = next(line for line in frequency.splitlines() if line.startswith(f"| `{item.id}` |"))
        assert f"{fact.rate_in:,}" in row and f"`{fact.id}`" in row and f"`{fact.source}`" in row


def test_the_checklist_names_what_a_clinician_must_confirm(catalog: Catalog, packet: str) -> None:
    checklist = part(packet, "What a clinician must confirm before first use")
    risks = [i.id for i in catalog.items if i.section == "risks"]
    consent = [i.id for i in catalog.items if i.section == "consent"]
    for item_id in risks + consent:
        assert f"`{item_id}`" in checklist, item_id
    non_seed = [
        f
        for f in catalog.ledger.facts.values()
        if not catalog.ledger.sources[f.source].citation.startswith("Seed document")
    ]
    seed = [f for f in catalog.ledger.facts.values() if f not in non_seed]
    assert non_seed and seed
    non_seed_lines = [line for line in checklist.splitlines() if line.startswith("  - `")]
    assert sorted(line.split("`")[1] for line in non_seed_lines) == sorted(f.id for f in non_seed)
    for word in (
        "Driving",
        "Pain-medicine",
        "Aftercare",
        "Spanish",
        "emergency line",
        "printed frequency",
        "consent statements",
    ):
        assert word in checklist, word
    assert "`kp-driver`" in checklist and "`after-diary`" in checklist
    assert catalog.labels_for("en")["emergency_default"] in checklist
    # Every id the checklist names in prose (the readers' questions, the aftercare notes) still exists.
    named = set(re.findall(r"`([a-z]+(?:-[a-z0-9]+)+)`", checklist))
    known = {i.id for i in catalog.items} | set(catalog.ledger.facts) | set(catalog.ledger.sources)
    assert named and named <= known, sorted(named - known)


def test_the_spanish_appendix_holds_every_items_spanish_wording(catalog: Catalog, packet: str) -> None:
    appendix = part(packet, "Spanish wording")
    rows = {line.split("`")[1]: line for line in appendix.splitlines() if line.startswith("| `")}
    assert set(rows) >= {item.id for item in catalog.items}
    for item in catalog.items:
        assert in_cell(item.text["es"]) in rows[item.id], item.id
        if "es" in item.title:
            assert in_cell(item.title["es"]) in rows[item.id], item.id
        assert item.text["en"] not in rows[item.id] or item.text["en"] == item.text["es"], item.id


def test_pipes_in_wording_do_not_break_a_table(catalog: Catalog) -> None:
    item = catalog.items[0]
    piped = replace(item, text={**item.text, "es": "Uno | dos"})
    text = review_packet(replace(catalog, items=(piped, *catalog.items[1:])), review="not approved")
    row = next(line for line in part(text, "Spanish wording").splitlines() if line.startswith(f"| `{item.id}` |"))
    assert row == f"| `{item.id}` | Uno \\| dos |"


def test_the_packet_is_plain_markdown_without_html(packet: str) -> None:
    assert not re.search(r"</?[A-Za-z]", packet)
    assert packet.endswith("\n") and not packet.endswith("\n\n")
