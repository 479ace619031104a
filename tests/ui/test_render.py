"""The page's HTML for the best passage: escaped, before the answer, opened like a citation."""

from html import unescape

from podium.qa.schema import Source
from podium.ui import render
from podium.ui.render import Turn
from podium.vectorstore.docstore import StoredDocument

TEXT = ('MINISTER <b>LEE</b>:  Thanks. The lanterns <img src=x onerror="x()"> will be relit '
        "on Tuesday & Wednesday.\n")
QUOTE = 'The lanterns <img src=x onerror="x()"> will be relit on Tuesday & Wednesday.'
START = TEXT.index(QUOTE)
BEST = Source(doc_id='lanterns "1".txt', title="Harbour <script>x()</script>", date="2024-05-07",
              speaker="MINISTER <b>LEE</b>", quote=QUOTE, start=START, end=START + len(QUOTE),
              score=0.9, similarity=0.6)


def _html(state: str) -> str:
    return render.conversation([Turn("When? <i>now</i>", text="On Tuesday [1].", state=state,
                                     best=BEST)])


def test_the_best_passage_is_escaped_and_comes_before_the_answer() -> None:
    html = _html("streaming")
    best = html.split('<div class="best"', 1)[1].split("</div>", 1)[0]
    assert html.index('<div class="best"') < html.index('<div class="text">On Tuesday')
    assert "<img" not in html and "<script>" not in html and "<b>" not in html
    assert 'data-doc="lanterns &quot;1&quot;.txt"' in best
    assert f'data-start="{BEST.start}" data-end="{BEST.end}"' in best
    assert '<span class="best-head">Best passage</span>' in best
    quote = best.split('<span class="quote">', 1)[1].split("</span>", 1)[0]
    assert unescape(quote) == QUOTE == TEXT[BEST.start:BEST.end]
    assert "MINISTER &lt;b&gt;LEE&lt;/b&gt; · Harbour &lt;script&gt;" in best
    assert '<div class="best"' in _html("done")  # kept above the finished answer


def test_no_best_passage_when_abstained() -> None:
    assert '<div class="best"' not in _html("abstained")
    assert '<div class="best"' not in render.conversation([Turn("When?", text="…")])


def test_the_best_passage_chip_opens_its_transcript_with_the_quote_marked() -> None:
    assert render.best_label(BEST) == "Best passage · Minister <B>Lee</B> · " + BEST.title
    doc = StoredDocument(BEST.doc_id, "lanterns.txt", "h", "complete", BEST.title,
                         BEST.date, ["MINISTER <b>LEE</b>"], {}, TEXT, 1)
    html = render.transcript(doc, BEST)
    marked = html.split('<mark id="podium-hl">', 1)[1].split("</mark>", 1)[0]
    assert unescape(marked) == QUOTE and "<img" not in html
    assert (f'<div class="doc-cited">Best passage MINISTER &lt;b&gt;LEE&lt;/b&gt;, characters '
            f"{BEST.start}–{BEST.end}</div>") in html
