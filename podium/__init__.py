"""Podium: question answering over press transcripts with exact citations."""
