"""A local HTTP stand-in for model servers: just enough of the OpenAI and Ollama APIs.

It answers chats with the fake model's reply (the first passage, cited [1]) and embeds with the
fake bag-of-words embedding, and records every request, so tests can check exactly what Podium
sent. It listens on 127.0.0.1 only; nothing leaves the machine.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.fakes import FakeEmbedding, quote_first_passage

EMBEDDER = FakeEmbedding()


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeModelServer:
    """Serves /v1/chat/completions, /v1/embeddings (OpenAI) and /api/chat, /api/embed (Ollama)."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw) if raw else None
                server.requests.append(Recorded("POST", self.path,
                                                {k.lower(): v for k, v in self.headers.items()},
                                                body))
                route = {"/v1/chat/completions": server._openai_chat,
                         "/v1/embeddings": server._openai_embed,
                         "/api/chat": server._ollama_chat,
                         "/api/embed": server._ollama_embed}.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                content_type, chunks = route(body)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.end_headers()
                for chunk in chunks:
                    self.wfile.write(chunk.encode())
                    self.wfile.flush()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [r.path for r in self.requests]

    def __enter__(self) -> FakeModelServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @staticmethod
    def _reply(messages: list[dict[str, Any]]) -> list[str]:
        text = quote_first_passage("\n\n".join(m["content"] for m in messages))
        return re.findall(r"\S+\s*", text)

    def _openai_chat(self, body: dict[str, Any]) -> tuple[str, list[str]]:
        pieces = self._reply(body["messages"])
        if not body.get("stream"):
            return "application/json", [json.dumps({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
                "model": body["model"], "choices": [{
                    "index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "".join(pieces)}}]})]
        events = []
        for piece in [*pieces, None]:
            delta = {"role": "assistant", "content": piece} if piece is not None else {}
            events.append("data: " + json.dumps({
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                "model": body["model"], "choices": [{
                    "index": 0, "delta": delta,
                    "finish_reason": None if piece is not None else "stop"}]}) + "\n\n")
        return "text/event-stream", [*events, "data: [DONE]\n\n"]

    def _openai_embed(self, body: dict[str, Any]) -> tuple[str, list[str]]:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": EMBEDDER.vector(t)}
                for i, t in enumerate(texts)]
        return "application/json", [json.dumps({
            "object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": 0, "total_tokens": 0}})]

    def _ollama_chat(self, body: dict[str, Any]) -> tuple[str, list[str]]:
        pieces = self._reply(body["messages"])
        lines = [json.dumps({"model": body["model"], "created_at": "2026-01-01T00:00:00Z",
                             "message": {"role": "assistant", "content": p}, "done": False})
                 + "\n" for p in pieces]
        if not body.get("stream", True):
            pieces, lines = ["".join(pieces)], []
        final = {"model": body["model"], "created_at": "2026-01-01T00:00:00Z",
                 "message": {"role": "assistant", "content": "" if lines else pieces[0]},
                 "done": True, "done_reason": "stop", "prompt_eval_count": 1, "eval_count": 1}
        return "application/x-ndjson", [*lines, json.dumps(final) + "\n"]

    def _ollama_embed(self, body: dict[str, Any]) -> tuple[str, list[str]]:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return "application/json", [json.dumps({
            "model": body["model"], "embeddings": [EMBEDDER.vector(t) for t in texts]})]
