"""Dates, lists and counts as the sheets and the window print them in each handout language, from
Babel's CLDR data, with the few forms the sheets keep on purpose written out here.

The language codes are the handout languages (choices.Language), which are also Babel locale names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

import babel.dates
import babel.lists
import babel.numbers
from babel import Locale

from .choices import Language

# '2 Apr 1956' / '2 abr 1956': day, short month name, year, in every language. The one form that cannot
# be read in two orders (02/04 is 2 April or 4 February), so not CLDR's English medium form 'Apr 2, 1956'.
DATE_PATTERN = "d MMM y"

# Where a language's conventions differ from CLDR's, the registry says so (choices.Language):
# - the sheets name three medicines as 'a, b and c', without the serial comma CLDR's US English adds
#   ('a, b, and c'); British English has the same rule as the sheets, so English lists use its data;
# - Spanish groups thousands with a no-break space (15 000), not CLDR's full stop: "15.000" reads as
#   fifteen to many US and Mexican readers, and the no-break space keeps the figure on one line.
_LIST_LOCALES = {language.value: language.spec.list_locale for language in Language if language.spec.list_locale}
_GROUP_SYMBOLS = {language.value: language.spec.group_symbol for language in Language if language.spec.group_symbol}


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def format_date(value: dt.date | None, language: str = "en") -> str:
    """`value` as '2 Apr 1956' (English, the window's language) or '2 abr 1956' (Spanish); '' for no date."""
    if value is None:
        return ""
    return babel.dates.format_date(value, DATE_PATTERN, locale=_locale(language))


def format_list(words: Sequence[str], language: str) -> str:
    """'a', 'a and b', 'a, b and c' ('a, b y c' in Spanish); '' for no words."""
    return babel.lists.format_list(list(words), locale=_locale(_LIST_LOCALES.get(language, language)))


def format_count(number: int, language: str) -> str:
    """A whole number grouped by thousands as the language prints it: 15,000 in English, 15 000 (with a
    no-break space) in Spanish."""
    locale = _locale(language)
    text = babel.numbers.format_decimal(number, locale=locale)
    symbol = _GROUP_SYMBOLS.get(language)
    return text.replace(babel.numbers.get_group_symbol(locale), symbol) if symbol else text
