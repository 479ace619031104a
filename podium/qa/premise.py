"""Does the evidence mention what the question names?

A question that names something ("the hikers at Havasu Falls", "Lucy McBath's son Jordan
Davis") asks about it. When no transcript that the evidence passages come from mentions it
(in its text, title, speakers or metadata), the transcripts found do not hold the answer,
however close they are otherwise, and Podium abstains, saying which name it did not find.

A name is a run of capitalised words. Its words are checked, except
- the first word of the question or of a sentence in it, stopwords, months and weekdays;
- titles ("Secretary", "Prime", "President"), which transcripts use loosely;
- acronyms ("TV", "NEC"), which transcripts often spell out;
- a name that modifies a lower-case noun ("Nordic countries", "German city", "Ted Lasso cast"):
  such adjectives are what paraphrases change.
A word is mentioned when a word of the documents starts with it, case and accents ignored
("German" is mentioned by "Germany", "Falls" by "falls", not by "fall").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from podium.text import STOPWORDS

# Words of a speaker label or a name that do not name anyone (titles, and the press's labels).
NOT_NAMES = frozenset(
    "q question questions moderator reporter audience aide participant official senior "
    "administration mr mrs ms miss dr sir madam dame lord the of and secretary general minister "
    "foreign prime president vice deputy under assistant ambassador senator sen governor "
    "representative rep congressman congresswoman administrator surgeon director chair "
    "chairman chairwoman spokesperson spokesman press sheikh king queen prince princess "
    "emir his her excellency majesty highness".split())
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split())
_TOKEN = re.compile(r"\w[\w’'\-]*|\S")
_POSSESSIVE = re.compile(r"['’]s?$")
_SENTENCE_END = frozenset(".?!:;")
_ACCENTS = re.compile(r"[\u0300-\u036f]")


def unmentioned(question: str, documents: Iterable[str]) -> list[str]:
    """The names in the question (as written) that none of the documents mentions."""
    names = question_names(question)
    if not names:
        return []
    text = fold(" ".join(documents))
    return [phrase for phrase, words in names
            if any(re.search(r"\b" + re.escape(w), text) is None for w in words)]


def question_names(question: str) -> list[tuple[str, list[str]]]:
    """(phrase as written, its words to look for, folded) for each name in the question."""
    tokens = list(_TOKEN.finditer(question))
    names: list[tuple[str, list[str]]] = []
    run: list[int] = []
    for i, token in enumerate([*tokens, None]):
        if token is not None and _capitalised(token.group(0)) and i > 0 and (
                tokens[i - 1].group(0) not in _SENTENCE_END):
            run.append(i)
            continue
        if run and not _modifier(tokens, run[-1]):
            words = [w for i in run for w in _checked(tokens[i].group(0))]
            if words:
                names.append((question[tokens[run[0]].start():tokens[run[-1]].end()], words))
        run = []
    return names


def fold(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe."""
    return _ACCENTS.sub("", unicodedata.normalize("NFKD", text)).casefold().replace("’", "'")


def _capitalised(token: str) -> bool:
    return token[0].isalpha() and token[0].isupper()


def _modifier(tokens: list[re.Match[str]], last: int) -> bool:
    """The name ending at tokens[last] modifies the lower-case noun after it."""
    if _POSSESSIVE.search(tokens[last].group(0)) or last + 1 >= len(tokens):
        return False
    after = tokens[last + 1].group(0)
    return after[0].isalpha() and after[0].islower() and after.lower() not in STOPWORDS


def _checked(token: str) -> list[str]:
    """The parts of a capitalised token worth looking for, folded ("Jean-Pierre's" -> jean,
    pierre)."""
    words = []
    for part in _POSSESSIVE.sub("", token).split("-"):
        word = fold(part).strip("'")
        if (len(word) < 2 or part.isupper() or word in STOPWORDS or word in _CALENDAR
                or word in NOT_NAMES or word.removesuffix("s") in NOT_NAMES
                or not part[:1].isupper()):
            continue
        words.append(word)
    return words
