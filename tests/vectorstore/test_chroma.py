"""The chunk index on the embedded store: records that another process is writing are skipped."""

from __future__ import annotations

from pathlib import Path

from podium.app import Podium


def test_a_record_without_podium_metadata_is_not_a_hit(fake_app: Podium, seed_copy: Path
                                                       ) -> None:
    fake_app.ingest([seed_copy], progress=False)
    index = fake_app.index
    query = index.embed_query("Kuleba ammunition")
    # what a query on a Chroma server can return while another process deletes or adds it
    index._collection.add(ids=["half-written"], embeddings=[query], documents=["Kuleba"])
    hits = index.search(query, 5)
    assert hits and all(h.doc_id for h in hits)
    assert "half-written" not in {h.text for h in hits}
    assert fake_app.ask("What did Kuleba say about ammunition?").citations
