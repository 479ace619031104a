"""Numbers with their unit or currency, comparable across the ways they are written.

A number written with a unit or currency says what it measures: "$1,500" is a cost, "1,500
pounds" a weight (or a sum in sterling), "12 years old" an age. quantities() finds them in a
text as (value, unit) pairs, so that equivalent forms compare equal: "$1.5 billion" =
"1.5 billion dollars" = "US$1,500,000,000"; "40%" = "40 percent"; "€3 million" = "three million
euros"; "aged 12" = "a 12-year-old". The units are few and generic: currencies, percent,
measurement units, and age. Spelled-out numbers ("two hundred and thirty") are read here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

SMALL = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * n for n, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9,
          "trillion": 10**12}
NUMBER_WORD = "|".join([*SMALL, *TENS, *SCALES, "dozen"])
SPELLED = re.compile(rf"\b(?:{NUMBER_WORD})(?:(?:\s+and\s+|[\s-]+)(?:{NUMBER_WORD}))*\b")

# canonical unit: how it is written after a number (a currency's sign goes before it)
_UNIT_WORDS = {
    "$": r"(?:U\.?S\.?\s+)?dollars?|USD",
    "€": r"euros?|EUR",
    "£": r"pounds?(?:\s+sterling)?|GBP|lbs?",  # sterling or weight: the words do not say
    "¥": r"yen|yuan|renminbi",
    "rouble": r"r[ou]ubles?|rubles?",
    "rupee": r"rupees?",
    "franc": r"francs?",
    "%": r"%|percent|per\s?cent|percentage\s+points?",
    "years old": r"years?[\s-]+old|years?\s+of\s+age",
    "mile": r"(?:square\s+)?miles?",
    "km": r"(?:square\s+)?(?:kilometers?|kilometres?|km)",
    "metre": r"meters?|metres?",
    "foot": r"feet|foot|ft",
    "ton": r"tons?|tonnes?",
    "kg": r"kilograms?|kilos?|kg",
    "gallon": r"gallons?",
    "barrel": r"barrels?",
    "acre": r"acres?",
    "hectare": r"hectares?",
    "MW": r"megawatts?|MW",
    "GW": r"gigawatts?|GW",
}
_UNIT_OF = [(unit, re.compile(rf"(?:{words})$", re.IGNORECASE))
            for unit, words in _UNIT_WORDS.items()]
_SIGN_OF = {"$": "$", "€": "€", "£": "£", "¥": "¥", "usd": "$", "eur": "€", "gbp": "£"}
_SCALE_OF = {**{w: v for w, v in SCALES.items() if v >= 1000},
             "k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9, "tn": 10**12}
_DIGITS = r"\d+(?:[.,]\d+)*"
_NUM = rf"{_DIGITS}|{SPELLED.pattern}"
_SCALE = r"thousand|million|billion|trillion"
_QUANTITY = re.compile(
    rf"(?P<sign>(?:(?:US|U\.S\.|C|A|NZ|HK)\s?)?[$€£¥]|\b(?:USD|EUR|GBP)\b)\s?(?P<signed>{_DIGITS})"
    rf"(?:\s?(?P<abbr>{_SCALE}|bn|mn|tn|m|k)\b)?"
    rf"|\b(?P<age>aged?(?:\s+of)?|turn(?:s|ed|ing)?)\s+(?P<aged>{_DIGITS}|{SPELLED.pattern})"
    rf"|(?<![\w.,])(?P<number>{_NUM})(?:\s+(?P<scale>{_SCALE})\b)?[\s-]*"
    rf"(?P<unit>{'|'.join(_UNIT_WORDS.values())})(?!\w)",
    re.IGNORECASE)
_BARE = re.compile(rf"(?<![\w.,])(?P<number>{_NUM})(?:\s+(?P<scale>{_SCALE})\b)?",
                   re.IGNORECASE)
_RANGE = re.compile(r"\s*(?:to|and|or|-|–)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    """A number with its unit or currency, as a text writes it."""

    value: Decimal
    unit: str  # canonical: "$", "%", "years old", "km" (see _UNIT_WORDS)
    text: str  # as written: "$1.5 billion"
    start: int
    end: int


def spelled_value(words: list[str]) -> int:
    """The value of spelled-out number words ("two hundred thirty" -> 230)."""
    total = current = 0
    for word in words:
        if word in SMALL or word in TENS:
            current += SMALL.get(word, 0) + TENS.get(word, 0)
        elif word == "dozen":
            current = max(current, 1) * 12
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * SCALES[word]
            current = 0
    return total + current


def quantities(text: str, ranges: bool = False) -> list[Quantity]:
    """The numbers of a text written with a unit or currency; with ranges, a bare number that
    opens a range ("2 to 3 percent", "1 and 2 billion dollars") takes the unit and scale that
    close it."""
    found = [_quantity(m) for m in _QUANTITY.finditer(text)]
    if not ranges:
        return found
    ranged = []
    for bare in _BARE.finditer(text):
        after = _RANGE.match(text, bare.end())
        end = after.end() if after else -1
        closing = next((q for q in found if q.start == end and q.unit), None)
        if closing and not any(q.start <= bare.start() < q.end for q in found):
            ranged.append(_opening(bare, closing))
    return sorted(found + ranged, key=lambda q: q.start)


def values(text: str) -> set[Decimal]:
    """The value of every number a text writes, with its scale word ("1.5 billion" -> 1.5e9)."""
    return {_value(m.group("number"), m.group("scale")) for m in _BARE.finditer(text)}


def _quantity(match: re.Match[str]) -> Quantity:
    if match.group("sign"):
        sign = match.group("sign").lower()
        unit = _SIGN_OF.get(sign, _SIGN_OF.get(sign[-1], "$"))
        value = _value(match.group("signed"), match.group("abbr"))
    elif match.group("age"):
        unit, value = "years old", _value(match.group("aged"), None)
    else:
        unit = _unit(match.group("unit"))
        value = _value(match.group("number"), match.group("scale"))
    return Quantity(value, unit, match.group(0).strip(" -"), match.start(), match.end())


def _opening(bare: re.Match[str], closing: Quantity) -> Quantity:
    """The opening number of a range, with the closing one's unit and (lacking one) scale."""
    value = _value(bare.group("number"), bare.group("scale"))
    if bare.group("scale") is None:
        value *= _scale_of(closing)
    return Quantity(value, closing.unit, bare.group(0), bare.start(), bare.end())


def _scale_of(q: Quantity) -> int:
    words = re.findall(r"[a-z]+", q.text.lower())
    return next((_SCALE_OF[w] for w in words if w in _SCALE_OF and len(w) > 1), 1)


def _unit(words: str) -> str:
    plain = " ".join(words.split())
    return next(unit for unit, pattern in _UNIT_OF if pattern.match(plain))


def _value(number: str, scale: str | None) -> Decimal:
    """A number's value: digits without thousands commas, or spelled-out words; times its
    scale word or abbreviation ("bn", "m")."""
    if number[0].isdigit():
        digits = number.replace(",", "")
        value = Decimal(digits if digits.count(".") < 2 else digits.replace(".", ""))
    else:
        value = Decimal(spelled_value([w for w in re.split(r"[\s-]+", number.lower())
                                       if w != "and"]))
    return value * _SCALE_OF.get((scale or "").lower(), 1)
