"""`podium eval compare`: runs of one eval set, case by case, each against the first.

Pure functions over RESULTS.json objects; podium.eval.compare_render prints and draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium.errors import PodiumError
from podium.eval.metrics import FAILURE_STAGES
from podium.eval.pairing import CaseRow, Comparison, Paired, diff_rows, paired, row_from_json
from podium.eval.results import load_results
from podium.eval.stats import mcnemar_exact, percentile, rounded, wilson

FORMAT = "podium-eval-compare/1"
# (key, label, unit): what `compare` reports p50 and p95 of; prompt_tokens is the answer's
# `usage.prompt_tokens`, the others its timings_ms.
MEASURES = (("prompt_tokens", "prompt tokens", "tokens"), ("first_token", "first words", "ms"),
            ("total", "total time", "ms"))


@dataclass(frozen=True)
class Run:
    """One RESULTS.json: its path, the object and its cases."""

    path: str
    doc: dict[str, Any]
    rows: list[CaseRow]

    @property
    def eval_sets(self) -> list[str]:
        """The file names of the eval sets the run asked (folders dropped), sorted."""
        return sorted(Path(str(d)).name for d in self.doc.get("datasets") or [])

    def meta(self) -> dict[str, Any]:
        """Where the run came from: commit, start time, models, partial or not."""
        return {"path": self.path, "git_commit": self.doc.get("git_commit"),
                "started_at": self.doc.get("started_at"), "datasets": self.doc.get("datasets"),
                "partial": bool(self.doc.get("partial")), "models": self.doc.get("models")}


@dataclass(frozen=True)
class Measure:
    """p50 and p95 of one measure in each run, over the cases compared (None: not recorded)."""

    key: str
    label: str
    unit: str
    p50: list[float | None]
    p95: list[float | None]


@dataclass(frozen=True)
class StageRow:
    """How many compared cases a stage lost in each run; McNemar p of each run against the
    first on the cases lost there in one run only (None for the first run)."""

    stage: str
    lost: list[int]
    p: list[float | None]


@dataclass
class Compared:
    """Everything `compare` reports."""

    runs: list[Run]
    common: list[str]
    left_out: dict[str, str]
    rows: list[list[CaseRow]]  # per run, the compared cases in the first run's order
    diffs: list[Comparison]  # per later run, against the first
    stats: list[Paired]
    stages: list[StageRow] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)

    def marks(self, index: int) -> list[str]:
        """Per run, "won", "lost" or "" for the case at `index` of the compared cases."""
        case_id = self.common[index]
        out = [""]
        for diff in self.diffs:
            out.append("won" if case_id in diff.newly_passing
                       else "lost" if case_id in diff.newly_failing else "")
        return out


def load_run(path: Path) -> Run:
    """Read one run; PodiumError (one line) when the file is not a `podium eval --out` file."""
    try:
        doc = load_results(path, role="run")
    except PodiumError as exc:
        raise PodiumError(exc.message) from None
    return Run(str(path), doc, [row_from_json(item) for item in doc["cases"]])


def load_runs(paths: list[Path]) -> list[Run]:
    """Read and check the runs to compare; PodiumError for one run alone or different sets."""
    if len(paths) < 2:
        got = f"got only {paths[0]}" if paths else "got none"
        raise PodiumError(f"compare needs at least two runs (RUN.json RUN.json …); {got}")
    runs = [load_run(path) for path in paths]
    first = runs[0]
    for run in runs[1:]:
        if first.eval_sets and run.eval_sets and first.eval_sets != run.eval_sets:
            raise PodiumError(
                f"{run.path} is a run of {', '.join(run.eval_sets)} and {first.path} of "
                f"{', '.join(first.eval_sets)}: runs of different eval sets cannot be compared")
        if not {r.id for r in first.rows} & {r.id for r in run.rows}:
            raise PodiumError(f"{run.path} and {first.path} have no case id in common: runs of "
                              "different eval sets cannot be compared")
    return runs


def _common(runs: list[Run]) -> tuple[list[str], dict[str, str]]:
    """Ids every run has with the same question (first run's order), and why others are not."""
    by_id = [{row.id: row for row in run.rows} for run in runs]
    first = by_id[0]
    every = list(dict.fromkeys(row.id for run in runs for row in run.rows))
    common, left_out = [], {}
    for case_id in every:
        missing = [run.path for run, rows in zip(runs, by_id, strict=True) if case_id not in rows]
        if missing:
            left_out[case_id] = "not in " + ", ".join(missing)
            continue
        other = [run.path for run, rows in zip(runs, by_id, strict=True)
                 if rows[case_id].question != first[case_id].question]
        if other:
            left_out[case_id] = "question differs in " + ", ".join(other)
        else:
            common.append(case_id)
    order = {row.id: i for i, row in enumerate(runs[0].rows)}
    return sorted(common, key=order.__getitem__), left_out


def compare_runs(runs: list[Run]) -> Compared:
    """Compare the common cases of the runs, each later run against the first."""
    common, left_out = _common(runs)
    if not common:
        raise PodiumError("the runs have no case with the same id and question: runs of "
                          "different eval sets cannot be compared")
    wanted = set(common)
    rows = []
    for run in runs:
        by_id = {row.id: row for row in run.rows if row.id in wanted}
        rows.append([by_id[case_id] for case_id in common])
    diffs = [diff_rows(rows[0], later) for later in rows[1:]]
    out = Compared(runs=runs, common=common, left_out=left_out, rows=rows, diffs=diffs,
                   stats=[paired(d) for d in diffs])
    out.stages = _stages(rows)
    out.measures = [_measure(rows, *m) for m in MEASURES]
    return out


def _stages(rows: list[list[CaseRow]]) -> list[StageRow]:
    """Failures by stage in each run, with a McNemar p per run against the first."""
    out = []
    for stage in FAILURE_STAGES:
        lost = [[not r.passed and r.stage == stage for r in run] for run in rows]
        if not any(any(flags) for flags in lost):
            continue
        ps: list[float | None] = [None]
        for flags in lost[1:]:
            fixed = sum(a and not b for a, b in zip(lost[0], flags, strict=True))
            broke = sum(b and not a for a, b in zip(lost[0], flags, strict=True))
            ps.append(mcnemar_exact(fixed, broke))
        out.append(StageRow(stage, [sum(flags) for flags in lost], ps))
    return out


def _measure(rows: list[list[CaseRow]], key: str, label: str, unit: str) -> Measure:
    """p50 and p95 of a timing (or of the prompt tokens) in each run."""
    p50: list[float | None] = []
    p95: list[float | None] = []
    for run in rows:
        values = [r.prompt_tokens if key == "prompt_tokens" else r.timings.get(key) for r in run]
        present = [v for v in values if v is not None]
        p50.append(percentile(present, 50))
        p95.append(percentile(present, 95))
    return Measure(key, label, unit, p50, p95)


def accuracy(rows: list[CaseRow]) -> tuple[int, float | None, list[float] | None]:
    """Cases passed, their share and its Wilson interval."""
    passed = sum(r.passed for r in rows)
    return passed, passed / len(rows) if rows else None, rounded(wilson(passed, len(rows)))


def to_json(result: Compared) -> dict[str, Any]:
    """What `podium eval compare --json` prints."""
    runs = []
    for run, rows in zip(result.runs, result.rows, strict=True):
        passed, share, ci = accuracy(rows)
        runs.append({**run.meta(), "cases": len(rows), "passed": passed, "accuracy": share,
                     "accuracy_ci": ci})
    pairs = []
    for run, diff, stats in zip(result.runs[1:], result.diffs, result.stats, strict=True):
        pairs.append({"run": run.path, "against": result.runs[0].path,
                      "won": diff.newly_passing, "lost": diff.newly_failing,
                      "mcnemar_p": stats.p, "accuracy_diff": stats.diff,
                      "accuracy_diff_ci": rounded(stats.diff_ci)})
    cases = [{"id": case_id, "type": result.rows[0][i].type,
              "question": result.rows[0][i].question, "vs_first": result.marks(i),
              "runs": [{"passed": rows[i].passed, "stage": rows[i].stage,
                        "abstained": rows[i].abstained, "answer": rows[i].answer}
                       for rows in result.rows]}
             for i, case_id in enumerate(result.common)]
    return {"format": FORMAT, "runs": runs, "common_cases": len(result.common),
            "left_out": result.left_out, "pairs": pairs,
            "stages": [{"stage": s.stage, "lost": s.lost, "mcnemar_p": s.p}
                       for s in result.stages],
            "measures": [{"measure": m.key, "unit": m.unit, "p50": m.p50, "p95": m.p95}
                         for m in result.measures],
            "cases": cases}
