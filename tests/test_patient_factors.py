"""Patient factors change what the handout says, and only when they apply."""

from __future__ import annotations

from dataclasses import replace

from .helpers import handout_text, make_selection, pdf_bytes, pdf_text

STEROID = ("anesthetic", "corticosteroid")


def test_diabetes_with_steroid_adds_blood_sugar_advice() -> None:
    text = handout_text(medications=STEROID, diabetes=True)
    assert "Higher blood sugar" in text
    assert "Check your blood sugar closely" in text
    assert "Your blood sugar stays high." in text  # when to call


def test_diabetes_without_steroid_adds_no_blood_sugar_warning() -> None:
    text = handout_text(medications=("anesthetic", "hyaluronic-acid"), diabetes=True)
    assert "blood sugar" not in text.lower()


def test_blood_thinners_change_the_bleeding_risk_and_checklist() -> None:
    without = handout_text()
    text = handout_text(blood_thinners=True)
    assert "More bleeding with a blood thinner" in text and "More bleeding with a blood thinner" not in without
    assert "I did not stop it on my own" in text and "I did not stop it on my own" not in without
    assert (
        "I have told the team if I take a blood thinner" in without
        and "I have told the team if I take a blood thinner" not in text
    )
    assert "restart it when your doctor said to" in text and "restart it when your doctor said to" not in without
    # A fresh reader found nothing under "When to call us" for bleeding that goes on, which the raised bleeding
    # risk makes the line to look for: it is there, between the call list's heading and the emergency line.
    bleeding = "The spot keeps bleeding, or a bruise keeps getting bigger."
    assert bleeding not in without
    assert text.index("Call the clinic if:") < text.index(bleeding) < text.index("Get emergency help at once")
    spanish = pdf_text(pdf_bytes(replace(make_selection(blood_thinners=True), language="es")))
    assert "El lugar de la inyección sigue sangrando, o un moretón se hace cada vez más grande." in spanish


def test_pregnancy_with_fluoroscopy_explains_xray_and_other_guidance() -> None:
    text = handout_text(guidance="fluoroscopy", may_be_pregnant=True)
    # The checklist states the possible pregnancy (not just "if I am"). The X-ray risk says why it matters and what
    # may follow, for this patient: two fresh readers found the sheet asked her to "tell us" and stopped there
    # (source 003 avoids or defers the injection where radiation is a concern, or guides it by ultrasound).
    # Without the factor, the risk asks to be told first; the other options name ultrasound once either way.
    assert "I may be pregnant, and I have told the doctor" in text
    assert "I have told the team if I am or could be pregnant" not in text
    assert "As you may be pregnant, we may delay the injection or use ultrasound." in text
    assert "tell us first" not in text
    spanish = pdf_text(pdf_bytes(replace(make_selection(guidance="fluoroscopy", may_be_pregnant=True), language="es")))
    assert "Como podría estar embarazada, podemos aplazar la inyección o usar ultrasonido." in spanish
    assert text.count("Ultrasound can guide the needle without radiation") == 1
    without = handout_text(guidance="fluoroscopy")
    assert "If you are or could be pregnant, tell us first: we may delay the injection." in without
    assert "As you may be pregnant" not in without


def test_pregnancy_without_fluoroscopy_keeps_a_checklist_line_but_no_xray_warning() -> None:
    text = handout_text(guidance="ultrasound", may_be_pregnant=True)
    assert "I may be pregnant, and I have told the doctor" in text
    assert "radiation" not in text.lower()


def test_allergies_are_printed_and_change_the_checklist() -> None:
    text = handout_text(
        guidance="fluoroscopy", contrast=True, allergies=("iodine", "lidocaine", "chlorhexidine", "Penicillin")
    )
    assert "Allergies iodine; local anesthetic (numbing medicine); antiseptic (skin cleaner); Penicillin" in text
    assert "I am allergic to contrast dye or iodine." in text
    assert "I am allergic to numbing medicine" in text
    assert "I am allergic to iodine and to skin cleaner. A different cleaner can be used" in text


def test_no_allergies_says_none_reported() -> None:
    assert "Allergies None reported" in handout_text()
