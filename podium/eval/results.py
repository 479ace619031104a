"""An evaluated run: scores, summary, gate and baseline comparison; RESULTS.json in and out."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium.config import Settings, flatten
from podium.errors import PodiumError
from podium.eval.dataset import Case
from podium.eval.metrics import (
    CaseResult,
    CaseScore,
    check_thresholds,
    score_case,
    summarise,
    summarise_by_type,
)
from podium.eval.pairing import Comparison, Paired, compare_cases, paired, row_from_json
from podium.eval.runner import RunOutcome

logger = logging.getLogger(__name__)

FORMAT = "podium-eval/1"


@dataclass
class EvalRun:
    """Everything a report or RESULTS.json shows about one run."""

    outcome: RunOutcome
    scores: list[CaseScore]
    summary: dict[str, Any]
    by_type: dict[str, dict[str, Any]]
    thresholds: dict[str, Any]
    gate_failures: list[str]
    comparison: Comparison
    settings: dict[str, Any]
    datasets: list[str]
    limit: int | None = None
    git_commit: str = "unknown"
    baseline: dict[str, Any] | None = None
    baseline_path: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """True when Ctrl-C stopped the run before every case was asked."""
        return self.outcome.interrupted

    @property
    def baseline_paired(self) -> Paired | None:
        """Wins, losses, McNemar p and the accuracy change against the baseline, if any."""
        return None if self.baseline is None else paired(self.comparison)

    @property
    def passed_gate(self) -> bool:
        """No metric beyond its limit and no case that passed in the baseline now failing."""
        return not self.gate_failures and not self.comparison.newly_failing


def evaluate(outcome: RunOutcome, settings: Settings, *, datasets: list[str],
             limit: int | None = None, baseline: dict[str, Any] | None = None,
             baseline_path: str | None = None, git_commit: str = "unknown") -> EvalRun:
    """Score a finished (or interrupted) run and compare it with the thresholds and baseline."""
    k = settings.eval.k
    scores = [score_case(r, k) for r in outcome.results]
    summary = summarise(outcome.results, scores, k)
    notes: list[str] = []
    before_k = (baseline or {}).get("summary", {}).get("k", k)
    if before_k != k:
        notes.append(f"the baseline used k={before_k}, this run k={k}: hit@k is not comparable")
    return EvalRun(
        outcome=outcome, scores=scores, summary=summary,
        by_type=summarise_by_type(outcome.results, scores, k),
        thresholds=settings.eval.model_dump(),
        gate_failures=check_thresholds(summary, settings.eval),
        comparison=compare_cases(outcome.results, scores, baseline),
        settings={key: _plain(v) for key, v in flatten(settings).items()},
        datasets=datasets, limit=limit, git_commit=git_commit,
        baseline=baseline, baseline_path=baseline_path, notes=notes,
    )


def to_json(run: EvalRun) -> dict[str, Any]:
    """The RESULTS.json object: summary, gate, and every case's ask object and scores."""
    cases = []
    for result, score in zip(run.outcome.results, run.scores, strict=True):
        cases.append({
            "id": result.case.id, "type": result.case.type, "where": result.case.where,
            "expected": result.case.expected(), "ask": result.ask, "error": result.error,
            "retrieved": result.retrieved, "citation_exact": result.exact,
            "scores": score.to_dict(),
        })
    return {
        "format": FORMAT, "partial": run.partial,
        "started_at": run.outcome.started_at, "finished_at": run.outcome.finished_at,
        "git_commit": run.git_commit, "datasets": run.datasets, "limit": run.limit,
        "planned_cases": run.outcome.planned, "run_cases": len(run.outcome.results),
        "models": run.outcome.models, "summary": run.summary, "by_type": run.by_type,
        "gate": {"passed": run.passed_gate, "failures": run.gate_failures,
                 "thresholds": run.thresholds,
                 "newly_failing": run.comparison.newly_failing,
                 "newly_passing": run.comparison.newly_passing,
                 "changed_since_baseline": run.comparison.changed,
                 "baseline_paired": _dict(run.baseline_paired)},
        "baseline": run.baseline_path, "notes": run.notes, "settings": run.settings,
        "cases": cases,
    }


def results_from_json(doc: dict[str, Any]) -> list[CaseResult]:
    """Rebuild case results from a RESULTS.json object, to re-score without asking again."""
    out = []
    for item in doc.get("cases", []):
        exp = item["expected"]
        file, _, line = str(item.get("where", ":0")).rpartition(":")
        case = Case(id=exp["id"], type=exp["type"], question=exp["question"],
                    answers=tuple(exp["answers"]), all_of=tuple(exp["all_of"]),
                    sources=tuple(exp["sources"]), evidence=tuple(exp["evidence"]),
                    file=file, line=int(line) if line.isdigit() else 0)
        out.append(CaseResult(case=case, ask=item.get("ask"), retrieved=item.get("retrieved", []),
                              exact=item.get("citation_exact", []), error=item.get("error")))
    return out


def load_results(path: Path, role: str = "baseline") -> dict[str, Any]:
    """Read a RESULTS.json written by `podium eval --out`; PodiumError if it is not one.

    `role` names the file in the messages ("baseline", "run").
    """
    hint = "pass a file written by `podium eval --out`"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PodiumError(f"{role} {path} does not exist",
                          hint="pass a previous --out file, or create it with "
                               "--update-baseline") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PodiumError(f"{role} {path} is not readable JSON ({exc})", hint=hint) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or \
            not isinstance(doc.get("cases"), list):
        raise PodiumError(f"{role} {path} is not a `podium eval` results file ({FORMAT})",
                          hint=hint)
    problem = _case_problem(doc["cases"])
    if problem:
        raise PodiumError(f"{role} {path} is not a `podium eval` results file: {problem}",
                          hint=hint)
    return doc


def _case_problem(cases: list[Any]) -> str | None:
    """What makes a results file's cases unreadable, or None."""
    for i, item in enumerate(cases, start=1):
        try:
            row_from_json(item)
        except KeyError as exc:
            return f"case {i} has no {exc}"
        except (TypeError, AttributeError):
            return f"case {i} is not a case object"
    return None


def write_json(path: Path, doc: dict[str, Any]) -> None:
    """Write JSON atomically (a temporary file renamed over the target)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    logger.info("wrote %s", path)


def git_commit(cwd: Path | None = None) -> str:
    """The short hash of HEAD, or "unknown" when git or a repository is missing."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd,
                              capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def _dict(stats: Paired | None) -> dict[str, Any] | None:
    return stats.to_dict() if stats else None


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
