"""Loading, parsing and chunking transcripts into the index."""
