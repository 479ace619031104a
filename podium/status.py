"""`podium status`: what a data dir holds, read without loading a model or writing anything."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from podium.config import Settings
from podium.errors import PodiumError
from podium.models import build_vector_store, describe_vector_store
from podium.vectorstore.chroma import CollectionFacts, collection_facts
from podium.vectorstore.docstore import DocumentStore

PENDING_SHOWN = 20


def data_dir_status(settings: Settings) -> dict[str, Any]:
    """Documents, chunks, keyword rows, vectors, the index's model, disk use and unfinished
    work of the configured data dir, as a JSON-ready dict."""
    data_dir = settings.data_dir
    status: dict[str, Any] = {"data_dir": str(data_dir), "exists": data_dir.is_dir()}
    status.update(_documents(data_dir / "podium.db"))
    status["vector_store"] = _vectors(settings)
    status["disk"] = disk_usage(data_dir)
    status["unfinished"] = _unfinished(status)
    return status


def _documents(db: Path) -> dict[str, Any]:
    if not db.is_file():
        return {"documents": {"complete": 0, "pending": 0}, "chunks": 0, "keyword_rows": 0,
                "pending_ids": []}
    store = DocumentStore(db)
    try:
        counts = store.counts()
        return {"documents": {"complete": counts["complete"], "pending": counts["pending"]},
                "chunks": counts["chunks"], "keyword_rows": store.keyword_count(),
                "pending_ids": store.pending(PENDING_SHOWN)}
    finally:
        store.close()


def _vectors(settings: Settings) -> dict[str, Any]:
    cfg = settings.vectorstore
    out: dict[str, Any] = {"provider": cfg.provider, "where": describe_vector_store(settings),
                           "collection": cfg.collection, "ids": 0, "embedding_model": None,
                           "embedding_dim": None, "reindex": None}
    if cfg.provider == "chroma" and not (settings.data_dir / "chroma").is_dir():
        return out  # nothing embedded yet; do not create the store to look at it
    try:
        live, pending = collection_facts(build_vector_store(settings), cfg.collection)
    except PodiumError as exc:
        return {**out, "error": str(exc)}
    if live is not None:
        out.update(ids=live.ids, embedding_model=live.embedding_model,
                   embedding_dim=live.embedding_dim)
    if pending is not None:
        out["reindex"] = _facts(pending)
    return out


def _facts(facts: CollectionFacts) -> dict[str, Any]:
    return {"collection": facts.name, "ids": facts.ids, "embedding_model": facts.embedding_model,
            "embedding_dim": facts.embedding_dim}


def _unfinished(status: dict[str, Any]) -> list[str]:
    """What an interrupted ingest or reindex left, in words, with the command that finishes it."""
    notes = []
    pending = status["documents"]["pending"]
    if pending:
        notes.append(f"{pending} document(s) pending (an interrupted ingest): run the same "
                     "`podium ingest` again")
    rebuild = status["vector_store"].get("reindex")
    if rebuild:
        notes.append(f"an unfinished `podium reindex` to {rebuild['embedding_model']} "
                     f"({rebuild['ids']:,} vectors so far): run `podium reindex` again")
    vectors = status["vector_store"]
    if not pending and "error" not in vectors and vectors["ids"] != status["chunks"]:
        notes.append(f"the vector store holds {vectors['ids']:,} vectors for "
                     f"{status['chunks']:,} indexed chunks: run `podium reindex`")
    return notes


def disk_usage(folder: Path) -> dict[str, Any]:
    """Bytes under folder, in all and by top-level entry (symlinks not followed)."""
    parts: dict[str, int] = {}
    if folder.is_dir():
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            parts[entry.name] = _size(Path(entry.path))
    total = sum(parts.values())
    return {"bytes": total, "human": human_bytes(total), "parts": parts}


def _size(path: Path) -> int:
    try:
        if path.is_symlink() or not path.is_dir():
            return path.lstat().st_size
        return sum(_size(Path(e.path)) for e in os.scandir(path))
    except OSError:  # removed while we looked
        return 0


def human_bytes(n: float) -> str:
    """1536 → '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def format_status(status: dict[str, Any]) -> str:
    """The status as aligned lines for a terminal."""
    docs, vectors, disk = status["documents"], status["vector_store"], status["disk"]
    model = vectors["embedding_model"] or "(no index yet)"
    if vectors["embedding_dim"]:
        model += f" ({vectors['embedding_dim']} dims)"
    rows = [
        ("data dir", status["data_dir"] + ("" if status["exists"] else " (does not exist)")),
        ("documents", f"{docs['complete']:,} complete, {docs['pending']:,} pending"),
        ("chunks", f"{status['chunks']:,}"),
        ("keyword rows", f"{status['keyword_rows']:,}"),
        ("vectors", f"{vectors['ids']:,} in {vectors['where']}"),
        ("embedding", model),
        ("disk", f"{disk['human']} ({disk['bytes']:,} bytes)"
                 + "".join(f"; {k} {human_bytes(v)}" for k, v in disk["parts"].items())),
    ]
    if "error" in vectors:
        rows.append(("vector store", vectors["error"]))
    rows += [("unfinished", note) for note in status["unfinished"]] or [("unfinished", "none")]
    if status["pending_ids"]:
        rows.append(("pending ids", ", ".join(status["pending_ids"])))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
