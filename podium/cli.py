"""The `podium` command: thin argument handling over podium.app."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from podium.config import LoadedSettings, Settings, flatten, load_settings
from podium.errors import PodiumError
from podium.eval.cli import add_eval_parser, run_eval
from podium.train.cli import add_train_parser

if TYPE_CHECKING:
    from podium.qa.schema import Citation, Source

logger = logging.getLogger("podium")

SOME_SKIPPED = 3  # `podium ingest` exit status: documents were indexed, some inputs skipped


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS,
                        help="folder for everything Podium writes (env PODIUM_DATA_DIR)")
    common.add_argument("--settings", type=Path, default=argparse.SUPPRESS,
                        help="settings file (default ./settings.toml; env PODIUM_SETTINGS)")
    common.add_argument("--profile", default=argparse.SUPPRESS,
                        help="merge settings.<profile>.toml over the settings (env PODIUM_PROFILE)")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log what Podium does on stderr")
    return common


def _filter_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("filters")
    group.add_argument("--speaker", help="only passages of speakers whose label contains this")
    group.add_argument("--after", metavar="YYYY-MM-DD", help="only transcripts on or after")
    group.add_argument("--before", metavar="YYYY-MM-DD", help="only transcripts on or before")
    group.add_argument("--doc", action="append", default=[], metavar="ID",
                       help="only this document (doc_id, or part of its id or title); repeatable")
    return options


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    common = _common()
    parser = argparse.ArgumentParser(
        prog="podium", parents=[common],
        description="Answer questions about press transcripts, citing their exact words.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser(
        "ingest", parents=[common], help="add or update transcripts",
        epilog="exit status: 0 everything ingested; 3 documents ingested but some inputs "
               "skipped (each listed with its reason); 1 nothing could be ingested; 2 an error; "
               "130 interrupted (run it again to finish)")
    ingest.add_argument("paths", nargs="+", type=Path,
                        help="files or folders (.txt .md .html .jsonl .jsonl.gz)")
    ingest.add_argument("--prune", action="store_true",
                        help="remove indexed documents that are not in these inputs")
    ingest.add_argument("--reindex", action="store_true",
                        help="re-chunk and re-embed these inputs from scratch (after changing "
                             "ingest.chunk_tokens); for a new embedding model use `podium reindex`")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")

    reindex = sub.add_parser(
        "reindex", parents=[common],
        help="re-embed every stored transcript with the configured embedding model")
    reindex.add_argument("--no-progress", action="store_true", help="no progress bar")

    filters = _filter_options()
    ask = sub.add_parser("ask", parents=[common, filters], help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer object as JSON")

    chat = sub.add_parser(
        "chat", parents=[common, filters],
        help="a conversation in the terminal: follow-up questions keep their context")
    chat.add_argument("--json", action="store_true",
                      help="read questions from stdin, print one answer object per line")

    ui = sub.add_parser("ui", parents=[common], help="open the chat page in the browser")
    ui.add_argument("--host", help="address to listen on (setting ui.host, default 127.0.0.1)")
    ui.add_argument("--port", type=int, help="port to listen on (setting ui.port, default 7860)")

    status = sub.add_parser(
        "status", parents=[common],
        help="what the data dir holds: documents, chunks, vectors, model, disk, unfinished work")
    status.add_argument("--json", action="store_true", help="print as JSON")

    config = sub.add_parser("config", parents=[common],
                            help="show the effective settings and where each came from")
    config.add_argument("--json", action="store_true", help="print as JSON")
    add_eval_parser(sub, common)
    add_train_parser(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `podium` command."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("chromadb", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        loaded = load_settings(
            settings_file=getattr(args, "settings", None),
            profile=getattr(args, "profile", None),
            overrides={"data_dir": args.data_dir} if hasattr(args, "data_dir") else None)
        handler = {"ingest": _ingest, "reindex": _reindex, "ask": _ask, "chat": _chat,
                   "ui": _ui, "config": _config, "status": _status,
                   "eval": run_eval, "train-reranker": _train_reranker}[args.command]
        return handler(args, loaded)
    except PodiumError as exc:
        print(f"podium: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("podium: interrupted", file=sys.stderr)
        return 130


def _train_reranker(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    from podium.train.cli import run_train  # torch only for this command

    return run_train(args, loaded)


def _app(settings: Settings) -> Any:
    from podium.app import build_app  # heavy imports only for commands that need them

    return build_app(settings)


def _background(nice: int) -> None:
    """Run at a lower priority (nice level), before any worker thread starts: Linux keeps the
    level per thread, and new threads take their creator's."""
    if nice > 0:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, min(19, max(current, nice)))


def _ingest(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    _background(loaded.settings.ingest.nice)
    app = _app(loaded.settings)
    report = app.ingest(args.paths, prune=args.prune, reindex=args.reindex,
                        progress=not args.no_progress)
    print(report.summary())
    for skipped in report.skipped:
        print(f"  skipped {skipped.source}: {skipped.reason}")
    if report.interrupted:
        print("podium: interrupted; run the same command again to finish", file=sys.stderr)
        return 130
    if report.ingested == 0:
        print("podium: nothing could be ingested", file=sys.stderr)
        return 1
    if report.skipped:
        print(f"podium: {len(report.skipped)} input(s) skipped (listed above); the other "
              f"{report.ingested} document(s) are indexed", file=sys.stderr)
        return SOME_SKIPPED
    return 0


def _reindex(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    _background(loaded.settings.ingest.nice)
    report = _app(loaded.settings).reindex(progress=not args.no_progress)
    print(report.summary())
    return 130 if report.interrupted else 0


def _filters(args: argparse.Namespace) -> Any:
    from podium.qa.retrieve import Filters

    return Filters(speaker=args.speaker, after=args.after, before=args.before,
                   docs=tuple(args.doc))


def _ask(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    app = _app(loaded.settings)
    app.warm_up()
    if args.json:
        answer = app.ask(args.question, filters=_filters(args))
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    _show(app.stream(args.question, filters=_filters(args)))
    return 0


def _chat(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    app = _app(loaded.settings)
    app.warm_up()
    conversation = app.chat(_filters(args))
    if hasattr(sys.stdin, "reconfigure"):  # bytes that are not UTF-8 reach the question check
        sys.stdin.reconfigure(errors="surrogateescape")
    interactive = sys.stdin.isatty() and not args.json
    if interactive:
        print("Ask about the transcripts. /new starts a new conversation; /quit or Ctrl-D ends.")
    while True:
        try:
            line = input("\nyou> " if interactive else "")
        except EOFError:
            return 0
        question = line.strip()
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            conversation.reset()
            if interactive:
                print("(new conversation)")
            continue
        if not question:
            continue
        try:
            if args.json:
                answer = conversation.ask(question)
                print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
            else:
                _show(conversation.stream(question))
        except PodiumError as exc:  # a bad question must not end the conversation
            print(f"podium: {exc}", file=sys.stderr)


def _show(events: Any) -> None:
    """Print an answer stream as it arrives, then its citations."""
    from podium.qa.schema import Delta, Done, Found, Revised, Standalone, found_line

    for event in events:
        if isinstance(event, Standalone):
            print(f"(asking: {event.question})", flush=True)
        elif isinstance(event, Found) and not event.shown:
            print(f"({found_line(event)})", flush=True)
        elif isinstance(event, Found) and event.best is not None:
            _print_best(event.best)
        elif isinstance(event, Delta):
            print(event.text, end="", flush=True)
        elif isinstance(event, Revised):
            print(f"\n\nChecked answer: {event.text}", end="", flush=True)
        elif isinstance(event, Done):
            answer = event.answer
    print()
    for c in answer.citations:
        print(f"\n[{c.n}] {_heading(c)}  ({c.doc_id})")
        print(_quoted(c.quote))
    seconds = answer.timings_ms.get("total", 0) / 1000
    first = answer.timings_ms.get("first_token", 0) / 1000
    print(f"\n({seconds:.1f} s, first words after {first:.1f} s · {answer.models.get('llm')} · "
          f"{answer.models.get('embedding')})")


def _print_best(best: Source) -> None:
    """The passage most likely to answer, whole and at its offsets, before the answer."""
    print(f"Best passage: {_heading(best)}  ({best.doc_id}, characters "
          f"{best.start}–{best.end})")
    print(_quoted(best.quote) + "\n", flush=True)


def _heading(passage: Citation | Source) -> str:
    """Title — SPEAKER · date, of a citation or a source."""
    about = " · ".join(x for x in (passage.speaker, passage.date) if x)
    return passage.title + (f" — {about}" if about else "")


def _quoted(quote: str) -> str:
    """The whole quote in quotation marks, wrapped and indented (no word left out)."""
    quote = quote if quote[:1] in "“\"" else f"“{quote}”"
    return textwrap.indent(textwrap.fill(quote, width=96), "    ")


def _ui(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    app = _app(loaded.settings)
    app.warm_up()  # the models load while Gradio is imported and the page is built
    from podium.ui.page import launch

    host = args.host or loaded.settings.ui.host
    port = args.port or loaded.settings.ui.port
    print(f"Podium chat page: http://{host}:{port}/  (Ctrl-C stops it)", flush=True)
    launch(app, host=host, port=port)
    return 0


def _status(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    from podium.status import data_dir_status, format_status

    status = data_dir_status(loaded.settings)
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return 1 if "error" in status["vector_store"] else 0


def _config(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    values = flatten(loaded.settings)  # secrets are SecretStr: shown as "(set)" by _plain
    if args.json:
        rows = {k: {"value": _plain(v), "source": loaded.source_of(k)} for k, v in values.items()}
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(k) for k in values)
    for key, value in values.items():
        print(f"{key:<{width}}  {_plain(value)!s:<40}  ({loaded.source_of(key)})")
    return 0


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "(set)"
    return str(value) if isinstance(value, Path) else value
