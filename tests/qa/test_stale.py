"""A transcript replaced while an answer is written (an ingest beside the page): the sentences
that cite it are left out, and no citation of the old version is ever shown."""

from __future__ import annotations

import re
from pathlib import Path

from podium.app import Podium, build_app
from podium.providers.fake import FakeLLM, quote_first_passage
from podium.qa.generate import LLMGenerator
from podium.qa.schema import Done, Revised
from tests.qa.test_compose import PASSAGES, _run

QUESTION = "What did Kuleba say about deliveries of ammunition?"
PASSAGE_LINE = re.compile(r'^\[(\d+)\][^\n]*?"(.+)"\s*$', re.MULTILINE)


def test_drop_leaves_out_sentences_citing_a_passage_and_renumbers() -> None:
    composer, _ = _run("Sweden joined the alliance in March [2]. Kuleba spoke of the summit in "
                       "Vilnius and ammunition [1]. Stoltenberg spoke of air defense "
                       "interceptors [3].")
    assert composer.text.count("[") == 3
    assert composer.drop({1})
    assert composer.text == ("Sweden joined the alliance in March [1]. Stoltenberg spoke of "
                             "air defense interceptors [2].")
    assert [c.quote for c in composer.citations()] == [PASSAGES[1].text, PASSAGES[2].text]
    assert not composer.drop({4})  # cited by nothing: nothing changes
    assert composer.drop({2, 3}) and composer.kept == [] and composer.citations() == []


def _llm(app: Podium) -> FakeLLM:
    assert isinstance(app.generator, LLMGenerator) and isinstance(app.generator.llm, FakeLLM)
    return app.generator.llm


def _replace_mid_answer(app: Podium, corpus: Path, passages: list[int]) -> set[str]:
    """Make the fake model cite these passages, each in a sentence of its own, and replace the
    first one's transcript (through another app on the data dir) while it 'writes'."""
    replaced: set[str] = set()

    def reply(prompt: str) -> str:
        if "Follow-up question:" in prompt:
            return quote_first_passage(prompt)
        quotes = dict(PASSAGE_LINE.findall(prompt))
        first = quotes[str(passages[0])]
        path = next(p for p in sorted(corpus.iterdir()) if first in p.read_text())
        path.write_text(path.read_text() + "\n\nSECRETARY BLINKEN:  One more thing.\n")
        other = build_app(app.settings)
        assert other.ingest([corpus], progress=False).updated == [path.name]
        replaced.add(path.name)
        return " ".join(f"{quotes[str(n)]} [{n}]" for n in passages)

    _llm(app).set_reply_function(reply)
    return replaced


def test_an_answer_citing_only_a_replaced_transcript_abstains(fake_app: Podium,
                                                              seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    replaced = _replace_mid_answer(fake_app, seed_copy, [1])
    events = list(fake_app.stream(QUESTION))
    answer = events[-1].answer if isinstance(events[-1], Done) else None
    assert replaced and answer is not None
    assert answer.abstained and answer.citations == []
    assert any(isinstance(e, Revised) for e in events)  # the streamed words are taken back


def test_only_the_sentences_citing_the_replaced_transcript_go(fake_app: Podium,
                                                              seed_copy: Path) -> None:
    fake_app.ingest([seed_copy], progress=False)
    retrieval = fake_app.retriever.retrieve(QUESTION)
    assert len({h.doc_id for h in retrieval.hits}) > 1
    replaced = _replace_mid_answer(fake_app, seed_copy, [1, 2, 3, 4, 5, 6])
    answer = fake_app.ask(QUESTION)
    assert replaced and not answer.abstained and answer.citations
    assert replaced.isdisjoint(c.doc_id for c in answer.citations)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        doc = fake_app.docstore.get(c.doc_id)
        assert doc is not None and doc.text[c.start:c.end] == c.quote
