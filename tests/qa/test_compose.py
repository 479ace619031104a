"""The composer and sentence checker: streamed or whole, only checked sentences are cited."""

import re

import pytest

from podium.config import CitationSettings
from podium.providers.fake import FakeEmbedding
from podium.qa.citations import MARKER, says_no_answer
from podium.qa.compose import Composer
from podium.qa.evidence import Embed, Passage, normalised
from podium.qa.support import SentenceChecker, Verdict, asks_for, counted_noun

TEXT = ("Kuleba said the summit in Vilnius will decide on ammunition for Ukraine. "
        "Blinken said Sweden joined the alliance in March. "
        "Stoltenberg spoke of air defense interceptors and artillery rounds. "
        "We invest 2 percent of our GDP in defense.")
EMBED = FakeEmbedding()


def _passage(sentence: str, speaker: str = "SECRETARY BLINKEN") -> Passage:
    start = TEXT.index(sentence)
    return Passage("d1", "NATO Ministerial", "2024-04-03", speaker, start, start + len(sentence),
                   sentence, 0.6, 0.5)


PASSAGES = [_passage(s.strip()) for s in re.findall(r"[^.]+\.", TEXT)]


def _composer(question: str) -> Composer:
    vectors = normalised(EMBED.get_text_embedding_batch([p.text for p in PASSAGES]))
    checker = SentenceChecker(question, PASSAGES, EMBED.get_text_embedding_batch, vectors,
                              CitationSettings())
    return Composer(checker, PASSAGES)


def _run(reply: str, question: str = "What was said at NATO?", *, by_token: bool = True
         ) -> tuple[Composer, str]:
    composer = _composer(question)
    pieces = re.findall(r"\S+\s*|\s+", reply) if by_token else [reply]
    shown = "".join(composer.feed(p) for p in pieces) + composer.close()
    return composer, shown


def test_markers_are_renumbered_by_first_use_and_invalid_ones_removed() -> None:
    composer, shown = _run("Sweden joined the alliance in March [2]. Kuleba spoke of the "
                           "summit in Vilnius and ammunition [1, 7]. "
                           "Sweden joined in March. [2][9]")
    assert composer.text == ("Sweden joined the alliance in March [1]. Kuleba spoke of the summit "
                             "in Vilnius and ammunition [2]. Sweden joined in March [1].")
    assert shown == composer.text
    assert [(c.n, c.quote) for c in composer.citations()] == [(1, PASSAGES[1].text),
                                                              (2, PASSAGES[0].text)]
    for c in composer.citations():
        assert TEXT[c.start:c.end] == c.quote


def test_streaming_shows_the_same_answer_and_never_an_unresolved_marker() -> None:
    reply = ("Stoltenberg spoke of air defense interceptors [3]. Sweden joined the alliance in "
             "March [2][12]. Allies invest 2 percent of GDP [4].")
    whole, shown_whole = _run(reply, by_token=False)
    streamed = _composer("What was said at NATO?")
    shown = ""
    for ch in reply:  # one character at a time: the hardest split of markers
        piece = streamed.feed(ch)
        shown += piece
        assert "[12" not in shown and not re.search(r"\[\d*$", shown)
        assert all(int(n) <= 3 for n in re.findall(r"\[(\d+)\]", shown))
    shown += streamed.close()
    assert shown == shown_whole == whole.text == streamed.text


def test_a_sentence_no_passage_supports_is_marked_in_the_stream_and_left_out() -> None:
    composer, shown = _run("Sweden joined the alliance in March [2]. "
                           "The weather was lovely and sunny all week [1].")
    assert composer.text == "Sweden joined the alliance in March [1]."
    assert "lovely and sunny all week. ⟨removed: no transcript passage supports it⟩" in shown
    assert [v.reason for v in composer.verdicts] == ["", "unsupported"]


def test_invented_numbers_and_names_are_never_cited() -> None:
    composer, shown = _run("Allies invest 7 percent of GDP in defense [4]. "
                           "General Smith said Sweden joined the alliance in March [2].")
    assert composer.text == ""
    assert [v.reason for v in composer.verdicts] == ["ungrounded", "ungrounded"]
    assert "⟨removed: names or numbers that are not in the transcripts⟩" in shown


def test_numbers_and_names_from_question_speaker_or_title_are_grounded() -> None:
    composer, _ = _run("Secretary Blinken said at the NATO Ministerial that Sweden joined the "
                       "alliance in March [2].", question="Did Sweden join in 2024?")
    assert composer.text.endswith("[1].")


def test_a_wrong_marker_moves_to_the_passage_that_supports_the_sentence() -> None:
    composer, _ = _run("Stoltenberg spoke of air defense interceptors and artillery rounds [1].")
    assert composer.text.endswith("[1].")
    assert composer.citations()[0].quote == PASSAGES[2].text


def test_a_marker_streamed_in_pieces_after_the_full_stop_stays_with_its_sentence() -> None:
    composer = _composer("What was said at NATO?")
    pieces = ["Blinken", " said", " Sweden", " joined", " in", " March", ".", " [", "2", "]",
              " Stoltenberg", " spoke", " of", " air", " defense", " interceptors", ".", " [",
              "3", "]"]
    shown = "".join(composer.feed(p) for p in pieces) + composer.close()
    assert [v.cited for v in composer.verdicts] == [(2,), (3,)]
    assert composer.text == shown.strip() == ("Blinken said Sweden joined in March [1]. "
                                              "Stoltenberg spoke of air defense interceptors [2].")


def test_uncited_sentences_get_a_supporting_passage() -> None:
    composer, _ = _run("Sweden joined the alliance in March.")
    assert composer.citations()[0].quote == PASSAGES[1].text


def test_echoes_and_meta_sentences_are_not_answers() -> None:
    composer, _ = _run("Kuleba said it was when he met Blinken at NATO [1]. "
                       "This is stated in passage [1].",
                       question="What occasion did Kuleba say it was when he met Blinken at NATO?")
    assert [v.reason for v in composer.verdicts] == ["echo", "meta"]


def test_a_time_question_answered_by_its_echo_and_a_new_time_is_no_echo() -> None:
    question = "In which month was the Washington Summit due to take place, according to NATO?"
    composer, _ = _run("The Washington Summit was due to take place in July, according to "
                       "NATO [1]. The Washington Summit was due to take place, according to "
                       "NATO [1].", question=question)
    assert [v.reason for v in composer.verdicts][1] == "echo"
    assert composer.verdicts[0].reason != "echo"


def test_a_name_question_answered_by_its_echo_and_a_new_name_is_no_echo() -> None:
    question = "Which country did Blinken say officially joined the alliance in March?"
    composer, _ = _run("Blinken did say Sweden officially joined the alliance in March [2]. "
                       "Blinken did say a country officially joined the alliance in March [2].",
                       question=question)
    assert [v.reason for v in composer.verdicts] == ["", "echo"]


@pytest.mark.parametrize(("answer", "states_a_time"), [
    ("He said it at the General Assembly's seventy-fourth session.", False),
    ("He said it at the 74th session.", False),
    ("He said Slipak was made a Hero of Ukraine in 2016.", True),
    ("He said it happened six months ago.", True),
    ("He said it happened three and a half years after the war began.", True),
    ("He said it on May 12.", True),
    ("He said it on Tuesday at 3 p.m.", True),
    ("He said it in 2019.", False),  # the question's own year
])
def test_a_time_answer_states_a_time_not_just_a_number(answer: str, states_a_time: bool
                                                       ) -> None:
    question = "In 2019, when did Zelenskyy say Vasyl Slipak was made a Hero of Ukraine?"
    assert _composer(question).checker.answers_the_kind(answer) is states_a_time


@pytest.mark.parametrize(("question", "expected"), [
    ("How many Patriot batteries did the US send?", "count"),
    ("What is the total dollar value of the package?", "money"),
    ("How much money does Tuvalu earn from its domain?", "money"),
    ("How much did prices rise?", "count"),
    ("When did Sweden join?", "time"),
    ("In which month is the summit?", "time"),
    ("How long had the war been going on?", "time"),
    ("What accommodation did he joke about, given how often he visits?", None),
    ("Who said Ukraine can rely on NATO?", "speaker"),
    ("At the briefing, who warned that stocks were low?", "speaker"),
    ("Which head of state told the Assembly that a leader cares?", "speaker"),
    ("Which member of the team said there are no rules?", "speaker"),
    ("Which country did Biden say would host it?", "name"),  # Biden said it: not asked
    ("Who was convicted of the attack?", "name"),
    ("Which German city did he argue the case in?", "name"),
    ("What is the name of the project?", "name"),
])
def test_questions_asking_for_a_count_or_a_time(question: str, expected: str | None) -> None:
    assert asks_for(question) == expected


def test_a_count_or_time_answer_must_state_one_the_question_lacks() -> None:
    count = _composer("How many percent of GDP do allies invest?").checker
    assert count.answers_the_kind("Allies invest 2 percent")
    assert not count.answers_the_kind("Allies invest in March")  # a month is not a count
    time = _composer("When did Sweden join?").checker
    assert time.answers_the_kind("Sweden joined in March")
    assert not time.answers_the_kind("Sweden joined the alliance")
    span = _composer("For how long will the US pay for shelter?").checker
    assert span.answers_the_kind("The US will pay for the whole month")  # one unit of time
    assert not span.answers_the_kind("The US will pay for shelter every month")
    share = _composer("How much of the city did the flood wash away?").checker
    assert share.answers_the_kind("It washed away more than a quarter of the city")
    assert share.answers_the_kind("It washed away half of the city")
    assert not share.answers_the_kind("It washed away the city centre")
    assert not _composer("How much of the half-built city was washed away?").checker \
        .answers_the_kind("Half of the city was washed away")  # the question's own share
    assert not _composer("How many allies invest 2 percent?").checker.answers_the_kind(
        "Allies invest 2 percent")
    assert _composer("Who joined?").checker.answers_the_kind("Sweden joined")
    dated = _composer("How many percent of GDP did allies invest (May 2 briefing)?").checker
    assert dated.answers_the_kind("Allies invest 2 percent")  # the 2 of "May 2" sets the scene
    assert not _composer("When did allies invest (May 2 briefing)?").checker.answers_the_kind(
        "Allies invested on May 2")
    money = _composer("What total dollar figure did the White House give for the damage?").checker
    assert money.answers_the_kind("The White House gave $34 billion")
    assert money.answers_the_kind("It put the damage at 34 billion dollars")
    assert not money.answers_the_kind("The damage was more than 11 per cent of GDP")
    assert not money.answers_the_kind("The total dollar figure was 11 per cent of GDP")


def test_a_who_said_answer_must_name_a_speaker_of_the_passage_it_cites() -> None:
    passages = [_passage(PASSAGES[0].text, "FOREIGN MINISTER KULEBA"),
                _passage(PASSAGES[1].text, "Q"), _passage(PASSAGES[2].text, "THE PRESIDENT")]
    vectors = normalised(EMBED.get_text_embedding_batch([p.text for p in passages]))
    checker = SentenceChecker("Who said the Vilnius summit will decide on ammunition?", passages,
                              EMBED.get_text_embedding_batch, vectors, CitationSettings())
    assert checker.answers_the_kind("Kuleba said so", (1,))
    assert checker.answers_the_kind("Foreign Minister Kuleba’s words", (1,))
    assert not checker.answers_the_kind("Secretary Blinken said so", (1,))
    assert not checker.answers_the_kind("The foreign minister said so", (1,))
    assert checker.answers_the_kind("Secretary Blinken said so", (2, 3))  # no name to check
    assert checker.answers_the_kind("Blinken said so", (1, 2)) is False
    assert checker.answers_the_kind("Blinken and Kuleba", (1,))


def test_no_answer_phrases_and_marker_grammar() -> None:
    assert says_no_answer("The passages do not mention the 2022 World Cup.")
    assert says_no_answer("")
    assert not says_no_answer("Kuleba said Ukraine needs ammunition [1].")
    assert [m.group(1) for m in MARKER.finditer("a [1] b [2, 3] c [x]")] == ["1", "2, 3"]


def test_restating_the_question_around_a_two_word_answer_is_kept() -> None:
    question = ("What share did Blinken say the alliance members invest in defense every "
                "single year since the Wales summit pledge?")
    composer, _ = _run("The share Blinken said the alliance members invest in defense every "
                       "single year since the Wales summit pledge is a GDP percent [4].",
                       question=question)
    assert composer.verdicts[0].reason != "echo"  # two new words: "GDP percent"
    composer, _ = _run("Blinken said the alliance members invest in defense every single "
                       "year since the Wales summit pledge [4].", question=question)
    assert composer.verdicts[0].reason == "echo"


def test_a_sentence_joining_two_cited_passages_is_supported_by_both() -> None:
    composer, _ = _run("Kuleba said the summit in Vilnius will decide on ammunition, and "
                       "Stoltenberg spoke of air defense interceptors [1][3].")
    assert composer.verdicts[0].kept and composer.verdicts[0].passages == (1, 3)
    assert [c.quote for c in composer.citations()] == [PASSAGES[0].text, PASSAGES[2].text]


def test_numbers_spelled_out_in_the_evidence_ground_the_same_numbers_in_digits() -> None:
    text = ("Two hundred and thirty total medals were won at this year’s Games, and fifteen "
            "thousand athletes from twenty-one states took part.")
    passages = [Passage("d2", "Remarks", None, "THE PRESIDENT", 0, len(text), text, 0.6, 0.5)]
    vectors = normalised(EMBED.get_text_embedding_batch([p.text for p in passages]))
    checker = SentenceChecker("How many medals were won at the Games?", passages,
                              EMBED.get_text_embedding_batch, vectors, CitationSettings())
    assert checker.check("They won 230 total medals at the Games", [1]).reason != "ungrounded"
    assert checker.check("15,000 athletes from 21 states took part", [1]).reason != "ungrounded"
    assert checker.check("They won 231 total medals at the Games", [1]).reason == "ungrounded"
    assert checker.answers_the_kind("They won 230 total medals")


@pytest.mark.parametrize(("question", "counted"), [
    ("How many wind towers a year will the Arcosa factory turn out?", "towers"),
    ("How many Bipartisan Infrastructure Law projects did Landrieu expect?", "projects"),
    ("How many members sat on the Group of Experts?", "members"),
    ("To how many states did the waiver apply?", "states"),
    ("How many of the athletes had served in the armed forces?", "athletes"),
    ("How many people came?", None),  # no plural to go by: any new number will do
    ("How much did prices rise?", None),
    ("Which city hosts the summit?", None),
])
def test_a_how_many_question_counts_its_last_plural(question: str, counted: str | None
                                                    ) -> None:
    assert counted_noun(question) == counted


def _counter(question: str, embed: Embed = EMBED.get_text_embedding_batch) -> SentenceChecker:
    vectors = normalised(embed([p.text for p in PASSAGES]))
    return SentenceChecker(question, PASSAGES, embed, vectors, CitationSettings())


def test_a_count_answer_must_count_what_the_question_counts() -> None:
    towers = _counter("How many wind towers a year will the factory turn out?")
    assert towers.answers_the_kind("The factory will make 300 wind towers a year")
    assert towers.answers_the_kind("The number of towers will be three hundred")
    assert not towers.answers_the_kind(
        "Arcosa has received $1.1 billion in orders for new wind towers")
    assert not towers.answers_the_kind("The plant will create 250 new good-paying jobs")
    assert not towers.answers_the_kind("It makes towers. It employs 250 people")
    visitors = _counter("How many visitors had signed the pledge?")
    assert not visitors.answers_the_kind("The president spoke at the 77th session")
    assert _counter("How many of the athletes had served?").answers_the_kind(
        "28 of you have worn a uniform")
    assert _counter("How many people came?").answers_the_kind("Some 500 came")


def test_a_count_may_use_a_word_close_to_the_questions() -> None:
    axes = {"troops": [1.0, 0.0, 0.0], "soldiers": [0.9, 0.2, 0.0]}

    def embed(texts: list[str]) -> list[list[float]]:  # words near or far by design
        return [axes.get(t, [0.0, 0.3, 1.0]) for t in texts]

    troops = _counter("How many troops were sent?", embed)
    assert troops.answers_the_kind("They sent 500 soldiers")
    assert not troops.answers_the_kind("They sent 500 trucks")


def test_a_name_answer_must_be_said_in_a_passage_it_cites_not_only_its_title() -> None:
    passages = [Passage("d3", "Secretary Blinken’s interview", None, "QUESTION", 0, 40,
                        "Our own UN ambassador said such bombs have no place.", 0.6, 0.5),
                _passage(PASSAGES[0].text, "FOREIGN MINISTER KULEBA"),
                Passage("d4", "Remarks", None, "AMBASSADOR GREENFIELD", 0, 27,
                        "They have no place at all.", 0.6, 0.5)]
    vectors = normalised(EMBED.get_text_embedding_batch([p.text for p in passages]))

    def checker(question: str) -> SentenceChecker:
        return SentenceChecker(question, passages, EMBED.get_text_embedding_batch, vectors,
                               CitationSettings())

    who = checker("What is the name of the UN ambassador who said bombs have no place?")
    assert not who.answers_the_kind("The ambassador is Secretary Blinken", (1,))
    assert not who.answers_the_kind("Question: “Our own UN ambassador said so”", (1,))
    assert who.answers_the_kind("It was Kuleba", (2,))  # the speaker of what it cites
    assert who.answers_the_kind("It was Blinken", ())  # nothing cited: nothing to check
    which = checker("Which weapons do bombs have no place among?")
    assert which.answers_the_kind("They have no place on the battlefield", (1,))
    assert not which.answers_the_kind("They have no place in Blinken’s view", (1,))
    # a speaker label names who spoke, which answers "who …", not "which weapons …"
    assert not which.answers_the_kind("Ambassador Greenfield: “They have no place at all.”",
                                      (3,))
    assert who.answers_the_kind("It was Greenfield", (3,))


def test_a_count_restating_the_question_is_kept_when_its_passage_counts_the_same_thing(
        ) -> None:
    medals = "Two hundred and thirty total medals were won at this year’s Games."
    banned = "Cluster munitions are banned by more than 100 countries in the world today."
    passages = [Passage("d2", "Remarks", None, "THE PRESIDENT", 0, len(medals), medals, 0.6, 0.5),
                Passage("d3", "Interview", None, "QUESTION", 0, len(banned), banned, 0.6, 0.5)]
    vectors = normalised(EMBED.get_text_embedding_batch([p.text for p in passages]))

    def check(question: str, sentence: str, cited: int) -> Verdict:
        return SentenceChecker(question, passages, EMBED.get_text_embedding_batch, vectors,
                               CitationSettings()).check(sentence, [cited])

    assert check("How many total medals were won at this year’s Games?",
                 "230 total medals were won at this year’s Games", 1).kept
    question = "How many cluster munitions rounds are banned in the world today?"
    assert check(question, "100 cluster munitions rounds are banned in the world today",
                 2).reason == "echo"
