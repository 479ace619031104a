"""`podium eval DATASET…`: argument wiring and the command itself (cli.py calls these two)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium.config import LoadedSettings
from podium.errors import PodiumError

if TYPE_CHECKING:
    from podium.app import Podium
    from podium.eval.dataset import Case
    from podium.eval.results import EvalRun

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_GATE, EXIT_INTERRUPTED = 0, 1, 130
EXPORT_FEEDBACK = "export-feedback"  # `podium eval export-feedback [--out CASES.jsonl]`
COMPARE = "compare"  # `podium eval compare RUN.json RUN.json [RUN.json…] [--html F] [--json]`


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_eval_parser(subparsers: Any, common_parent: argparse.ArgumentParser) -> None:
    """Add the `eval` subcommand to the `podium` parser's subparsers."""
    p = subparsers.add_parser(
        "eval", parents=[common_parent], help="run the regression eval sets and gate on them",
        description="Ask every case of the eval sets, score the answers, write results and a "
                    "report, and exit 1 when a metric is below its limit (settings [eval]) or a "
                    "case that passed in the baseline fails now; 2 for bad input.")
    p.add_argument("datasets", nargs="+", type=Path, metavar="DATASET",
                   help="eval sets (JSONL, one case a line; see eval/README.md), or "
                        "`export-feedback` to write the answers rated in `podium ui` as eval-case "
                        "templates (to --out, default <data-dir>/feedback-cases.jsonl), or "
                        "`compare RUN.json RUN.json [RUN.json…]` to compare --out files of "
                        "one eval set case by case against the first")
    p.add_argument("--out", type=Path, metavar="RESULTS.json",
                   help="write the summary and every case's ask object and scores "
                        "(default <data-dir>/eval/<time>/results.json)")
    p.add_argument("--report", type=Path, metavar="REPORT.html",
                   help="write the HTML report, and REPORT.md next to it "
                        "(default <data-dir>/eval/<time>/report.html)")
    p.add_argument("--baseline", type=Path, metavar="BASELINE.json",
                   help="a previous --out file to compare with")
    p.add_argument("--update-baseline", action="store_true",
                   help="write this run's results to the --baseline path, accepting its changes")
    p.add_argument("--ingest", nargs="+", action="extend", type=Path, default=[],
                   metavar="PATH", help="ingest these transcripts first (put it after DATASET)")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="run the first N cases only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true",
                   help="print the summary, per-type figures, failures by stage and each "
                        "case's verdict as one JSON object instead of text (with `compare`: "
                        "the comparison)")
    p.add_argument("--html", type=Path, metavar="OUT.html",
                   help="with `compare`: also write a page with the runs' answers side by side")


def run_eval(args: argparse.Namespace, loaded_settings: LoadedSettings) -> int:
    """Run `podium eval`; 0 passed, 1 gate failed, 130 interrupted; PodiumError for bad input."""
    from podium.app import build_app  # heavy imports only when the command runs
    from podium.eval.dataset import load_dataset, validate_sources
    from podium.eval.results import load_results

    settings = loaded_settings.settings
    if [str(d) for d in args.datasets] == [EXPORT_FEEDBACK]:
        from podium.eval.feedback_cli import run_export_feedback

        return run_export_feedback(settings.data_dir, args.out)
    if args.datasets and str(args.datasets[0]) == COMPARE:
        from podium.eval.compare_cli import run_compare

        return run_compare(args.datasets[1:], html=args.html, as_json=args.json)
    if args.html is not None:
        raise PodiumError("--html is for `podium eval compare` (the run's report is --report)")
    if args.update_baseline and args.baseline is None:
        raise PodiumError("--update-baseline needs --baseline PATH",
                          hint="podium eval eval/seed.jsonl --baseline eval/baseline.json "
                               "--update-baseline")
    if args.update_baseline and args.limit is not None:
        raise PodiumError("--update-baseline with --limit would drop cases from the baseline",
                          hint="run every case to update the baseline")
    cases = load_dataset(args.datasets)
    baseline = None
    if args.baseline is not None and (args.baseline.exists() or not args.update_baseline):
        baseline = load_results(args.baseline)
    app = build_app(settings)
    if args.ingest:
        report = app.ingest(args.ingest, progress=not args.no_progress)
        print(report.summary(), file=sys.stderr)
        if report.interrupted:
            return EXIT_INTERRUPTED
    if app.docstore.counts()["complete"] == 0:
        raise PodiumError(f"nothing is indexed in {settings.data_dir}",
                          hint="pass --ingest data/transcripts, or run `podium ingest` first")
    validate_sources(cases, lambda doc_id: _text(app, doc_id))
    return _run(app, cases[: args.limit] if args.limit else cases, args, loaded_settings,
                baseline)


def _text(app: Podium, doc_id: str) -> str | None:
    doc = app.docstore.get(doc_id)
    return doc.text if doc is not None else None


def _run(app: Podium, cases: list[Case], args: argparse.Namespace, loaded: LoadedSettings,
         baseline: dict[str, Any] | None) -> int:
    from podium.eval.report import write_reports
    from podium.eval.results import evaluate, git_commit, to_json, write_json
    from podium.eval.runner import run_cases

    settings = loaded.settings
    outcome = run_cases(app, cases, progress=not args.no_progress)
    run = evaluate(outcome, settings, datasets=[str(p) for p in args.datasets], limit=args.limit,
                   baseline=baseline, git_commit=git_commit(Path(__file__).resolve().parent),
                   baseline_path=str(args.baseline) if args.baseline else None)
    default_dir = _new_run_dir(settings.data_dir / "eval")
    out_path = args.out or default_dir / "results.json"
    if args.update_baseline:
        if run.partial:
            run.notes.append("baseline NOT updated: the run was interrupted")
        else:
            run.notes.append(f"baseline updated: {args.baseline} now holds this run")
    doc = to_json(run)
    write_json(out_path, doc)
    html_path, md_path = write_reports(run, args.report or default_dir / "report.html")
    if args.update_baseline and not run.partial:
        write_json(args.baseline, doc)
    if args.json:
        print(json.dumps(_json_summary(run, doc, out_path, html_path), ensure_ascii=False,
                         indent=2))
    else:
        _print_summary(run, out_path, html_path, md_path)
    if run.partial:
        return EXIT_INTERRUPTED
    regressed = bool(run.comparison.newly_failing) and not args.update_baseline
    return EXIT_GATE if run.gate_failures or regressed else EXIT_OK


def _json_summary(run: EvalRun, doc: dict[str, Any], out_path: Path, html_path: Path
                  ) -> dict[str, Any]:
    """What `podium eval --json` prints: the figures and each case's verdict and stage."""
    return {"passed_gate": run.passed_gate, "partial": run.partial,
            "summary": doc["summary"], "by_type": doc["by_type"],
            "gate_failures": run.gate_failures,
            "newly_failing": run.comparison.newly_failing,
            "baseline_paired": doc["gate"]["baseline_paired"],
            "cases": [{"id": r.case.id, "type": r.case.type, "passed": s.passed,
                       "stage": s.stage, "reasons": s.reasons}
                      for r, s in zip(run.outcome.results, run.scores, strict=True)],
            "results": str(out_path), "report": str(html_path)}


def _new_run_dir(root: Path) -> Path:
    """<root>/<UTC time>, with a -2, -3 … suffix when a run of the same second exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    candidate, n = root / stamp, 2
    while candidate.exists():
        candidate, n = root / f"{stamp}-{n}", n + 1
    return candidate


def _print_summary(run: EvalRun, out_path: Path, html_path: Path, md_path: Path) -> None:
    from podium.eval.view import headline, paired_line

    s = run.summary
    rows = {r.key: r for r in headline(run)}
    shown = ("accuracy", "hit_at_k", "mrr", "cited_source_precision", "citation_exactness",
             "invalid_marker_rate", "abstention_recall", "latency_total_p95_ms")
    print(f"eval: {s['passed']} of {s['cases']} cases passed"
          + (f" (PARTIAL: interrupted, {run.outcome.planned} planned)" if run.partial else ""))
    for key in shown:
        r = rows[key]
        change = f"  ({r.arrow} {r.delta} vs baseline)" if r.delta else ""
        interval = f"  [{r.interval}]" if r.interval else ""
        print(f"  {r.label:<24} {r.now:>10}{interval}{change}")
    stages = s.get("failures_by_stage") or {}
    if stages:
        print("  failures by stage: " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    print(f"gate: {'passed' if run.passed_gate else 'FAILED'}"
          + (" (partial run: not conclusive)" if run.partial else ""))
    for failure in run.gate_failures:
        print(f"  {failure}")
    for case_id in run.comparison.newly_failing:
        print(f"  regression: {case_id} passed in the baseline and fails now")
    if run.baseline_paired is not None:
        print(paired_line(run.baseline_paired))
    for note in run.notes:
        print(note)
    print(f"results: {out_path}\nreport:  {html_path}  ({md_path.name})")
