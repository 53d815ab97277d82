"""Document numbers: the short code printed in the footer of every page and kept in the record store.

A number is nine characters shown in three groups ("K7M-XH3-QTH"). The alphabet keeps at most one
character of each group that reads alike on paper or over the phone (0/O/Q, 1/I/L, 2/Z, 5/S, 8/B, U/V, 6/G),
and the last character is a check character, so a number typed with one wrong character or two
swapped neighbours is refused instead of finding some other patient's sheet.

Numbers are drawn at random when a sheet is made; the record store refuses a number already used
for another sheet (records/store.py), so two workstations never share one.
"""

from __future__ import annotations

import secrets

ALPHABET = "34679ACDEFHJKMNPQRTVWXY"  # 23 characters (a prime number of them, for the check)
RANDOM_LENGTH = 8
GROUP = 3


def _check_character(body: str) -> str:
    # Weights 1..8 are non-zero modulo 23 (the alphabet's prime size) and differ from their neighbours,
    # so one wrong character or two swapped neighbours always changes the check character.
    total = sum((position + 1) * ALPHABET.index(char) for position, char in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def _grouped(code: str) -> str:
    return "-".join(code[start : start + GROUP] for start in range(0, len(code), GROUP))


def new_number() -> str:
    """A fresh random document number, grouped for reading ("K7M-XH3-QTH")."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return _grouped(body + _check_character(body))


def normalize(typed: str) -> str | None:
    """The number as stored, from what someone typed (any case, spaces or dashes anywhere); None when
    it is not a document number (a character outside the alphabet, the wrong length or a failed check)."""
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != RANDOM_LENGTH + 1 or any(char not in ALPHABET for char in code):
        return None
    body, check = code[:-1], code[-1]
    return _grouped(code) if _check_character(body) == check else None


EXAMPLE_NUMBER = "K7M-XH3-QTH"  # a valid number, for help texts and for check-templates' test sheets
NUMBER_HELP = (
    f"A document number has {RANDOM_LENGTH + 1} characters, printed at the foot of every page "
    f"of the handout, for example {EXAMPLE_NUMBER}."
)
