"""The period a question names, and the second search within it."""

from __future__ import annotations

import pytest

from podium.app import Podium
from podium.qa.dates import named_period
from podium.qa.retrieve import Filters, HybridRetriever


@pytest.mark.parametrize(("question", "period"), [
    ("What did he say at the May 31, 2022 briefing?", ("2022-05-31", "2022-05-31")),
    ("the fact sheet of 3 April 2024 on NATO", ("2024-04-03", "2024-04-03")),
    ("remarks on Sept. 1st, 2021", ("2021-09-01", "2021-09-01")),
    ("the briefing of 2023-02-28", ("2023-02-28", "2023-02-28")),
    ("What did she say in February 2024 about Gaza?", ("2024-02-01", "2024-02-29")),
    ("in February of 2023", ("2023-02-01", "2023-02-28")),
    ("What did Fiji tell the 2019 debate?", ("2019-01-01", "2019-12-31")),
    # the most specific kind wins: the day, not the year it also names
    ("At the 2022 summit, on June 29, 2022, who spoke?", ("2022-06-29", "2022-06-29")),
    # a day that does not exist leaves the year
    ("What about February 30, 2023?", ("2023-01-01", "2023-12-31")),
])
def test_the_most_specific_date_a_question_names(question: str,
                                                 period: tuple[str, str]) -> None:
    assert named_period(question) == period


@pytest.mark.parametrize("question", [
    "What did Kuleba say about ammunition?",        # no date
    "What happened on May 31?",                     # no year
    "Between May 2022 and June 2023, what changed?",  # two months: not one period
    "How many of the 2,019 troops left?",           # a number, not a year
    "Did inflation reach 2023 percent?",            # a rate
])
def test_no_period_when_none_or_several_are_named(question: str) -> None:
    assert named_period(question) is None


def test_a_named_date_brings_that_days_transcript_into_the_hits(seeded: Podium) -> None:
    question = "What did the Secretary General say about Ukraine on 3 April 2024?"
    settings = seeded.settings.retrieval.model_copy(update={"top_k": 2, "neighbours": 0})
    dated = settings.model_copy(update={"question_dates": True})
    plain = HybridRetriever(seeded.index, seeded.docstore, settings).retrieve(question)
    scoped = HybridRetriever(seeded.index, seeded.docstore, dated).retrieve(question)
    day = "001_0386686246588c25.txt"  # the seed's only transcript dated 2024-04-03
    assert [h.doc_id for h in scoped.hits] == [day, day]
    assert [h.doc_id for h in plain.hits] != [day, day]
    # a date filter of the user's own replaces the question's date; other filters narrow it
    within = HybridRetriever(seeded.index, seeded.docstore, dated)._dated
    assert within(question, Filters(after="2020-01-01")) is None
    scope = within(question, Filters(speaker="Stoltenberg"))
    assert scope is not None and scope.doc_ids == {day} and scope.speakers
    assert within("What was said on 4 April 2024?", None) is None  # no transcript of that day
    off = HybridRetriever(seeded.index, seeded.docstore, settings)._dated
    assert off(question, None) is None
