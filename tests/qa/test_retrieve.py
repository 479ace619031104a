"""Filters: dates must be real calendar dates, text must be valid Unicode."""

import pytest

from podium.errors import PodiumError
from podium.qa.retrieve import Filters


@pytest.mark.parametrize(("option", "value"), [
    ("before", "2024-13-45"), ("after", "notadate"), ("after", "2023-02-29"),
    ("before", "2024-01-01\n"), ("after", "２０２４-０１-０１"), ("before", "2024-1-1"),
])
def test_impossible_or_malformed_dates_are_refused(option: str, value: str) -> None:
    with pytest.raises(PodiumError) as caught:
        Filters(**{option: value})
    assert caught.value.message.startswith(f"--{option} ")
    assert "\n" not in caught.value.message and "YYYY-MM-DD" in caught.value.hint


def test_real_dates_pass() -> None:
    assert Filters(after="2024-02-29", before="2024-12-31").active


@pytest.mark.parametrize("field", ["speaker", "docs"])
def test_filter_text_that_is_not_unicode_is_refused(field: str) -> None:
    value = "Kul\udcffeba"
    with pytest.raises(PodiumError, match="not valid text") as caught:
        Filters(**{field: (value,) if field == "docs" else value})
    assert caught.value.hint
