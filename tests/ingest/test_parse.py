from podium.ingest.chunking import chunk_document
from podium.ingest.parse import parse_document
from tests.conftest import SEED

BOILERPLATE = ["An official website of the United States Government", "Official websites use .gov",
               "The Lessons of 1989", "U.S. Department of State", "Leave a Reply",
               "Your email address", "Accessibility links", "No media source", "0:00 0:03:25"]


def _parse(name: str):  # type: ignore[no-untyped-def]
    path = SEED / name
    return parse_document(name, path.read_text(encoding="utf-8"))


def test_seed_boilerplate_is_dropped_but_the_text_is_kept_verbatim() -> None:
    for path in sorted(SEED.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        doc = parse_document(path.name, text)
        assert doc.text == text
        content = " ".join(text[a:b] for seg in doc.segments for a, b in seg.spans)
        for phrase in BOILERPLATE:
            assert phrase not in content, (path.name, phrase)


def test_speaker_turns_title_and_date() -> None:
    doc = _parse("000_9518d4b573beff47.txt")
    assert doc.speakers == ["SECRETARY BLINKEN", "FOREIGN MINISTER KULEBA"]
    assert [s.speaker for s in doc.segments][:3] == [
        "SECRETARY BLINKEN", "FOREIGN MINISTER KULEBA", "SECRETARY BLINKEN"]
    # A paragraph without a marker continues the previous speaker's turn.
    assert len(doc.segments[0].spans) == 2
    release = _parse("001_0386686246588c25.txt")
    assert release.title == ("Secretary General Commends US For Leadership In NATO, "
                             "Support To Ukraine")
    assert release.date == "2024-04-03"
    assert release.speakers == []


def test_white_house_style_turns() -> None:
    text = ("MS. JEAN-PIERRE:  Good afternoon, everyone.\n\nQ  Thank you, Karine. On NATO?\n\n"
            "MS. JEAN-PIERRE:  The summit is in July.\n\nQ:  And Ukraine?\n\nEND")
    doc = parse_document("wh:pb:1", text, {"title": "Press Briefing", "date": "2024-07-01"})
    assert [s.speaker for s in doc.segments] == ["MS. JEAN-PIERRE", "Q", "MS. JEAN-PIERRE", "Q"]
    assert (doc.title, doc.date) == ("Press Briefing", "2024-07-01")


def test_metadata_speaker_is_the_default_speaker() -> None:
    doc = parse_document("un:1", "Mr. President, I speak for my country.", {"speaker": "Ms. Doe"})
    assert doc.segments[0].speaker == "Ms. Doe"


def test_dates_in_running_text_are_normalised() -> None:
    doc = parse_document("d", "Headline\n\nWASHINGTON, July 11, 2023 — The leaders met.")
    assert doc.date == "2023-07-11"


def test_chunks_hold_exact_offsets_and_one_speaker() -> None:
    for path in sorted(SEED.glob("*.txt")):
        doc = parse_document(path.name, path.read_text(encoding="utf-8"))
        for chunk in chunk_document(doc, 200):
            assert doc.text[chunk.start:chunk.end] == chunk.text
            owners = [s.speaker for s in doc.segments
                      if s.spans[0][0] <= chunk.start and chunk.end <= s.spans[-1][1]]
            assert owners == [chunk.speaker]
