"""Sentence checks: is an answer sentence grounded in the evidence and supported by its quote?

Small models invent specifics ("$1.5 billion", "10 Patriot batteries") and cite a passage that
is on topic but says no such thing. An answer sentence is kept, with a citation, only when

- every number and capitalised name in it appears in the question or the evidence passages
  (their words, speakers and titles; for numbers, their dates too): otherwise it is
  *ungrounded*;
- every number in it that the question does not state appears in a passage it is cited with,
  and, written with a unit or currency ("$1,500", "40 percent", "12 years old"), with that
  same unit or currency ("1,500 pounds" is not "$1,500"; podium.qa.amounts): otherwise its
  *number* is not held by what it cites;
- it says something the question does not already say (at least `min_new_share` of its content
  words are not the question's): otherwise it is an *echo*;
- a passage supports it: the share of its content words found in the passage (with speaker
  and title) and the embedding cosine between sentence and passage both reach the thresholds
  in `[citations]`. The model's own [n] markers are tried first, then every other passage.

An answer is written only when one of its kept sentences is of the kind the question asks for
(answers_the_kind): a count that counts what the question counts, a sum of money, a time, the
speaker of a quoted passage, or a name that the passage it cites says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from podium.config import CitationSettings
from podium.qa.amounts import (
    NUMBER_WORD,
    SCALES,
    SPELLED,
    Quantity,
    quantities,
    spelled_value,
    values,
)
from podium.qa.evidence import Embed, Passage, normalised
from podium.qa.premise import NOT_NAMES
from podium.text import STOPWORDS, stem, terms

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w’'\-]*")
_META = re.compile(
    r"^(?:this|that|it|the (?:above|answer|information|statement))\b[^.]*\b"
    r"(?:passage|stated|mentioned|found|according|provided|cited)\b", re.IGNORECASE)
# A question whose (first) question phrase asks for a quantity or a time: its answer must
# state one that the question does not already contain.
_WH = re.compile(r"\b(?:how|when|what|which|who|whom|whose|where|why)\b", re.IGNORECASE)
_COUNT_PHRASE = re.compile(
    r"how\s+(?:many|much|large|big|far|often)\b"
    r"|(?:what|which)\s+(?:percentage|percent|share|number|amount)\b"
    r"|what\s+(?:is|was|are|were)\s+the\s+(?:total\s+)?(?:\w+\s+)?"
    r"(?:value|cost|price|amount|number|percentage|size|figure)\b",
    re.IGNORECASE)
# ... for a sum of money: its answer must state an amount with its currency ("$1.2 billion",
# "215 USD", "two billion dollars"), not only repeat the question's "dollar figure".
_MONEY_PHRASE = re.compile(
    r"how\s+much\s+money\b"
    r"|(?:what|which)\s+(?:(?:is|was|are|were)\s+the\s+)?(?:total\s+)?"
    r"(?:dollar|euro)\s+(?:value|figure|amount|sum|total)\b",
    re.IGNORECASE)
_AMOUNT = (rf"(?:\d[\d.,]*|(?:{NUMBER_WORD})(?:[\s-]+(?:{NUMBER_WORD}))*)"
           r"(?:\s+(?:thousand|million|billion|trillion))?")
_UNIT = r"(?:dollars?|euros?|pounds?|yen|yuan|roubles?|rubles?|rupees?|francs?|USD|EUR|GBP)"
_MONEY = re.compile(rf"[$€£¥]\s?\d|\b(?:USD|EUR|GBP)\s?\d|\b{_AMOUNT}\s+{_UNIT}\b",
                    re.IGNORECASE)
# A date's day and year ("May 12, 2021", "12 May", "in 2023"): when a question has one, it
# sets the scene and is no count the question states.
_MONTH = ("(?:January|February|March|April|May|June|July|August|September|October|November|"
          "December)")
_DATE = re.compile(rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
                   rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+\d{{4}})?"
                   r"|\b(?:19|20)\d\d\b")
# ... for a name: "which city", "what is the name of", "who": a new name is its answer. After
# "who" and "what is the name" the answer must name someone; after "which …" it may not.
_PERSON_PHRASE = re.compile(r"(?:what|which)\s+(?:is|was|are|were)\s+the\s+names?\b"
                            r"|who\b|whom\b", re.IGNORECASE)
_NAME_PHRASE = re.compile(rf"which\s+\w|{_PERSON_PHRASE.pattern}", re.IGNORECASE)
_TIME_PHRASE = re.compile(
    r"how\s+(?:long|old)\b|when\b|(?:what|which)\s+(?:year|date|day|month|time)\b",
    re.IGNORECASE)
# "Who said …?", "Which leader told …?": the answer must name the speaker of the passage it
# cites ("Which country did he say …?" asks for no speaker).
_SPEAKER_PHRASE = re.compile(
    r"(?:who\s+(?:\w+\s+)?|which\s+(?:(?!(?:did|does|do|has|have|had|will|would|is|was|were|"
    r"are|can|could|should)\b)[\w'’-]+\s+){1,6}?)"
    r"(?:said|says|say|told|tell|asked|called|described|warned|explained|"
    r"introduced|joked|noted|argued|announced|stated|declared|urged|insisted|suggested|claimed|"
    r"promised|vowed|pledged|thanked|praised|critici[sz]ed|compared|remarked|added|replied|"
    r"answered|quoted|spoke|mentioned|referred|cited|invoked|recalled|ended|opened|began)\b",
    re.IGNORECASE)
# "How many wind towers …?": what the count counts, the last plural among the words after
# "how many" (and a partitive "of the") up to the first stopword. A number in the answer counts
# it when the word, or one the embedding model puts within COUNTED_SIMILARITY of it ("troops",
# "soldiers"), is among the few words around the number, or a partitive follows ("28 of you").
_HOW_MANY = re.compile(r"how\s+many\s+(?:of\s+(?:the|its|their|these|those|our|your|his|her)\s+)?",
                       re.IGNORECASE)
_SPELLED_ANY_CASE = re.compile(SPELLED.pattern, re.IGNORECASE)
_PARTITIVE = re.compile(r"\s+of\s+(?:you|them|us|those|these|the|its|their|whom)\b",
                        re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,;:.!?()\"“”—–]\s")
_AROUND = (3, 4)  # words before and after a number that may say what it counts
COUNTED_SIMILARITY = 0.6
_TIME_WORDS = frozenset(  # "may" left out: far more often the verb
    "january february march april june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday yesterday today tomorrow "
    "tonight ago noon midnight".split())
# What a time answer states besides time words: a year, a date's day, or a number of time units
# ("six months", "three and a half minutes", "3 p.m."); a bare "seventy-fourth" is no time.
_YEAR = re.compile(r"\b(?:1[0-9]|20)\d\d\b")
_DURATION = re.compile(
    rf"\b(?:\d[\d,.]*|(?:{NUMBER_WORD})(?:[\s-]+(?:{NUMBER_WORD}))*)(?:\s+and\s+a\s+half)?"
    r"[\s-]+(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centur(?:y|ies)"
    r"|a\.?m\b\.?|p\.?m\b\.?|o['’]clock)", re.IGNORECASE)
# ... or one unit of time without a number: "for a month", "the whole week"
_SPAN = re.compile(r"\b(?:a|an|one|the\s+(?:whole|entire|full))\s+"
                   r"(year|month|week|day|hour|decade|century|fortnight)\b", re.IGNORECASE)
# A share that a "how much" answer may give without digits: "a quarter", "two thirds", "half"
_FRACTION = re.compile(r"\b(?:(?:a|one|two|three|four)[\s-]+(?:thirds?|quarters?|fifths?|tenths?)"
                       r"|half)\b", re.IGNORECASE)

@dataclass(frozen=True)
class Verdict:
    """What the check decided for one answer sentence."""

    kept: bool
    passages: tuple[int, ...] = ()  # 1-based passage numbers that support it
    cited: tuple[int, ...] = ()  # 1-based passage numbers the model's own markers gave
    reason: str = ""  # why it was not kept: meta, ungrounded, echo, unsupported, number
    detail: str = ""  # the reason in words, where it names what failed


Needed = Quantity | str  # a number of a sentence: with its unit or currency, or bare


class SentenceChecker:
    """Checks answer sentences against the question and the numbered evidence passages."""

    def __init__(self, question: str, passages: list[Passage], embed: Embed,
                 passage_vectors: np.ndarray, settings: CitationSettings) -> None:
        """passage_vectors: one unit-length row per passage (Evidence.vectors)."""
        self._question_terms = set(terms(question))
        self._question_names = {stem(w.lower()) for w in _NAME.findall(question)}
        support = " ".join([question] + [_context(p) for p in passages])
        self._question_numbers = _numbers(question, totals=True)
        self._held = [(_numbers(_context(p), totals=True) | _date_numbers(p.date),
                       quantities(_context(p), ranges=True)) for p in passages]
        self._numbers = self._question_numbers.union(*(numbers for numbers, _ in self._held))
        self._words = _words(support)
        self.wants = asks_for(question)
        self._question_share = bool(_FRACTION.search(question))
        self._question_quantities = _quantities(question)
        self._counted = counted_noun(question) if self.wants == "count" else None
        first = _WH.search(question)
        self._person = bool(self.wants == "name" and first
                            and _PERSON_PHRASE.match(question, first.start()))
        if self.wants in ("count", "money"):  # "how many states (May 12 briefing)?": 12 states
            self._question_quantities -= _numbers(" ".join(_DATE.findall(question)))
        self._passages = passages
        self._embed = embed
        self._vectors = passage_vectors
        self._settings = settings

    def check(self, body: str, cited: list[int]) -> Verdict:
        """Judge one sentence (markers already removed) that cited these passage numbers."""
        if _META.match(body):
            return Verdict(False, reason="meta")
        if not (_numbers(body) <= self._numbers and _names(body) <= self._words):
            return Verdict(False, reason="ungrounded")
        words = set(terms(body))
        needed = min(2.0, max(1.0, self._settings.min_new_share * len(words)))
        if self._states_the_kind(body):
            needed = 1.0  # "The summit was due in July", "… is the Future Now project"
        echo = len(words - self._question_terms) < needed  # two new words can carry an answer
        if echo and self._counted is None:
            return Verdict(False, reason="echo")
        vector = normalised(self._embed([body]))[0]
        scores = {n: self._support(body, vector, n) for n in range(1, len(self._passages) + 1)}
        passing = [n for n in dict.fromkeys(cited) if n in scores and self._passes(scores[n])]
        if not passing:
            ranked = sorted((n for n in scores if self._passes(scores[n])),
                            key=lambda n: sum(scores[n]), reverse=True)
            passing = ranked[:1]
        if not passing:
            passing = self._jointly(words, scores, [n for n in dict.fromkeys(cited)
                                                    if n in scores])
        if not passing:
            return Verdict(False, reason="unsupported")
        passing, missing = self._held_by(body, passing, list(dict.fromkeys(cited)), scores)
        if missing:
            why = _not_held(missing[0], [self._passages[n - 1] for n in passing])
            return Verdict(False, tuple(passing), tuple(dict.fromkeys(cited)), "number", why)
        if echo and not self._counts(body, tuple(passing)):  # "… won 230 medals at the Games"
            return Verdict(False, reason="echo")
        return Verdict(True, tuple(passing), tuple(dict.fromkeys(cited)))

    def _held_by(self, body: str, passing: list[int], cited: list[int],
                 scores: dict[int, tuple[float, float]]) -> tuple[list[int], list[Needed]]:
        """The passages that support the sentence, joined by those that hold a number of it
        that they lack: first the passages its own markers cite, then any other that would
        support it alone; and the numbers that none of them holds."""
        missing = [x for x in self._needed(body) if not any(self._holds(n, x) for n in passing)]
        closest = sorted((n for n in scores if self._passes(scores[n])),
                         key=lambda n: sum(scores[n]), reverse=True)
        for n in dict.fromkeys([*cited, *closest]):
            if missing and n not in passing and any(self._holds(n, x) for x in missing):
                passing = [*passing, n]
                missing = [x for x in missing if not self._holds(n, x)]
        return passing, missing

    def _needed(self, body: str) -> list[Needed]:
        """The numbers of the sentence that the question does not state: those written with a
        unit or currency as quantities, the others as in _numbers."""
        found, bare = quantities(body), body
        for q in found:
            bare = bare[:q.start] + " " * (q.end - q.start) + bare[q.end:]
        return [*(q for q in found if not _numbers(q.text, totals=True) <= self._question_numbers),
                *sorted(_numbers(bare) - self._question_numbers)]

    def _holds(self, n: int, needed: Needed) -> bool:
        """Passage n (1-based) states that number (a quantity with that unit or currency)."""
        numbers, stated = self._held[n - 1]
        if isinstance(needed, str):
            return needed in numbers
        return any(s.value == needed.value and s.unit == needed.unit for s in stated)

    def _jointly(self, words: set[str], scores: dict[int, tuple[float, float]],
                 cited: list[int]) -> list[int]:
        """A sentence joining facts of several cited passages ("A said X, and B did Y
        [1][2]"): supported when the cited passages together hold its words and each one
        is close enough to it."""
        if len(cited) < 2 or not words:
            return []
        together = set().union(*(terms(_context(self._passages[n - 1])) for n in cited))
        lexical = len(words & together) / len(words)
        cosines = [scores[n][1] for n in cited]
        if lexical >= self._settings.min_lexical_support and min(cosines) >= (
                self._settings.min_embedding_support):
            return cited
        return []

    def _states_the_kind(self, body: str) -> bool:
        """The sentence states a time or a name the question asks for and lacks. (A count
        answer with one new word must count what the question counts in the passage that
        supports it: otherwise the seed eval's q56 answered "100 cluster munition rounds",
        from "banned by more than 100 countries", instead of abstaining.)"""
        if self.wants == "time":
            return bool(_times(body) - self._question_quantities)
        return self.wants == "name" and bool(_names(body) - self._question_names)

    def answers_the_kind(self, body: str, cited: tuple[int, ...] = ()) -> bool:
        """False when the question asks for a count, a sum of money (with its currency) or a
        time (a time word, a year, a date, a number of time units or one unit: "for a month")
        and the sentence states none that the question does not already contain (a "how
        much" answer may state a share in words: "a quarter"); or asks how many of something and
        no new number counts it; or asks who said something and the sentence names no speaker
        of the labelled passages it cites (1-based); or asks for a name that the passages it
        cites do not say (see _named)."""
        if self.wants == "name":
            return self._named(body, cited)
        if self.wants is None:
            return True
        if self.wants == "speaker":
            speakers = [names for n in cited
                        if (names := speaker_names(self._passages[n - 1].speaker))]
            named = {w.lower().removesuffix("’s").removesuffix("'s") for w in _NAME.findall(body)}
            return not speakers or any(names & named for names in speakers)
        if self.wants == "time":
            return bool(_times(body) - self._question_quantities)
        if self.wants == "money" and not _MONEY.search(body):
            return False
        if not _numbers(body) - self._question_quantities:
            return (self.wants == "count" and self._counted is None
                    and bool(_FRACTION.search(body)) and not self._question_share)
        return self._counted is None or self._counts(body, cited)

    def _named(self, body: str, cited: tuple[int, ...]) -> bool:
        """The sentence names something the question does not (a title such as "Secretary" or
        a label such as "Question" names nobody), and a passage it cites says that name in its
        words or as its speaker, not only in its title. A "which …" sentence may name nothing
        ("apartments at NATO headquarters"); a "who …" one may not."""
        new = _names(body, first=True) - self._question_names - NOT_NAMES
        if not new:
            return not self._person
        said: set[str] = set()
        for n in cited:
            speaker = self._passages[n - 1].speaker if self._person else None
            said |= _words(f"{self._passages[n - 1].text} {speaker or ''}")
        return not cited or bool(new & said)

    def _counts(self, body: str, cited: tuple[int, ...]) -> bool:
        """A number of the sentence that the question does not state counts what the question
        asks how many of, where it is written: in a passage the sentence cites (or, citing
        none, in the sentence), that word or one close to it is among the words around the
        number in its clause, or "of you", "of them"… follows it ("more than 100 countries"
        does not count cluster munition rounds, however the sentence puts it)."""
        assert self._counted is not None
        new = _numbers(body) - self._question_quantities
        texts = [self._passages[n - 1].text for n in cited] or [body]
        around: list[str] = []
        for text in texts:
            for match in [*_NUMBER.finditer(text), *_SPELLED_ANY_CASE.finditer(text)]:
                if not _numbers(match.group(0), totals=True) & new:
                    continue
                if _PARTITIVE.match(text, match.end()):
                    return True
                before = _CLAUSE_END.split(text[:match.start()])[-1].split()[-_AROUND[0]:]
                after = _CLAUSE_END.split(text[match.end():])[0].split()[:_AROUND[1]]
                around += [w for w in map(_plain_word, before + after)
                           if w and w not in STOPWORDS and not _numbers(w)]
        if stem(self._counted) in {stem(w) for w in around}:
            return True
        if not around:
            return False
        vectors = normalised(self._embed([self._counted, *dict.fromkeys(around)]))
        return bool((vectors[1:] @ vectors[0]).max() >= COUNTED_SIMILARITY)

    def _support(self, body: str, vector: np.ndarray, n: int) -> tuple[float, float]:
        words = set(terms(body))
        passage = self._passages[n - 1]
        lexical = len(words & set(terms(_context(passage)))) / len(words) if words else 0.0
        return lexical, float(self._vectors[n - 1] @ vector)

    def _passes(self, score: tuple[float, float]) -> bool:
        lexical, cosine = score
        return (lexical >= self._settings.min_lexical_support
                and cosine >= self._settings.min_embedding_support)


def asks_for(question: str) -> str | None:
    """"count" or "time" when the question's first question phrase asks how many, how much,
    when, how long…; "money" for how much money, what dollar value…; "speaker" for who said,
    told, warned…; "name" for which…, what is the name…, who…; None otherwise."""
    first = _WH.search(question)
    if first is None:
        return None
    if _MONEY_PHRASE.match(question, first.start()):
        return "money"
    if _COUNT_PHRASE.match(question, first.start()):
        return "count"
    if _SPEAKER_PHRASE.match(question, first.start()):
        return "speaker"
    if _TIME_PHRASE.match(question, first.start()):
        return "time"
    return "name" if _NAME_PHRASE.match(question, first.start()) else None


def counted_noun(question: str) -> str | None:
    """What a "how many …" question counts ("how many wind towers a year" -> towers);
    None for other questions, or when no plural follows ("how many people")."""
    first = _WH.search(question)
    found = _HOW_MANY.match(question, first.start()) if first else None
    if found is None:
        return None
    run = []
    for word in re.findall(r"[\w’'\-]+", question[found.end():])[:5]:
        if word.lower() in STOPWORDS:
            break
        run.append(word)
    plurals = [w.lower() for w in run if len(w) > 3 and w.lower().endswith("s")
               and not w.lower().endswith("ss") and not w.isupper()]
    return plurals[-1] if plurals else None


def _not_held(needed: Needed, cited: list[Passage]) -> str:
    """Why a number of a sentence is not held: what the passages it cites say instead."""
    if isinstance(needed, str):
        return f"the number {needed} is not in {_what(cited)}"
    reason = f"the number {needed.text} is not in {_what(cited)}"
    stated = [q for p in cited for q in quantities(_context(p), ranges=True)]
    other = list(dict.fromkeys(q.text for q in stated if q.value == needed.value))
    if other:
        return f"{reason} (it says {' and '.join(other)})"
    if any(needed.value in values(_context(p)) for p in cited):
        return f"{reason} (it gives that number without {_kind(needed)})"
    return reason


def _date_numbers(date: str | None) -> set[str]:
    """The numbers of a passage's date ("2024-04-03" -> 2024, 4, 3): shown with its citation."""
    return {str(int(n)) for n in re.findall(r"\d+", date or "")}


def _what(cited: list[Passage]) -> str:
    return "the passage it cites" if len(cited) == 1 else "the passages it cites"


def _kind(q: Quantity) -> str:
    return "the age" if q.unit == "years old" else f"the unit or currency {q.unit!r}"


def _plain_word(word: str) -> str:
    return word.strip(".,;:!?()[]\"'“”‘’—–-$").lower()


def _times(text: str) -> set[str]:
    """The times a text states, comparable with _quantities: time words, years, and the numbers
    of dates and of durations or clock times."""
    found = {w for w in re.findall(r"[a-z]+", text.lower()) if w in _TIME_WORDS}
    found |= set(_YEAR.findall(text))
    found |= {unit.lower() for unit in _SPAN.findall(text)}
    for match in [*_DATE.finditer(text), *_DURATION.finditer(text)]:
        found |= _numbers(match.group(0))
    return found


def _quantities(text: str) -> set[str]:
    words = {w for w in re.findall(r"[a-z]+", text.lower()) if w in _TIME_WORDS}
    return _numbers(text) | words


def speaker_names(speaker: str | None) -> set[str]:
    """The words of a speaker label that name someone ("FOREIGN MINISTER KULEBA" -> kuleba;
    "Mr. Pedro Sánchez" -> pedro, sánchez; "Q" and "THE PRESIDENT" -> none)."""
    words = (speaker or "").lower().replace(".", " ").replace(",", " ").split()
    return {w for w in words if w not in NOT_NAMES and len(w) > 1}


def _context(p: Passage) -> str:
    return f"{p.text} {p.speaker or ''} {p.title}"


def _numbers(text: str, totals: bool = False) -> set[str]:
    """The numbers a text states, comparable: digits without thousands commas; a spelled-out
    number as its value ("two hundred and thirty" -> 230); a scale word as itself ("three
    million" -> 3 and million, as "3 million" gives). With totals, a spelled number ending in a
    scale also gives its whole value ("fifteen thousand" -> 15000, as "15,000" gives)."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    for match in SPELLED.finditer(text.lower()):
        words = [w for w in re.split(r"[\s-]+", match.group(0)) if w != "and"]
        if words in (["one"], ["zero"]):
            continue  # far more often a pronoun or a figure of speech than a number
        if words[-1] == "dozen" or SCALES.get(words[-1], 0) >= 1000:
            found.add(words[-1])
            if totals and len(words) > 1:
                found.add(str(spelled_value(words)))
            words = words[:-1]
        if words:
            found.add(str(spelled_value(words)))
    return found


def _names(text: str, first: bool = False) -> set[str]:
    """Capitalised words after the first word (with first, the first one too), as comparable
    terms."""
    found = set()
    for match in _NAME.finditer(text):
        if match.start() == 0 and not first:
            continue
        word = match.group(0).lower()
        if word not in STOPWORDS and len(word) > 1:
            found.add(stem(word))
    return found


def _words(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[\w’'\-]+", text.lower())}
