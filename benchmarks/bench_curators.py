#!/usr/bin/env python
"""Curator benchmarks: validating a large DataFrame against a schema.

Run it with the python of the environment where lamin_pipes is installed::

    python benchmarks/bench_curators.py                      # lamin_pipes, SQLite (+ PostgreSQL)
    python benchmarks/bench_curators.py --quick              # 100,000 rows, a smoke run
    python benchmarks/bench_curators.py --lamindb-python /work/lamindb-ref/venv/bin/python

The frame has 1,000,000 rows: three categorical columns whose values are ULabels (10, 100
and 1,000 distinct labels) and one float column; the schema has one feature per column.
Workloads (the same functions for both engines):

1. ``DataFrameCurator(df, schema).validate()`` with the three columns as pandas
   ``category`` (the only form lamindb accepts for categorical features without
   coercion);
2. the same with plain string (``object``) columns: lamindb refuses them
   (``WRONG_DATATYPE``), which the table shows;
3. plain string columns against the same schema with ``coerce=True``, which lamindb needs
   for them (it converts the columns to ``category``).

Each validation constructs a new curator (its queries included) and must pass. Each
engine runs in a worker process (this file, started with ``--worker``; for lamindb, by
the lamindb python) on a throw-away instance; the harness (timing, engines, table,
PostgreSQL) is ``_common.py``. The table goes to stdout,
progress to stderr, all figures to ``benchmarks/results/curators.json``. Read the figures
as ratios measured on one machine in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from dataclasses import dataclass
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
DEFAULT_JSON = HERE / "results" / "curators.json"
PHASES = ("main",)
#: Distinct labels of the three categorical columns.
CARDINALITIES = (10, 100, 1_000)


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does."""

    rows: int = 1_000_000
    repeats: int = 5


FULL = Sizes()
QUICK = Sizes(rows=100_000, repeats=3)


ROWS: tuple[LimitRow, ...] = (
    LimitRow(
        "validate_category", "1 validate(), {rows:,} rows, 3 category columns + 1 float", "s", 0.11
    ),
    LimitRow("validate_str", "2 validate(), {rows:,} rows, 3 str columns + 1 float", "s", 0.11),
    LimitRow("validate_str_coerce", "3 ditto, schema with coerce=True", "s"),
)


# --------------------------------------------------------------------------------------
# Workloads (shared by both engines)
# --------------------------------------------------------------------------------------


def labels(column: int) -> list[str]:
    return [f"c{column} label {i}" for i in range(CARDINALITIES[column])]


def setup(ln: Any) -> dict[str, Any]:
    """The ULabels, one feature per column, and two schemas (plain and coercing)."""

    def create() -> None:
        for column in range(len(CARDINALITIES)):
            ln.save(ln.ULabel.from_values(labels(column), create=True))
            ln.Feature(name=f"cat{column}", dtype=ln.ULabel).save()
        ln.Feature(name="value", dtype=float).save()
        features = [ln.Feature.get(name=f"cat{c}") for c in range(len(CARDINALITIES))]
        features.append(ln.Feature.get(name="value"))
        ln.Schema(features, name="bench").save()
        ln.Schema(features, name="bench coerce", coerce=True).save()

    elapsed, _ = timed(create)
    n = sum(CARDINALITIES)
    return measurement([elapsed], "s", n=n, note=f"{n:,} ULabels, 4 features, 2 schemas")


def frame(rows: int, *, category: bool) -> Any:
    """The same frame for both engines: labels drawn with a fixed seed."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    columns: dict[str, Any] = {}
    for column in range(len(CARDINALITIES)):
        values = np.array(labels(column), dtype=object)
        columns[f"cat{column}"] = values[rng.integers(0, len(values), rows)]
    columns["value"] = rng.random(rows)
    df = pd.DataFrame(columns)
    if category:
        df = df.astype({f"cat{c}": "category" for c in range(len(CARDINALITIES))})
    return df


def bench_validate(
    ln: Any, sizes: Sizes, *, category: bool, schema_name: str, engine: str
) -> dict[str, Any]:
    df = frame(sizes.rows, category=category)
    schema = ln.Schema.get(name=schema_name)

    def run() -> None:
        ln.curators.DataFrameCurator(df, schema).validate()

    try:
        run()  # warm-up, and the check that the frame validates
    except ln.errors.ValidationError as error:
        if engine == "lamindb" and not category and schema_name == "bench":
            first = " ".join(str(error).split())[:160]
            return {"refused": True, "note": f"lamindb refuses str columns: {first}"}
        raise
    samples = [timed(run)[0] for _ in range(sizes.repeats)]
    return measurement(samples, "s", rows=sizes.rows, repeats=sizes.repeats)


def phase_main(ln: Any, engine: str, sizes: Sizes, results: dict[str, Any]) -> None:
    run_step(results, "setup", lambda: setup(ln))
    run_step(
        results,
        "validate_category",
        lambda: bench_validate(ln, sizes, category=True, schema_name="bench", engine=engine),
    )
    run_step(
        results,
        "validate_str",
        lambda: bench_validate(ln, sizes, category=False, schema_name="bench", engine=engine),
    )
    run_step(
        results,
        "validate_str_coerce",
        lambda: bench_validate(
            ln, sizes, category=False, schema_name="bench coerce", engine=engine
        ),
    )


def worker(args: argparse.Namespace) -> int:
    sizes = Sizes(**json.loads(args.sizes))
    ln = open_engine(args.worker, args.db, args.storage)
    results: dict[str, Any] = {}
    phase_main(ln, args.worker, sizes, results)
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
            databases={"main": f"lpbench_curators_{os.getpid()}"},
            lamin_pipes=lambda backend, urls: lamin_pipes_target(
                backend, tmp / f"lamin_pipes-{backend}", PHASES, urls
            ),
            lamindb=lambda python: lamindb_target(
                python, tmp, PHASES, "lpbench-curators", shared="main"
            ),
        )
        for target in targets:
            run = runs.setdefault(target.name, {"meta": {}, "results": {}})
            if not run_phase(target, "main", sizes, run, script=Path(__file__)):
                continue
            if target.backend == "postgresql":
                on_postgres(run, pg_version)
    runs["_skipped"] = {"notes": skipped}
    return runs


def notes(runs: dict[str, dict[str, Any]], skipped: list[str]) -> list[str]:
    lines = []
    for name, run in runs.items():
        for key, item in run["results"].items():
            if not isinstance(item, dict):
                continue
            if "error" in item:
                lines.append(f"{name}: {key} FAILED: {str(item['error']).splitlines()[0]}")
            elif item.get("refused") or key == "setup":
                value = f" {fmt(item['value'])} s" if "value" in item else ""
                lines.append(f"{name}: {key}{value}: {item['note']}")
    lines.append(
        "Times are medians of repeated validations, each with a new curator; "
        "lamindb/lp = lamindb's time over lamin_pipes' on SQLite (> 1: lamin_pipes is "
        "faster); lamindb runs with settings.verbosity='error'."
    )
    lines.extend(skipped)
    return lines


def orchestrate(args: argparse.Namespace) -> int:
    sizes = QUICK if args.quick else FULL
    return run_and_report(
        args,
        sizes,
        title="Curator benchmarks",
        about="lp = lamin_pipes.",
        tmp_prefix="lpbench-curators-",
        run_targets=lambda tmp, _: run_targets(args, sizes, tmp),
        table=lambda runs: render_limit_table(runs, ROWS, sizes, quick=args.quick),
        notes=notes,
    )


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(
        __doc__.splitlines()[0],
        quick_help="100,000 rows and fewer repeats, for a smoke run",
        postgres_help="PostgreSQL server to create a throw-away database on",
        json_default=DEFAULT_JSON,
        phases=PHASES,
    )
    args = parser.parse_args(argv)
    return worker(args) if args.worker else orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
