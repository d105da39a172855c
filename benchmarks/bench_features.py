#!/usr/bin/env python
"""Feature benchmarks: annotating, tabulating and querying artifacts by feature values.

Run it with the python of the environment where lamin_pipes is installed::

    python benchmarks/bench_features.py                      # lamin_pipes, SQLite (+ PostgreSQL)
    python benchmarks/bench_features.py --quick              # small sizes, a smoke run
    python benchmarks/bench_features.py --lamindb-python /work/lamindb-ref/venv/bin/python

Workloads (the same functions for both engines, on the API they share):

1. ``artifact.features.add_values({"f_str": ..., "f_int": ..., "f_cat": ...})`` — a
   string, an integer and a ULabel by name — per artifact, each call timed;
2. ``ln.Artifact.filter(key__startswith="bench/").to_dataframe(include="features",
   limit=None)`` over 1,000 artifacts with 5 features each (2 categorical: a ULabel and a
   Record), and over 10,000 (lamindb there only with ``--lamindb-large``);
3. ``ln.Artifact.filter(f_int__gt=500).count()`` and ``filter(f_cat="label 7").count()``
   over the 1,000.

Each engine and backend runs in worker processes (this file, started with ``--worker``;
for lamindb, by the lamindb python) on throw-away instances; the harness (timing, engines,
table, PostgreSQL) is ``_common.py``. The table goes to stdout, progress to stderr, all figures to ``benchmarks/results/features.json``.
Read the figures as ratios measured on one machine in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _common import (  # standard library only: runs under either python
    LimitRow,
    base_parser,
    engine_meta,
    fmt,
    lamin_pipes_target,
    lamindb_target,
    measurement,
    on_postgres,
    open_engine,
    render_limit_table,
    run_and_report,
    run_phase,
    run_step,
    start_targets,
    timed,
    write_figures,
)

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "features.json"
PHASES = ("main", "large")
N_LABELS = 100
N_RECORDS = 50


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does."""

    artifacts: int = 1_000  # artifacts of the main phase
    large: int = 10_000  # artifacts of the large phase
    add_calls: int = 300  # timed add_values calls (one artifact each)
    df_repeats: int = 5
    filter_calls: int = 30
    lamindb_large: bool = False


FULL = Sizes()
QUICK = Sizes(artifacts=200, large=500, add_calls=50, df_repeats=3, filter_calls=10)


ROWS: tuple[LimitRow, ...] = (
    LimitRow("add_values", "1 features.add_values(str, int, cat), per artifact", "ms", 1.8),
    LimitRow(
        "to_dataframe",
        "2 to_dataframe(include='features'), {artifacts:,} artifacts x 5 features",
        "ms",
        12,
    ),
    LimitRow("to_dataframe_large", "2 ditto, {large:,} artifacts", "ms"),
    LimitRow("filter_int", "3 filter(f_int__gt=500).count(), {artifacts:,} artifacts", "ms", 6),
    LimitRow("filter_cat", "3 filter(f_cat='label 7').count(), {artifacts:,} artifacts", "ms", 2.5),
)


# --------------------------------------------------------------------------------------
# Workloads (shared by both engines)
# --------------------------------------------------------------------------------------


def setup(ln: Any, n: int, work: Path) -> dict[str, Any]:
    """Features, labels and ``n`` small artifacts (one file each)."""
    ln.Feature(name="f_str", dtype=str).save()
    ln.Feature(name="f_int", dtype=int).save()
    ln.Feature(name="f_float", dtype=float).save()
    ln.Feature(name="f_cat", dtype=ln.ULabel).save()
    ln.Feature(name="f_rec", dtype=ln.Record).save()
    ln.save(ln.ULabel.from_values([f"label {i}" for i in range(N_LABELS)], create=True))
    ln.save(ln.Record.from_values([f"rec {i}" for i in range(N_RECORDS)], create=True))
    work.mkdir(parents=True, exist_ok=True)

    def create() -> None:
        for i in range(n):
            path = work / f"{i}.txt"
            path.write_text(f"artifact {i}\n")
            ln.Artifact(path, key=f"bench/{i}.txt").save()

    elapsed, _ = timed(create)
    return measurement([elapsed], "s", n=n, note="Artifact(path, key=...).save() one by one")


def artifacts(ln: Any) -> list[Any]:
    found = list(ln.Artifact.filter(key__startswith="bench/"))
    return sorted(found, key=lambda a: int(a.key.split("/")[1].split(".")[0]))


def three_values(i: int) -> dict[str, Any]:
    return {"f_str": f"value {i}", "f_int": i, "f_cat": f"label {i % N_LABELS}"}


def two_more(i: int) -> dict[str, Any]:
    return {"f_float": i / 3, "f_rec": f"rec {i % N_RECORDS}"}


def bench_add_values(ln: Any, items: list[Any], sizes: Sizes) -> dict[str, Any]:
    """Workload 1, then (untimed) the values of the other artifacts and features."""
    samples = []
    for i, artifact in enumerate(items):
        if i < sizes.add_calls:
            elapsed, _ = timed(lambda a=artifact, i=i: a.features.add_values(three_values(i)))
            samples.append(elapsed)
        else:
            artifact.features.add_values(three_values(i))
        artifact.features.add_values(two_more(i))
    values = items[1].features.get_values()
    expected = {**three_values(1), **two_more(1)}
    if {k: values.get(k) for k in expected} != expected:
        raise AssertionError(f"get_values() gave {values}, expected {expected}")
    result = measurement(samples[5:], "ms", calls=len(samples) - 5, note="first 5 calls: warm-up")
    result["mean"] = statistics.fmean(result["samples"])
    result["samples"] = []
    return result


def fill(ln: Any, items: list[Any]) -> None:
    for i, artifact in enumerate(items):
        artifact.features.add_values({**three_values(i), **two_more(i)})


def bench_to_dataframe(ln: Any, n: int, repeats: int) -> dict[str, Any]:
    def run() -> Any:
        qs = ln.Artifact.filter(key__startswith="bench/")
        return qs.to_dataframe(include="features", limit=None)

    frame = run()  # warm-up
    missing = {"f_str", "f_int", "f_float", "f_cat", "f_rec"} - set(frame.columns)
    if len(frame) != n or missing:
        raise AssertionError(f"{len(frame)} rows (expected {n}), missing columns {missing}")
    samples = [timed(run)[0] for _ in range(repeats)]
    return measurement(samples, "ms", rows=len(frame), columns=len(frame.columns))


def bench_filter(ln: Any, calls: int, expected: int, **lookup: Any) -> dict[str, Any]:
    def run() -> int:
        return int(ln.Artifact.filter(**lookup).count())

    found = run()  # warm-up
    if found != expected:
        raise AssertionError(f"filter({lookup}).count() = {found}, expected {expected}")
    samples = [timed(run)[0] for _ in range(calls)]
    return measurement(samples, "ms", calls=calls, lookup=str(lookup))


def phase_main(ln: Any, engine: str, sizes: Sizes, work: Path, results: dict[str, Any]) -> None:
    run_step(results, "setup", lambda: setup(ln, sizes.artifacts, work))
    items = artifacts(ln)
    run_step(results, "add_values", lambda: bench_add_values(ln, items, sizes))
    run_step(
        results,
        "to_dataframe",
        lambda: bench_to_dataframe(ln, sizes.artifacts, sizes.df_repeats),
    )
    above = max(sizes.artifacts - 501, 0)
    run_step(
        results, "filter_int", lambda: bench_filter(ln, sizes.filter_calls, above, f_int__gt=500)
    )
    per_label = len(range(7, sizes.artifacts, N_LABELS))
    run_step(
        results,
        "filter_cat",
        lambda: bench_filter(ln, sizes.filter_calls, per_label, f_cat="label 7"),
    )


def phase_large(ln: Any, engine: str, sizes: Sizes, work: Path, results: dict[str, Any]) -> None:
    if engine == "lamindb" and not sizes.lamindb_large:
        return
    run_step(results, "setup_large", lambda: setup(ln, sizes.large, work))
    run_step(results, "fill_large", lambda: _fill_timed(ln))
    run_step(
        results,
        "to_dataframe_large",
        lambda: bench_to_dataframe(ln, sizes.large, max(sizes.df_repeats - 2, 1)),
    )


def _fill_timed(ln: Any) -> dict[str, Any]:
    items = artifacts(ln)
    elapsed, _ = timed(lambda: fill(ln, items))
    return measurement([elapsed], "s", n=len(items), note="add_values of 5 features per artifact")


def worker(args: argparse.Namespace) -> int:
    sizes = Sizes(**json.loads(args.sizes))
    ln = open_engine(args.worker, args.db, args.storage)
    results: dict[str, Any] = {}
    work = Path.cwd() / f"files-{args.phase}"
    {"main": phase_main, "large": phase_large}[args.phase](ln, args.worker, sizes, work, results)
    return write_figures(args.out, engine_meta(args.worker, ln), results)


# --------------------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------------------


def run_targets(args: argparse.Namespace, sizes: Sizes, tmp: Path) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    with contextlib.ExitStack() as stack:
        targets, pg_version = start_targets(
            args,
            stack,
            runs,
            skipped,
            databases={phase: f"lpbench_features_{os.getpid()}_{phase}" for phase in PHASES},
            lamin_pipes=lambda backend, urls: lamin_pipes_target(
                backend, tmp / f"lamin_pipes-{backend}", PHASES, urls
            ),
            lamindb=lambda python: lamindb_target(python, tmp, PHASES, "lpbench-features"),
        )
        # phase by phase, engines one after the other
        for phase in PHASES:
            for target in targets:
                run = runs.setdefault(target.name, {"meta": {}, "results": {}})
                run_phase(target, phase, sizes, run, script=Path(__file__))
                if target.backend == "postgresql":
                    on_postgres(run, pg_version)
    runs["_skipped"] = {"notes": skipped}
    return runs


def notes(runs: dict[str, dict[str, Any]], skipped: list[str]) -> list[str]:
    lines = []
    for name, run in runs.items():
        results = run["results"]
        for key in ("setup", "setup_large", "fill_large"):
            item = results.get(key, {})
            if "value" in item:
                lines.append(
                    f"{name}: {key} {fmt(item['value'])} s ({item['n']:,}; {item['note']})"
                )
        add = results.get("add_values", {})
        if "mean" in add:
            lines.append(f"{name}: add_values mean {fmt(add['mean'])} ms per call")
        for key, item in results.items():
            if isinstance(item, dict) and "error" in item:
                lines.append(f"{name}: {key} FAILED: {str(item['error']).splitlines()[0]}")
    lines.append(
        "lamindb/lp = lamindb's time over lamin_pipes' on SQLite (> 1: lamin_pipes is faster); "
        "lamindb runs with settings.verbosity='error'."
    )
    lines.extend(skipped)
    return lines


def orchestrate(args: argparse.Namespace) -> int:
    sizes = QUICK if args.quick else FULL
    if args.lamindb_large:
        sizes = Sizes(**{**asdict(sizes), "lamindb_large": True})
    return run_and_report(
        args,
        sizes,
        title="Feature benchmarks",
        about="lp = lamin_pipes.",
        tmp_prefix="lpbench-features-",
        run_targets=lambda tmp, _: run_targets(args, sizes, tmp),
        table=lambda runs: render_limit_table(runs, ROWS, sizes, quick=args.quick),
        notes=notes,
    )


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(
        __doc__.splitlines()[0],
        quick_help="small sizes, for a smoke run",
        postgres_help="PostgreSQL server to create throw-away databases on",
        json_default=DEFAULT_JSON,
        phases=PHASES,
    )
    parser.add_argument(
        "--lamindb-large",
        action="store_true",
        help="also run lamindb over the 10,000 artifacts (slow to set up)",
    )
    args = parser.parse_args(argv)
    return worker(args) if args.worker else orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
