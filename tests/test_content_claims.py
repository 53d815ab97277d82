"""Content a clinician can sign: every figure traced to a fact, honest frequencies, and the content
defects found in review (issue 10), each shown on the sheet a patient would get."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest

from handout_app.catalog import CatalogError, ContentItem, apply_overrides, load_catalog
from handout_app.choices import LANGUAGES
from handout_app.claims import (
    FREQUENCY_BANDS,
    Fact,
    frequency_band,
    item_problems,
    label_problems,
    unsupported_claims,
)
from handout_app.clinic import ClinicProfile
from handout_app.domain import Allergy, AllergyKind, SelectionError
from handout_app.templating import render_html
from tests.helpers import GENERATED_AT, make_selection, normalise

SCALE_WORDS = re.compile(
    r"\b(very common|common|uncommon|rare|rarely|very rare|frecuente|poco frecuente|raro|rara|muy raro)\b",
    re.IGNORECASE,
)


def spanish(selection):  # type: ignore[no-untyped-def]
    """The same selection, printed in Spanish."""
    return replace(selection, language="es")


def html_text(selection, clinic: ClinicProfile | None = None) -> str:  # type: ignore[no-untyped-def]
    """The sheet's words as a reader sees them (tags dropped), for checks that need no layout."""
    html = render_html(selection, load_catalog(), clinic or ClinicProfile(), GENERATED_AT).html
    body = html.split("<body", 1)[1]
    return normalise(re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").replace("&amp;", "&"))


def assert_wording_for_both_hips_and_for_one(base, language: str, pairs) -> None:  # type: ignore[no-untyped-def]
    """For each (both, one): `both` prints on the sheet for both hips and not on a sheet for one hip (LEFT);
    `one` the other way round."""
    from handout_app.domain import Side

    bilateral = html_text(replace(base, side=Side.BILATERAL, language=language))
    single = html_text(replace(base, side=Side.LEFT, language=language))
    for both, one in pairs:
        assert both in bilateral and one not in bilateral, (both, one)
        assert one in single and both not in single, (both, one)


# --- 1. The claims ledger ---------------------------------------------------------------------


def test_every_built_in_item_names_facts_that_hold_each_figure_frequency_and_time() -> None:
    catalog = load_catalog()
    problems = [p for item in catalog.items for p in item_problems(item, catalog.ledger, LANGUAGES)]
    assert problems == []
    assert label_problems(catalog.labels, catalog.ledger) == []
    assert all(item.facts for item in catalog.items)


@pytest.mark.parametrize(
    "wording, cited, flagged",
    [
        # The figures the review found with no source behind them.
        (
            "Put an ice pack on it for about 15 minutes at a time.",
            ["ice"],
            ["the number 15", "the unit of time 'minute'"],
        ),
        ("You have a fever of 38 °C (100.4 °F) or higher.", ["infection-signs"], ["the number 38", "the number 100.4"]),
        ("Your leg is numb for longer than a day.", ["leg-numb"], ["the unit of time 'day'"]),
        ("Most reactions are mild.", ["allergy"], ["the frequency word 'most'"]),
        ("Soreness is common.", ["flare"], ["the frequency word 'common'"]),
        ("Bone damage is very rare.", ["nerve"], ["the frequency word 'very rare'"]),
        ("Relief starts after two to five days.", ["steroid-onset"], []),
        ("El alivio empieza a los dos días y dura semanas.", ["steroid-onset"], ["the unit of time 'week'"]),
        ("Pasa en menos de 1 de cada 15\u00a0000 inyecciones.", ["infection-rate"], []),
    ],
)
def test_the_rule_flags_a_figure_frequency_or_time_its_facts_do_not_hold(
    wording: str, cited: list[str], flagged: list[str]
) -> None:
    assert unsupported_claims([wording], cited, load_catalog().ledger) == sorted(flagged)


def test_a_built_in_item_citing_an_unknown_fact_is_refused_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "10-x.toml").write_text('[[item]]\nid = "after-ice"\nfacts = ["no-such-fact"]\n', encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        apply_overrides(load_catalog(), folder)
    assert "no-such-fact" in str(info.value) and "10-x.toml" in str(info.value) and info.value.line == 2


def test_a_clinic_adds_its_own_facts_with_their_source(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "claims.toml").write_text(
        '[[source]]\nid = "our-audit"\ntitle = "Infection audit '
        '2025"\ncitation = "Our clinic, infection audit, 2025."\n\n'
        '[[fact]]\nid = "our-infections"\nsource = "our-audit"\nsays = "No infection after 4,000 injections."\n'
        "rate = { fewer-than = 4000 }\n",
        encoding="utf-8",
    )
    (folder / "10-x.toml").write_text(
        '[[item]]\nid = "risk-infection"\nfrequency = '
        '"our-infections"\nfacts = ["our-infections", "infection-signs"]\n',
        encoding="utf-8",
    )
    catalog = apply_overrides(load_catalog(), folder)
    item = next(i for i in catalog.items if i.id == "risk-infection")
    assert item.frequency == "our-infections"
    assert catalog.ledger.sources["our-audit"].citation == "Our clinic, infection audit, 2025."
    rendered = render_html(make_selection(), catalog, ClinicProfile(), GENERATED_AT).html
    assert "fewer than 1 in 4,000 injections (rare: 1 in 10,000 to 1 in 1,000)." in normalise(
        re.sub(r"<[^>]+>", " ", rendered)
    )


def test_a_clinic_file_with_the_old_likelihood_labels_is_told_what_replaced_them(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "10-x.toml").write_text('[[item]]\nid = "risk-bruising"\nlikelihood = "common"\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"'likelihood' is no longer used.*frequency"):
        apply_overrides(load_catalog(), folder)


# --- 2. Honest frequencies --------------------------------------------------------------------


def test_only_a_risk_with_a_cited_rate_prints_how_often_with_the_figure_beside_the_word() -> None:
    text = html_text(
        make_selection(
            medications=("anesthetic", "corticosteroid"),
            guidance="fluoroscopy",
            contrast=True,
            diabetes=True,
            blood_thinners=True,
        )
    )
    risks = text.split("What are the risks?")[1].split("Before the injection")[0]
    assert risks.count("How often:") == 1
    assert (
        "Infection. " in risks
        and "How often: fewer than 1 in 15,000 injections (very rare: fewer than 1 in 10,000)." in risks
    )
    # No risk is labelled on a scale without a figure: the words the review found invented are gone.
    for word in ("Common", "Uncommon", "Varies"):
        assert not re.search(rf"\b{word}\b", risks), word
    assert "how likely each risk is" not in text


def test_every_risk_text_avoids_scale_words_and_every_frequency_names_a_fact_with_a_rate() -> None:
    catalog = load_catalog()
    for item in catalog.items:
        if item.section == "risks":
            for language in LANGUAGES:
                assert not SCALE_WORDS.search(item.text[language] + " " + item.title[language]), (item.id, language)
        if item.frequency:
            assert catalog.ledger.facts[item.frequency].rate_in > 0


@pytest.mark.parametrize(
    "rate, bound, band",
    [
        (15000, "fewer-than", "very-rare"),
        (10000, "fewer-than", "very-rare"),
        (10000, "about", "rare"),
        (5000, "about", "rare"),
        (1000, "about", "uncommon"),
        (100, "about", "common"),
        (10, "about", "very-common"),
    ],
)
def test_the_scale_is_the_leaflet_scale(rate: int, bound: str, band: str) -> None:
    assert frequency_band(Fact("f", "s", "x", rate, bound)) == band
    assert [name for name, _ in FREQUENCY_BANDS] == ["very-common", "common", "uncommon", "rare", "very-rare"]


def test_spanish_prints_the_figure_with_a_space_not_a_point() -> None:
    html = render_html(spanish(make_selection()), load_catalog(), ClinicProfile(), GENERATED_AT).html
    assert "15\u00a0000" in html and "15.000" not in html
    # A no-break space: the figure never splits over two lines.
    assert "menos de 1 de cada 15\u00a0000 inyecciones (muy rara vez: menos de 1 de cada 10\u00a0000)." in html
    # The band reads as an adverb ("muy rara vez"), so it agrees with any risk, whatever its gender.
    assert "Muy raro" not in html


# --- 3. The defects the review found ----------------------------------------------------------


@pytest.mark.parametrize(
    "target, shown", [("joint", True), ("trochanteric", False), ("iliopsoas", False), ("periarticular", False)]
)
def test_bone_damage_prints_only_for_a_steroid_in_the_hip_joint(target: str, shown: bool) -> None:
    text = html_text(make_selection(target=target, medications=("corticosteroid",)))
    assert ("Damage to the hip bone" in text) is shown


def test_no_sheet_reassures_about_symptoms_that_can_be_infection() -> None:
    for medications in (("anesthetic",), ("corticosteroid",), ("anesthetic", "corticosteroid"), ("prp",)):
        for language in LANGUAGES:
            text = html_text(replace(make_selection(medications=medications), language=language))
            for phrase in ("not harmful", "This is normal", "no es dañino", "Es normal", "es normal"):
                assert phrase not in text, (medications, language, phrase)


def test_a_steroid_only_sheet_warns_of_the_flare_hours_after() -> None:
    text = html_text(make_selection(medications=("corticosteroid",)))
    assert "Several hours after a steroid injection, the area can swell and hurt more" in text


def test_iodine_allergy_takes_the_antiseptic_path_and_a_landmark_sheet_never_mentions_dye() -> None:
    assert Allergy.parse("iodine").kind is AllergyKind.IODINE
    assert Allergy.parse("Povidone-iodine").kind is AllergyKind.IODINE
    landmark = html_text(
        make_selection(
            target="trochanteric", medications=("corticosteroid",), guidance="landmark", allergies=("iodine",)
        )
    )
    assert "a skin cleaner with no iodine can be used." in landmark
    assert "dye" not in landmark and "contrast" not in landmark.lower()
    contrast = html_text(make_selection(guidance="fluoroscopy", contrast=True, allergies=("iodine",)))
    assert "a skin cleaner with no iodine can be used." in contrast
    assert "I am allergic to contrast dye or iodine." in contrast


def test_a_diagnostic_sheet_never_says_both_pause_and_take_pain_medicine() -> None:
    for intent in ("diagnostic", "both"):
        text = html_text(make_selection(intent=intent))
        assert "take no pain medicine for the first 4 to 6 hours" in text
        assert "You may take pain medicine too" not in text
    therapeutic = html_text(make_selection(medications=("corticosteroid",)))
    assert "You may take pain medicine too." in therapeutic


def test_a_prp_sheet_sends_pain_medicine_questions_to_the_team_instead_of_allowing_them() -> None:
    """No source allows pain medicine after PRP, and clinics differ (some ask patients to avoid
    anti-inflammatory pills): a fresh reader found "You may take pain medicine too" on a PRP sheet."""
    prp = html_text(make_selection(medications=("prp",)))
    assert "You may take pain medicine too" not in prp
    assert "Ask us about pain medicine." in prp


def test_a_sheet_without_imaging_never_says_the_medicine_goes_straight_to_the_sore_place() -> None:
    """Without a scanner no one sees where the needle is, which the same sheet says."""
    landmark = html_text(make_selection(medications=("corticosteroid",), guidance="landmark"))
    assert "goes straight to the sore place" not in landmark
    assert "The aim is to put the medicine right where it hurts" in landmark
    assert "goes straight to the sore place" in html_text(make_selection(medications=("corticosteroid",)))


def test_single_product_sheets_name_only_their_own_product() -> None:
    hyaluronic = html_text(make_selection(medications=("hyaluronic-acid",)))
    prp = html_text(make_selection(medications=("prp",)))
    assert "PRP" not in hyaluronic and "platelet" not in hyaluronic.lower()
    assert "hyaluronic" not in prp.lower()


def test_a_both_hips_sheet_speaks_of_injections_in_both_hips() -> None:
    text = html_text(make_selection(side="bilateral"))
    assert "This sheet is about injections in BOTH hips: your LEFT hip and your RIGHT hip." in text
    assert "an injection in BOTH" not in text


def test_a_both_hips_diagnostic_sheet_asks_for_a_score_for_each_hip() -> None:
    """The numbing medicine goes into each hip: the sheet never says "one place", and the diary has a
    score column for the LEFT hip and one for the RIGHT hip."""
    selection = make_selection(side="bilateral", medications=("anesthetic",), intent="diagnostic")
    text = html_text(selection)
    assert "goes into one place" not in text and "goes into the same place in each hip" in text
    assert "Pain score (0 to 10) What I did" not in text
    assert "LEFT hip (0 to 10) RIGHT hip (0 to 10) What I did" in text
    assert "for each hip in each row" in text
    html = render_html(selection, load_catalog(), ClinicProfile(), GENERATED_AT).html
    assert html.count("<td></td>") == 3 * 3  # three rows: two scores and what was done
    es = html_text(spanish(selection))
    assert "un solo lugar" not in es and "al mismo lugar en cada cadera" in es
    assert "Cadera IZQUIERDA (de 0 a 10) Cadera DERECHA (de 0 a 10)" in es
    one_side = html_text(make_selection(side="left", medications=("anesthetic",), intent="diagnostic"))
    assert "goes into one place" in one_side and "Pain score (0 to 10) What I did" in one_side


def test_the_pain_diary_times_do_not_overlap() -> None:
    """ "A few hours after" and "4 to 6 hours after" could be the same moment, so a patient did not know
    which row to fill; the rows are now three distinct times, in both languages."""
    for language, rows in (
        ("en", ["Before the injection", "After the 20 to 30 minute rest", "A few hours after"]),
        ("es", ["Antes de la inyección", "Tras el descanso de 20 a 30 minutos", "Unas horas después"]),
    ):
        selection = make_selection(medications=("anesthetic",), intent="diagnostic")
        text = html_text(spanish(selection) if language == "es" else selection)
        assert " ".join(rows) in text, language
        assert "4 to 6 hours after" not in text and "De 4 a 6 horas después" not in text


def test_spanish_names_the_side_with_its_hip_so_the_gender_agrees() -> None:
    """ "el lado: IZQUIERDA" and "el lado: AMBAS" do not agree; the check step names the hip itself, and the hips
    in the plural for both (a fresh reader found "qué cadera se inyecta: AMBAS caderas")."""
    for side, phrase in (
        ("left", "qué cadera se inyecta: su cadera IZQUIERDA."),
        ("bilateral", "qué caderas se inyectan: AMBAS caderas (IZQUIERDA y DERECHA)."),
    ):
        text = html_text(spanish(make_selection(side=side)))
        assert phrase in text and "el lado:" not in text, side


def test_the_diabetes_advice_says_the_same_in_aftercare_and_when_to_call() -> None:
    text = html_text(make_selection(medications=("corticosteroid",), diabetes=True))
    assert "If it stays high, call us or the team that helps you with your diabetes." in text
    assert "Your blood sugar stays high." in text and "told you is safe" not in text


def test_the_aftercare_timeline_runs_forward_and_names_each_time_once() -> None:
    order = [
        "Today",
        "First 2 to 3 days",
        "From the next day",
        "Days 2 to 5",
        "After 10 days",
        "The next weeks",
        "Follow-up",
    ]
    catalog = load_catalog()
    titles = [item.title["en"] for item in catalog.items if item.section == "after"]
    seen = [t for i, t in enumerate(titles) if i == 0 or titles[i - 1] != t]
    assert seen == [t for t in order if t in seen], "a time comes back after a later one"
    assert len(seen) == len(set(seen))
    html = render_html(
        make_selection(medications=("anesthetic", "corticosteroid", "hyaluronic-acid", "prp")),
        catalog,
        ClinicProfile(),
        GENERATED_AT,
    ).html
    printed = re.findall(r'<tr class="new-time"><th scope="row">([^<]+)</th>', html)
    assert printed == [t for t in order if t in printed] and len(printed) == len(set(printed))


def test_no_figure_the_sources_do_not_give() -> None:
    text = html_text(make_selection(blood_thinners=True, guidance="fluoroscopy", contrast=True))
    for invented in (
        "15 minutes",
        "38 °C",
        "100.4",
        "longer than a day",
        "Most reactions",
        "warfarin",
        "apixaban",
        "clopidogrel",
        "aspirin",
    ):
        assert invented not in text, invented


def test_driving_is_forbidden_only_when_numbing_medicine_is_given() -> None:
    with_anesthetic = html_text(make_selection(medications=("anesthetic",)))
    without = html_text(make_selection(medications=("corticosteroid",)))
    assert "Do not drive today" in with_anesthetic and "Bring an adult to take you home" in with_anesthetic
    assert "Do not drive" not in without and "Ask us whether you may drive yourself home." in without


def test_spanish_calls_clopidogrel_and_aspirin_antiplatelets_not_anticoagulants() -> None:
    text = html_text(spanish(make_selection(blood_thinners=True)))
    for sentence in re.split(r"(?<=\.)\s", text):
        if "anticoagulante" in sentence:
            assert "antiagregante" in sentence, sentence


# --- 4. No silent purpose ---------------------------------------------------------------------


def test_anesthetic_with_another_medicine_has_no_default_purpose() -> None:
    selection = make_selection(medications=("anesthetic", "corticosteroid"), intent=None)
    with pytest.raises(SelectionError) as info:
        selection.check()
    assert info.value.field_name == "intent"
    for medications, purpose in ((("anesthetic",), "diagnostic"), (("corticosteroid",), "therapeutic")):
        assert make_selection(medications=medications, intent=None).effective_intent.value == purpose


def test_a_clinic_may_set_the_default_purpose() -> None:
    selection = make_selection(medications=("anesthetic", "corticosteroid"), intent=None)
    text = html_text(selection, ClinicProfile(default_intent="therapeutic"))
    assert "Purpose: to treat pain" in text and "Pain diary" not in text


def test_the_purpose_decides_the_diary_and_the_consent_risks() -> None:
    diagnostic = html_text(make_selection(intent="diagnostic"))
    therapeutic = html_text(make_selection(intent="therapeutic"))
    assert "Pain diary" in diagnostic and "An unclear test result" in diagnostic
    assert "Pain diary" not in therapeutic and "An unclear test result" not in therapeutic


# --- 5. The consent ---------------------------------------------------------------------------


def test_the_consent_names_who_injects_the_date_and_withdrawal_at_any_time() -> None:
    text = html_text(make_selection(clinician="Dr A. Osei", procedure_date=dt.date(2026, 11, 23)))
    consent = text.split("Consent Clinic")[1]
    assert "Who gives the injection Dr A. Osei" in consent
    # Whoever injects (a doctor, a nurse practitioner) is named without calling them a doctor.
    nurse = html_text(replace(make_selection(clinician="NP Kim Lee"), language="es"))
    assert "Quién pone la inyección NP Kim Lee" in nurse and "Médico que pone" not in nurse
    assert "Procedure date 23 Nov 2026" in consent
    # Consent may be withdrawn during the procedure too (the ledger's consent-withdraw); the sheet had said
    # "before the injection starts", which a fresh reader found narrower than the patient's right.
    assert "I can change my mind at any time, even during the injection." in consent
    assert "Puedo cambiar de idea en cualquier momento, incluso durante la inyección." in nurse
    assert "the risks listed on this sheet" in consent


def test_without_a_clinic_the_sheet_says_to_call_the_local_emergency_number() -> None:
    assert "call your local emergency number" in html_text(make_selection())
    assert (
        "llame a su número local de emergencias" in html_text(spanish(make_selection())).lower()
        or "emergencia" in html_text(spanish(make_selection())).lower()
    )


def _item(item_id: str) -> ContentItem:
    return next(i for i in load_catalog().items if i.id == item_id)


def test_the_consent_claims_no_more_than_the_sheet_shows() -> None:
    statement = _item("consent-explained").text["en"]
    assert "how likely" not in statement and "the risks listed on this sheet" in statement
    assert replace(_item("consent-withdraw")).text["en"].endswith("even during the injection.")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sheet_never_says_a_doctor_gives_the_injection(language: str) -> None:
    """A nurse or another clinician may give it (the consent names who does): "How is it done?" and the risks
    say "we", never "the doctor" (a nurse practitioner's patient read that the doctor puts in the medicine)."""
    doctor = re.compile(r"\bthe doctor\b" if language == "en" else r"\b(el|al) médico\b", re.IGNORECASE)
    steps = [item.text[language] for item in load_catalog().items if item.section in ("how", "risks")]
    assert steps and [text for text in steps if doctor.search(text)] == []


def test_the_consent_of_a_nurse_practitioner_s_patient_does_not_ask_a_doctor_to_sign() -> None:
    """A fresh reader found "Doctor who explained the procedure" and "staff who work with the doctor" on the consent
    of a patient whose injection a nurse practitioner gives."""
    text = html_text(make_selection(clinician="Nurse Practitioner Kim Lee"))
    consent = text.split("Consent Clinic", 1)[1]
    assert "Nurse Practitioner Kim Lee" in consent and "Clinician who explained the procedure" in consent
    assert "doctor" not in consent.lower()
    assert "Profesional que explicó el procedimiento" in html_text(spanish(make_selection()))


def test_a_landmark_sheet_never_says_imaging_protects_the_nerve() -> None:
    landmark = html_text(make_selection(target="trochanteric", medications=("corticosteroid",), guidance="landmark"))
    assert "Imaging helps us avoid this" not in landmark
    assert "No scanner is used, so we cannot see the needle." in landmark
    assert "Imaging helps us avoid this" in html_text(make_selection(guidance="ultrasound"))


@pytest.mark.parametrize(
    "target, figure", [("joint", True), ("trochanteric", False), ("iliopsoas", False), ("periarticular", False)]
)
def test_the_infection_figure_prints_only_for_the_hip_joint_it_was_given_for(target: str, figure: bool) -> None:
    text = html_text(make_selection(target=target, medications=("corticosteroid",)))
    assert text.count("1 in 15,000") == (1 if figure else 0)  # once, in the risk with its scale
    assert "Infection. Germs can get in where the needle goes." in text


def test_the_consent_for_both_hips_agrees_to_both_and_for_one_hip_to_the_side_named() -> None:
    """A fresh reader found the consent for both hips agreeing to "the side named above"."""
    base = make_selection("joint", ["corticosteroid"], "ultrasound")
    for language, both, one in (
        ("en", "I agree to have this procedure on BOTH hips, as named above.", "on the side named above"),
        (
            "es",
            "Acepto que me hagan este procedimiento en AMBAS caderas, como se dice arriba.",
            "en el lado que se nombra arriba",
        ),
    ):
        assert_wording_for_both_hips_and_for_one(base, language, [(both, one)])


def test_the_consent_names_the_sides_to_be_injected_for_both_hips_and_the_side_for_one() -> None:
    """The Spanish consent for both hips read "Cadera que se inyecta AMBAS" (one hip, then both)."""
    from handout_app.domain import Side

    base = make_selection("joint", ["corticosteroid"], "ultrasound")
    for language, both_label, one_label, one_side in (
        ("en", "Sides to be injected", "Side to be injected", "RIGHT"),
        ("es", "Caderas que se inyectan", "Cadera que se inyecta", "DERECHA"),
    ):
        bilateral = html_text(replace(base, side=Side.BILATERAL, language=language))
        single = html_text(replace(base, side=Side.RIGHT, language=language))
        assert f"{both_label} {'BOTH' if language == 'en' else 'AMBAS'}" in bilateral and one_label not in bilateral
        assert f"{one_label} {one_side}" in single and both_label not in single


def test_a_diagnostic_sheet_for_both_hips_points_to_the_numbed_place_not_the_whole_hip() -> None:
    """A fresh reader: relief while a bursa or a tendon is numb points to that place, not to "that hip"."""
    from handout_app.domain import Side

    base = make_selection("trochanteric", ["anesthetic"], "landmark", intent="diagnostic")
    for language, wording, old in (
        ("en", "while the place in that hip is numb, that place is likely part of the cause", "that hip is likely"),
        ("es", "mientras el lugar de esa cadera está dormido, es probable que ese lugar sea", "esa cadera sea parte"),
    ):
        text = html_text(replace(base, side=Side.BILATERAL, language=language))
        assert wording in text and old not in text


def test_the_steps_for_both_hips_never_speak_of_one_hip() -> None:
    """Two fresh readers: on a sheet for both hips the steps said "We mark the spot", "the skin over your hip" and
    "move your hip". The steps now read right for one hip and for two."""
    from handout_app.domain import Side

    base = make_selection("joint", ["anesthetic"], "landmark", side="bilateral")
    assert base.side is Side.BILATERAL
    for language, (start, end), singular in (
        ("en", ("How is it done?", "What are the possible benefits?"), ("your hip", "the spot by", "mark the spot")),
        ("es", ("¿Cómo se hace?", "¿Cuáles son los posibles beneficios?"), ("de la cadera", "mueve la cadera")),
    ):
        steps = html_text(replace(base, language=language)).split(start, 1)[1].split(end, 1)[0]
        assert all(phrase not in steps for phrase in singular), steps
        assert ("We mark your skin." in steps) == (language == "en") and ("Marcamos la piel." in steps) == (
            language == "es"
        )


def test_a_landmark_sheet_says_the_medicine_may_miss_the_spot() -> None:
    """Two fresh readers: without a scanner the medicine may miss, and a test sheet did not say so. Every landmark
    sheet says it, with the nerve it could harm (a test and a treatment alike); a sheet with imaging does not."""
    miss = {
        "en": "or the medicine may miss the spot and not work as it should.",
        "es": "o el medicamento podría no llegar al lugar y no dar resultado.",
    }
    for language, words in miss.items():
        test = html_text(replace(make_selection("periarticular", ["anesthetic"], "landmark"), language=language))
        treat = html_text(replace(make_selection("periarticular", ["corticosteroid"], "landmark"), language=language))
        imaging = html_text(replace(make_selection("periarticular", ["anesthetic"], "ultrasound"), language=language))
        assert words in test and words in treat and words not in imaging


def test_saying_no_to_an_injection_only_to_treat_leaves_no_cause_unfound() -> None:
    """A fresh reader: a sheet only to ease the pain said that saying no leaves the cause unclear."""
    for language, cause in (("en", "its cause may stay unclear"), ("es", "su causa puede seguir sin saberse")):
        treat = html_text(replace(make_selection("joint", ["hyaluronic-acid"], "ultrasound"), language=language))
        find = html_text(replace(make_selection("joint", ["anesthetic"], "ultrasound"), language=language))
        both = html_text(replace(make_selection(intent="both"), language=language))
        assert cause not in treat and cause in find and cause in both
        assert ("Your pain may stay the same, but your care goes on." in treat) == (language == "en")


def test_the_checklist_asks_to_tell_the_team_about_an_infection_not_to_call_before_coming() -> None:
    """The checklist is ticked with the nurse, often on the day: "I will call before I come" came too late then.
    It names the skin where the needle goes (both hips too), not "the skin on my hip"."""
    for language, wording in (
        ("en", "no cut, sore or rash where the needle goes. If I do, I will tell the team."),
        ("es", "ni cortes, llagas o ronchas donde entra la aguja. Si los tengo, se lo diré al equipo."),
    ):
        text = html_text(replace(make_selection("joint", ["corticosteroid"], "ultrasound"), language=language))
        assert wording in text


def test_the_key_points_promise_to_check_both_sides_on_a_sheet_for_both_hips() -> None:
    """A fresh reader: the Spanish key points for both hips said "revisamos el lado" (one side); English the same."""
    base = make_selection("trochanteric", ["corticosteroid"], "ultrasound")
    for language, both, one in (
        ("en", "We check the sides with you again before we start.", "We check the side with you again"),
        ("es", "revisamos los lados con usted otra vez.", "revisamos el lado con usted"),
    ):
        assert_wording_for_both_hips_and_for_one(base, language, [(both, one)])


def test_the_soreness_risk_promises_no_improvement_a_test_sheet_cannot_give() -> None:
    """A fresh reader: "before it gets better" on a numbing-only test sheet, whose pain comes back as the numbing
    wears off. The risk says how long the extra soreness may last, and when to call, nothing more."""
    for language, wording, promise in (
        ("en", "The area may hurt more for a day or two. Call us if it keeps getting worse", "before it gets better"),
        ("es", "La zona puede doler más por un día o dos. Llámenos si sigue empeorando", "antes de mejorar"),
    ):
        for intent in ("diagnostic", "therapeutic"):
            medicines = ["anesthetic"] if intent == "diagnostic" else ["hyaluronic-acid"]
            selection = make_selection("joint", medicines, "ultrasound", intent=intent)
            text = html_text(replace(selection, language=language))
            assert wording in text and promise not in text


def test_a_sheet_for_both_hips_asks_for_a_pain_score_for_each_hip() -> None:
    """A fresh reader: the test needs a score for each hip, but the checklist and the last step asked for one."""
    base = make_selection("iliopsoas", ["anesthetic"], "ultrasound", intent="diagnostic")
    for language, pairs in (
        (
            "en",
            [
                ("my usual pain score today for each hip,", "my usual pain score today, from"),
                ("tell us a pain score for each hip,", "tell us your pain score from"),
                ("the sides: BOTH", "the side: LEFT"),
            ],
        ),
        (
            "es",
            [
                ("Sé cuánto me duele hoy cada cadera,", "Sé cuánto me duele hoy, de"),
                ("nos dice el dolor de cada cadera,", "nos dice su dolor de 0"),
                ("qué caderas se inyectan:", "qué cadera se inyecta:"),
            ],
        ),
    ):
        assert_wording_for_both_hips_and_for_one(base, language, pairs)


def test_a_test_sheet_says_relief_from_the_numbing_medicine_is_short() -> None:
    """A fresh reader: a numbing-only test sheet never said the usual pain comes back when the numbing wears off
    (source 003: relief from a diagnostic anesthetic injection is generally short-lived). Only a test says it."""
    for language, wording in (
        ("en", "Any relief it gives is usually short: your usual pain then comes back."),
        ("es", "El alivio que da no suele durar: luego vuelve su dolor de siempre."),
    ):
        test = html_text(replace(make_selection("joint", ["anesthetic"], "ultrasound"), language=language))
        both = html_text(replace(make_selection("joint", ["anesthetic", "corticosteroid"]), language=language))
        treat = html_text(
            replace(make_selection("joint", ["anesthetic"], "ultrasound", intent="therapeutic"), language=language)
        )
        assert test.count(wording) == 1 and wording not in both and wording not in treat
        assert ("the numbness wears off after a few hours." in treat) == (language == "en")


def test_the_spanish_return_to_activity_allows_as_the_english_does() -> None:
    """A fresh reader: the Spanish said "Vuelva a sus actividades" (an order) where the English says "You may go
    back to your usual activities"."""
    selection = make_selection("joint", ["corticosteroid"], "ultrasound")
    assert "You may go back to your usual activities, but avoid hard work" in html_text(selection)
    spanish_text = html_text(spanish(selection))
    assert "Puede volver a sus actividades, pero evite el trabajo duro" in spanish_text
    assert "Vuelva a sus actividades" not in spanish_text


def test_sheets_for_both_hips_say_both_legs_may_be_numb_and_one_side_says_your_leg() -> None:
    base = make_selection("joint", ["anesthetic", "corticosteroid"], "ultrasound", intent="both")
    for language, both, one in (
        ("en", "both legs numb", "your leg numb"),
        ("es", "ambas piernas dormidas", "dejar la pierna dormida"),
    ):
        assert_wording_for_both_hips_and_for_one(base, language, [(both, one)])


@pytest.mark.parametrize("target", ["trochanteric", "iliopsoas", "periarticular"])
def test_a_tendon_area_sheet_never_offers_a_tendon_injection_as_the_other_choice(target: str) -> None:
    text = html_text(make_selection(target=target, medications=("corticosteroid",)))
    assert "such as a tendon" not in text and "such as the hip joint or your back" in text
    joint = html_text(make_selection(target="joint", medications=("corticosteroid",)))
    assert "such as a tendon or your back" in joint


def test_the_diagnostic_sheet_says_what_it_means_when_the_pain_does_not_ease() -> None:
    """Said once, where the test is explained (no separate question repeating it), with no reassurance."""
    for language, answer in (
        ("en", "If it does not ease, the pain may come from another place, or from more than one."),
        ("es", "Si no se calma, el dolor puede venir de otro lugar, o de más de uno."),
    ):
        text = html_text(replace(make_selection(medications=("anesthetic",)), language=language))
        assert text.count(answer) == 1 and "is my hip fine" not in text and "está bien mi cadera" not in text
        assert "does not ease my pain?" not in text and "no me quita el dolor?" not in text


@pytest.mark.parametrize(
    ("side", "language", "heading"),
    [
        ("left", "en", "Your LEFT hip"),
        ("right", "en", "Your RIGHT hip"),
        ("left", "es", "Su cadera IZQUIERDA"),
    ],
)
def test_the_page_one_side_heading_starts_with_a_capital(side: str, language: str, heading: str) -> None:
    html = render_html(
        replace(make_selection(side=side), language=language),
        load_catalog(),
        ClinicProfile(),
        dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC),
    ).html
    assert f'<p class="banner-side">{heading}</p>' in html


def test_a_steroid_sheet_asks_about_diabetes_when_the_form_does_not_say_so() -> None:
    """A patient whose diabetes was not ticked still reads the blood-sugar risk and ticks a line that
    makes them tell the team; with diabetes ticked, the sheet speaks to them directly instead."""
    unticked = html_text(make_selection(medications=("corticosteroid",)))
    assert "If you have diabetes, a steroid can raise your blood sugar for a short time." in unticked
    assert "I have told the team if I have diabetes." in unticked
    ticked = html_text(make_selection(medications=("corticosteroid",), diabetes=True))
    assert "You have diabetes. A steroid can raise your blood sugar" in ticked
    assert "If you have diabetes" not in ticked and "I have told the team if I have diabetes." not in ticked
    no_steroid = html_text(make_selection(medications=("hyaluronic-acid",)))
    assert "diabetes" not in no_steroid


def test_the_ten_day_rule_speaks_of_the_steroid_not_of_a_slower_medicine_beside_it() -> None:
    """Hyaluronic acid works more slowly: "no relief by day 10" says nothing about it."""
    text = html_text(make_selection(medications=("anesthetic", "corticosteroid", "hyaluronic-acid")))
    assert "No relief at all by now means the steroid is unlikely to help." in text
    assert "means the injection is unlikely" not in text
    assert "es poco probable que el corticoide ayude" in html_text(
        spanish(make_selection(medications=("corticosteroid",)))
    )


def test_spanish_speaks_to_a_woman_or_a_man_alike_and_in_us_and_mexican_terms() -> None:
    """The patient may be pregnant: no masculine forms aimed at the reader; words a US or Mexican
    reader uses; a steroid flare that does not read as an allergy."""
    text = html_text(
        spanish(
            make_selection(
                medications=("anesthetic", "corticosteroid"),
                guidance="fluoroscopy",
                contrast=True,
                diabetes=True,
                blood_thinners=True,
                may_be_pregnant=True,
            )
        )
    )
    for masculine in ("que lo lleve", "lo lleva a casa", "lo vigilamos", "esté acompañado"):
        assert masculine not in text, masculine
    for old, new in (
        ("ecograf", "ultrasonido"),
        ("fisioterapia", "terapia física"),
        ("artrosis", "osteoartritis"),
        ("pausar", "suspender"),
        ("Reacción al corticoide", "Más dolor por el corticoide"),
        ("Puedo estar embarazada", "Es posible que esté embarazada"),
        ("con cuidado", "más seguido"),
        ("partes de la inyección", "pueden hacer algunos pasos. Están preparadas"),
    ):
        assert old not in text and new in text, (old, new)


def test_a_landmark_sheet_offers_an_image_guided_injection_as_the_other_option() -> None:
    """The sources say hip injections are almost always image-guided; a sheet for one without
    imaging must name that option among the alternatives the patient consents after."""
    landmark = html_text(make_selection(guidance="landmark"))
    alternatives = landmark.split("What else could you do?")[1].split("What are the risks?")[0]
    assert (
        "An injection guided by imaging." in alternatives
        and "Ultrasound or X-ray can show the needle going in" in alternatives
    )
    assert "Una inyección guiada por imagen." in html_text(spanish(make_selection(guidance="landmark")))
    assert "An injection guided by imaging" not in html_text(make_selection(guidance="ultrasound"))


# --- Said once: what one section says, the next does not repeat (one concise sheet) ------------


def test_allergies_to_iodine_and_to_skin_cleaner_share_one_checklist_line() -> None:
    """Two lines that each promised "a different cleaner" read as two plans; both allergies take one line."""
    both = make_selection(guidance="landmark", allergies=("iodine", "chlorhexidine"))
    text = html_text(both)
    assert "I am allergic to iodine and to skin cleaner. A different cleaner can be used." in text
    assert "my allergy to skin cleaner" not in text and "my allergy to iodine" not in text
    assert "mis alergias al yodo y al limpiador de la piel" in html_text(spanish(both))
    alone = html_text(make_selection(guidance="landmark", allergies=("chlorhexidine",)))
    assert "my allergy to skin cleaner, so a different one can be used." in alone and "iodine" not in alone


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_piece_of_advice_is_given_once(language: str) -> None:
    """Ice belongs to the aftercare, the reaction watch to "How is it done?", the blood-thinner plan to the
    checklist, changing one's mind to the consent, and ultrasound as the other guidance to the options:
    the risks and the other options no longer repeat them."""
    selection = replace(
        make_selection(
            medications=("corticosteroid",), guidance="fluoroscopy", blood_thinners=True, may_be_pregnant=True
        ),
        language=language,
    )
    text = html_text(selection).lower()
    # How often each phrase may appear: the aftercare's ice row; the watch in "How is it done?" only (the
    # English step says "we check you"); the plan in "How is it done?" (and "Plan to be with us") and the
    # checklist; changing one's mind in the consent; ultrasound in the option "Ultrasound instead of X-ray", and
    # once more in the X-ray risk of a patient who may be pregnant (what may follow for her, source 003).
    expected = {
        "en": {"ice": 1, "watch": 0, "plan": 3, "change my mind": 1, "change your mind": 0, "ultrasound": 3},
        "es": {"hielo": 1, "vigilamos": 1, "plan": 2, "cambiar de idea": 1, "sin radiación": 1, "ultrasonido": 3},
    }[language]
    counts = {phrase: len(re.findall(rf"\b{re.escape(phrase)}\b", text)) for phrase in expected}
    assert counts == expected


def test_the_why_paragraph_leaves_the_aim_to_the_key_points_and_only_the_steroid_claims_to_calm_swelling() -> None:
    """ "Ease pain and swelling" was said three times on a hyaluronic acid sheet, and no source says hyaluronic
    acid or PRP calms swelling (a fresh reader): the aim is to ease pain, said in the key points and the
    benefits; the "Why" paragraph says what the injection cannot do; only the steroid's line speaks of swelling."""
    for medicine in ("hyaluronic-acid", "prp"):
        text = html_text(make_selection(medications=(medicine,)))
        assert "swelling" not in text.replace("swollen", "").replace("throat swell", ""), medicine
        assert text.count("The goal is to ease pain.") == 1 and text.count("It may ease pain for a time") == 1
        assert "The injection does not cure the problem or repair worn or torn tissue." in text
    assert "A strong medicine like cortisone that calms swelling." in html_text(
        make_selection(medications=("corticosteroid",))
    )


def test_a_patient_allergic_to_numbing_medicine_is_not_told_the_skin_may_be_numbed() -> None:
    """A fresh reader found "We may numb the skin first" on the sheet of a patient listed as allergic to it."""
    allergic = html_text(make_selection(medications=("hyaluronic-acid",), allergies=("lidocaine",)))
    assert "numb the skin" not in allergic
    assert "You lie on a table, and we clean your skin." in allergic
    assert "adormecer la piel" not in html_text(
        spanish(make_selection(medications=("hyaluronic-acid",), allergies=("lidocaine",)))
    )
    assert "We may numb the skin first" in html_text(make_selection(medications=("hyaluronic-acid",)))


def test_a_contrast_sheet_does_not_suggest_leaving_out_the_dye_it_describes() -> None:
    """The steps say contrast dye shows the needle's place; the allergy line must not offer "not using the dye"
    beside them. The plan is the doctor's, talked through before consent."""
    text = html_text(make_selection(guidance="fluoroscopy", contrast=True, allergies=("contrast dye",)))
    assert "A few drops of contrast dye" in text
    assert "I am allergic to contrast dye or iodine. The doctor and I made a plan." in text
    assert "not using the dye" not in text


@pytest.mark.parametrize("target", ["trochanteric", "iliopsoas", "periarticular"])
def test_only_a_joint_sheet_gives_arthritis_as_the_example_for_surgery(target: str) -> None:
    """The source's examples for surgery are problems of the joint; a fresh reader found "severe arthritis" on a
    bursa sheet."""
    around = html_text(make_selection(target=target, medications=("corticosteroid",)))
    assert "Surgery. It helps some hip problems." in around and "severe arthritis" not in around
    assert "such as severe arthritis" in html_text(make_selection(target="joint", medications=("corticosteroid",)))
