"""Every choice the user makes, declared once: the registry.

Each member below is one entry: its value (also its command-line spelling and its key in labels.toml),
its one-line description for `handout-app options`, its wording on the form, and what else the one kind
needs (the place of a medicine in the procedure's name, the words a nurse may type for an allergy, a
language's number and list conventions). The order of the members is the order of the form and the CLI.

Everything else reads it: the form builds its controls from it, the CLI its options and help, naming its
phrases, the catalog its condition vocabulary and its label checks (`KINDS` says which labels.toml tables
each kind's members need, in every language), the day list its columns, the tests their counts. So adding
a medicine, a patient factor or a language is one member here plus its wording in the content files; a
forgotten label is a load error naming the file, line and key (content/labels.py, check_labels).

Modelled on MusicBrainz Picard's `picard/options.py`: each option declared once, read everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Self


@dataclass(frozen=True)
class Spec:
    """One registry entry. Only `value` and `description` are needed by every kind; the rest are read by
    the kinds that name them (see each kind's docstring)."""

    value: str  # the stored value, the command-line spelling, the key of its labels in labels.toml
    description: str  # the one-line description `handout-app options` prints (English)
    form: str = ""  # the form's wording ("&" marks the keyboard shortcut); "" for no control of its own
    help: str = ""  # the CLI option's help, for kinds that are flags of their own (patient factors)
    named: int = 0  # medicines: the place in the procedure's name (main medicine first, numbing last)
    words: tuple[str, ...] = ()  # allergies: other words a nurse may type for it
    free_text: bool = False  # allergies: typed text, printed as typed (no label of its own)
    hyphenation: str = ""  # languages: the pyphen dictionary the readability check counts syllables with
    list_locale: str = ""  # languages: the Babel locale for 'a, b and c' when not the language's own
    group_symbol: str = ""  # languages: the thousands separator when not CLDR's
    placeholder: str = ""  # languages: the words a template expression reads as in readability checks
    page_mm: tuple[float, float] | None = None  # papers: width and height in millimetres, portrait
    page_css: str = ""  # papers: the page's size as CSS names it (exactly page_mm; pdf.paper_css sets it)


class Choice(str, Enum):  # noqa: UP042 (its own __new__ and __str__ do what StrEnum would)
    """A registry kind: an enum whose members are declared with a `Spec` and whose value is the
    command-line spelling."""

    _value_: str
    spec: Spec
    description: str

    if TYPE_CHECKING:
        # What a caller does: Target("joint") looks a member up by its value.
        def __new__(cls, value: str) -> Self: ...
    else:
        # What declaring a member does: JOINT = Spec("joint", ...).
        def __new__(cls, spec: Spec) -> Choice:
            member = str.__new__(cls, spec.value)
            member._value_ = spec.value
            member.spec = spec
            member.description = spec.description
            return member

    def __str__(self) -> str:
        return self._value_  # what .value gives; typed, where .value is Any for an enum with its own __new__

    @property
    def form(self) -> str:
        """The wording of its control on the form."""
        return self.spec.form

    @property
    def attribute(self) -> str:
        """Its name as a Python identifier, an option's `dest` and a day-list column: 'blood_thinners'."""
        return self._value_.replace("-", "_")


class Target(Choice):
    """Where the injection goes."""

    JOINT = Spec("joint", "inside the hip joint (intra-articular)", form="Hip joint (inside the joint)")
    TROCHANTERIC = Spec(
        "trochanteric",
        "greater trochanteric bursa region, the outer side of the hip",
        form="Trochanteric bursa (outer hip)",
    )
    ILIOPSOAS = Spec("iliopsoas", "iliopsoas bursa or tendon, the front of the hip", form="Iliopsoas (front of hip)")
    PERIARTICULAR = Spec(
        "periarticular",
        "other soft tissue around the hip (tendon or muscle area)",
        form="Other soft tissue around the hip",
    )


class Medication(Choice):
    """A medicine in the injection; `named` orders them in the procedure's name."""

    ANESTHETIC = Spec("anesthetic", "local anesthetic (numbing medicine)", form="Local anesthetic", named=4)
    CORTICOSTEROID = Spec(
        "corticosteroid", "corticosteroid (anti-inflammatory, 'cortisone')", form="Corticosteroid", named=1
    )
    HYALURONIC_ACID = Spec(
        "hyaluronic-acid", "hyaluronic acid (joint lubricant, viscosupplement)", form="Hyaluronic acid", named=2
    )
    PRP = Spec(
        "prp", "platelet-rich plasma made from the patient's own blood", form="Platelet-rich plasma (PRP)", named=3
    )


class Guidance(Choice):
    """How the needle is guided."""

    ULTRASOUND = Spec("ultrasound", "ultrasound guidance (sound waves, no radiation)", form="Ultrasound")
    FLUOROSCOPY = Spec(
        "fluoroscopy",
        "fluoroscopy guidance (live X-ray); add --contrast for contrast dye",
        form="Fluoroscopy (X-ray)",
    )
    LANDMARK = Spec(
        "landmark", "landmark guidance, by touch and anatomy, without imaging", form="Landmark (no imaging)"
    )


class Intent(Choice):
    """The purpose of the injection."""

    DIAGNOSTIC = Spec("diagnostic", "to find out whether the target is the source of the pain", form="Diagnostic")
    THERAPEUTIC = Spec("therapeutic", "to treat pain", form="Therapeutic")
    BOTH = Spec("both", "to find the source of the pain and to treat it", form="Diagnostic and therapeutic")


class Side(Choice):
    """Which hip."""

    LEFT = Spec("left", "the left hip", form="&Left")
    RIGHT = Spec("right", "the right hip", form="&Right")
    BILATERAL = Spec("bilateral", "both hips", form="&Both")


class Factor(Choice):
    """A fact about the patient that changes the sheet: a tick box on the form, a `--flag` on the command
    line, a yes/no day-list column (its `attribute`), and a `factor` condition in the content."""

    DIABETES = Spec("diabetes", "the patient has diabetes", form="Diabetes", help="the patient has diabetes")
    BLOOD_THINNERS = Spec(
        "blood-thinners",
        "takes blood thinners or bleeds easily",
        form="Blood thinners or bleeding risk",
        help="the patient takes blood thinners or bleeds easily",
    )
    MAY_BE_PREGNANT = Spec(
        "may-be-pregnant",
        "is or may be pregnant",
        form="May be pregnant",
        help="the patient is or may be pregnant",
    )

    @classmethod
    def from_attribute(cls, name: str) -> Factor:
        """The factor whose `attribute` is `name` ('blood_thinners'); KeyError when none is."""
        for factor in cls:
            if factor.attribute == name:
                return factor
        raise KeyError(name)


class AllergyKind(Choice):
    """A kind of allergy: a tick box, and the words typed text is recognised by."""

    LOCAL_ANESTHETIC = Spec(
        "local-anesthetic",
        "allergy to local anesthetic (numbing medicine)",
        form="Allergy: local anesthetic",
        words=("local anesthetic", "anesthetic", "anaesthetic", "local anaesthetic", "lidocaine"),
    )
    CONTRAST = Spec(
        "contrast", "allergy to contrast dye", form="Allergy: contrast dye", words=("contrast dye", "contrast-dye")
    )
    # An "iodine allergy" may be to the contrast dye or to iodine skin cleaners (povidone-iodine):
    # the sheet covers both paths rather than guessing one.
    IODINE = Spec(
        "iodine",
        "allergy to iodine (in contrast dye and in some skin cleaners)",
        form="Allergy: iodine (dye or skin cleaner)",
        words=("povidone-iodine", "povidone iodine"),
    )
    ANTISEPTIC = Spec(
        "antiseptic",
        "allergy to skin cleaning liquid (antiseptic)",
        form="Allergy: antiseptic (skin cleaner)",
        words=("chlorhexidine",),
    )
    OTHER = Spec("other", "any other allergy, given as free text", free_text=True)


class Paper(Choice):
    """The paper size."""

    A4 = Spec("a4", "A4 paper (210 x 297 mm)", form="A4", page_mm=(210.0, 297.0), page_css="A4")
    LETTER = Spec(
        "letter", "US Letter paper (8.5 x 11 in)", form="US Letter", page_mm=(215.9, 279.4), page_css="letter"
    )


class OutputFormat(Choice):
    """What `render` writes."""

    PDF = Spec("pdf", "a printable PDF file")
    HTML = Spec("html", "the HTML the PDF is made from (for checking wording)")


class Language(Choice):
    """A handout language; its value is also its Babel locale and its table in labels.toml. The first is
    the default and the language of the window."""

    EN = Spec("en", "English", form="English", hyphenation="en_US", list_locale="en_GB", placeholder="your hip")
    ES = Spec(
        "es", "Spanish", form="Español (Spanish)", hyphenation="es", group_symbol="\u00a0", placeholder="su cadera"
    )


LANGUAGES: tuple[str, ...] = tuple(language.value for language in Language)


@dataclass(frozen=True)
class Kind:
    """A kind of choice and the labels.toml tables (in every language) that must hold a label under each
    member's value; members with free text have none."""

    choice: type[Choice]
    label_tables: tuple[str, ...] = ()


KINDS: tuple[Kind, ...] = (
    Kind(Target, ("targets", "diagram_places")),
    Kind(Medication, ("medications",)),
    Kind(Guidance, ("guidance",)),
    Kind(Intent, ("intents",)),
    Kind(Side, ("sides", "side_phrases", "injection_phrases", "procedure_sides")),
    Kind(Factor),
    Kind(AllergyKind, ("allergy_names",)),
    Kind(Paper),
    Kind(Language),
)


def values(choice: type[Choice]) -> tuple[str, ...]:
    """The members' values in registry order: a CLI option's choices, a condition's vocabulary."""
    return tuple(member.value for member in choice)


def required_labels() -> list[tuple[str, str]]:
    """Every (table, key) labels.toml must hold in every language because a registry entry needs it."""
    return [
        (table, member.value)
        for kind in KINDS
        for table in kind.label_tables
        for member in kind.choice
        if not member.spec.free_text
    ]
