"""The chunk index (Chroma) and the document store (SQLite)."""
