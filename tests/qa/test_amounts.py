"""Numbers with their unit or currency: equivalent forms compare equal, others do not."""

from decimal import Decimal

import pytest

from podium.qa.amounts import quantities, spelled_value, values


def _pairs(text: str, ranges: bool = False) -> list[tuple[Decimal, str]]:
    return [(q.value, q.unit) for q in quantities(text, ranges)]


@pytest.mark.parametrize(("one", "other"), [
    ("$1.5 billion", "1.5 billion dollars"),
    ("$1.5 billion", "US$1,500,000,000"),
    ("$1.5bn", "1.5 billion U.S. dollars"),
    ("40%", "40 percent"),
    ("40 per cent", "forty percent"),
    ("€3 million", "three million euros"),
    ("£1,500", "1,500 pounds"),
    ("12 years old", "a 12-year-old"),
    ("aged 12", "at the age of twelve"),
    ("USD 20", "20 dollars"),
    ("ten thousand tons", "10,000 tonnes"),
])
def test_equivalent_forms_give_the_same_quantity(one: str, other: str) -> None:
    assert _pairs(one) == _pairs(other) != []


@pytest.mark.parametrize(("one", "other"), [
    ("$1,500", "1,500 pounds"),
    ("12 years old", "12 years"),
    ("40%", "40 miles"),
    ("$1.5 billion", "$1.5 million"),
])
def test_a_different_unit_or_value_is_a_different_quantity(one: str, other: str) -> None:
    assert _pairs(one) != _pairs(other)


def test_a_bare_number_is_no_quantity_and_its_text_is_kept() -> None:
    assert quantities("916,000 people came on 12 May") == []
    assert [q.text for q in quantities("It cost $1,500, about 40% more.")] == ["$1,500", "40%"]


def test_a_range_gives_its_unit_and_scale_to_its_opening_number_when_asked() -> None:
    assert _pairs("between 2 and 3 percent") == [(3, "%")]
    assert _pairs("between 2 and 3 percent", ranges=True) == [(2, "%"), (3, "%")]
    assert _pairs("2 to 3 billion dollars", ranges=True) == [(2 * 10**9, "$"), (3 * 10**9, "$")]


def test_values_and_spelled_numbers() -> None:
    assert values("1.5 billion, 916,000 and two hundred and thirty") == {
        Decimal("1.5e9"), 916000, 230}
    assert values("dated 1.5.2024") == {1_520_24}
    assert spelled_value(["three", "million"]) == 3_000_000
