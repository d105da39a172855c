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
the lamindb python) on a throw-away instance; the helpers of ``bench_registry.py``
(timing, engines, table, PostgreSQL) are imported from it. The table goes to stdout,
progress to stderr, all figures to ``benchmarks/results/curators.json``. Read the figures
as ratios measured on one machine in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_registry import (  # noqa: E402  (standard library only: runs under either python)
    Target,
    base_parser,
    engine_meta,
    figure,
    fmt,
    format_table,
    log,
    machine,
    measurement,
    open_engine,
    pg_admin_engine,
    postgres_url,
    report,
    run_step,
    timed,
)
from bench_registry import (  # noqa: E402  (standard library only: runs under either python)
    run_worker as run_registry_worker,
)

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


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    key: str
    label: str
    unit: str
    goal: float | None = None  # lamin_pipes on SQLite below this (at full sizes)


ROWS: tuple[Row, ...] = (
    Row(
        "validate_category", "1 validate(), {rows:,} rows, 3 category columns + 1 float", "s", 0.11
    ),
    Row("validate_str", "2 validate(), {rows:,} rows, 3 str columns + 1 float", "s", 0.11),
    Row("validate_str_coerce", "3 ditto, schema with coerce=True", "s"),
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
    payload = {"meta": engine_meta(args.worker, ln), "results": results}
    Path(args.out).write_text(json.dumps(payload, indent=2))
    return 0


# --------------------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------------------


def lamindb_target(python: str, tmp: Path) -> Target:
    """A lamindb instance (``lamin init``) with a private home and settings."""
    root = tmp / "lamindb"
    target = Target("lamindb", "sqlite", python, root)
    home = root / "home"
    for sub in ("home", "settings", "cache"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    target.env.update(
        HOME=str(home),
        XDG_CACHE_HOME=str(home / ".cache"),
        LAMIN_SETTINGS_DIR=str(root / "settings"),
        LAMIN_CACHE_DIR=str(root / "cache"),
        NO_RICH="1",
    )
    name = "lpbench-curators"
    command = [python, "-m", "lamin_cli", "init", "--storage", "./storage", "--name", name]
    done = subprocess.run(
        command,
        cwd=target.cwd("main"),
        env=target.env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"lamin init failed:\n{done.stdout}\n{done.stderr}")
    target.db["main"] = name
    target.storage["main"] = str(target.cwd("main") / "storage")
    return target


def lamin_pipes_target(backend: str, tmp: Path, pg_url: str | None) -> Target:
    root = tmp / f"lamin_pipes-{backend}"
    target = Target("lamin_pipes", backend, sys.executable, root)
    for var in ("LAMIN_PIPES_DB", "LAMIN_PIPES_STORAGE"):
        target.env.pop(var, None)
    cwd = target.cwd("main")
    target.db["main"] = pg_url or f"sqlite:///{cwd / 'lamin.db'}"
    target.storage["main"] = str(cwd / "storage")
    return target


@contextlib.contextmanager
def pg_database(url: str) -> Iterator[str]:
    """A throw-away database on the server of ``url``, dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from lamin_pipes.core._instance import normalize_url

    name = f"lpbench_curators_{os.getpid()}"
    engine = pg_admin_engine(url)
    base = make_url(normalize_url(url))
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def run_targets(args: argparse.Namespace, sizes: Sizes, tmp: Path) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    targets = [lamin_pipes_target("sqlite", tmp, None)]
    pg_url, pg_version = postgres_url(args, skipped)
    with contextlib.ExitStack() as stack:
        if pg_url:
            targets.append(
                lamin_pipes_target("postgresql", tmp, stack.enter_context(pg_database(pg_url)))
            )
        if args.lamindb_python:
            log("[lamindb/sqlite] creating the instance")
            try:
                targets.append(lamindb_target(args.lamindb_python, tmp))
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
                runs["lamindb/sqlite"] = {"meta": {}, "results": {"setup": {"error": str(error)}}}
        for target in targets:
            run = runs.setdefault(target.name, {"meta": {}, "results": {}})
            payload = run_registry_worker(target, "main", sizes, script=Path(__file__))
            if "error" in payload:
                log(f"[{target.name}] failed: {payload['error']}")
                run["results"]["main_phase"] = payload
                continue
            run["meta"].update(payload["meta"])
            run["results"].update(payload["results"])
            if target.backend == "postgresql":
                run["meta"].pop("sqlite", None)
                run["meta"]["postgresql"] = pg_version
    runs["_skipped"] = {"notes": skipped}
    return runs


def render_table(runs: dict[str, dict[str, Any]], sizes: Sizes, *, quick: bool) -> str:
    lp = runs.get("lamin_pipes/sqlite")
    pg = runs.get("lamin_pipes/postgresql")
    lamindb = runs.get("lamindb/sqlite")

    def cell(run: dict[str, Any] | None, key: str) -> str:
        if run is None:
            return "-"
        item = run["results"].get(key)
        if item is None:
            return "-"
        if item.get("refused"):
            return "refused"
        return fmt(figure(run, key), missing="ERR")

    def status(value: float | None, goal: float) -> str:
        if value is None:
            return "ERR"
        if quick:
            return "n/a"
        return "PASS" if value <= goal else "MISS"

    rows = []
    for row in ROWS:
        lp_value = figure(lp, row.key)
        ldb_value = figure(lamindb, row.key)
        ratio = None if not (lp_value and ldb_value) else ldb_value / lp_value
        rows.append(
            [
                row.label.format(**asdict(sizes)),
                row.unit,
                cell(lp, row.key),
                cell(pg, row.key),
                cell(lamindb, row.key),
                "-" if ratio is None else f"{fmt(ratio)}x",
                f"<= {row.goal:g} {row.unit}" if row.goal else "",
                status(lp_value, row.goal) if row.goal and lp else "",
                status(figure(pg, row.key), row.goal) if row.goal and pg else "",
            ]
        )
    return format_table(rows, with_postgres=pg is not None, with_lamindb=lamindb is not None)


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
    info = machine()
    with tempfile.TemporaryDirectory(prefix="lpbench-curators-") as tmp_name:
        runs = run_targets(args, sizes, Path(tmp_name))
    skipped = runs.pop("_skipped")["notes"]
    info["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    table = render_table(runs, sizes, quick=args.quick)
    header = (
        f"Curator benchmarks{' (--quick)' if args.quick else ''} on {info['platform']}, "
        f"{info['cpus']} CPUs, load average {info['load_average']} at start, "
        f"{info['load_average_end']} at the end. lp = lamin_pipes."
    )
    return report(header, runs, table, notes(runs, skipped), info, asdict(sizes), args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = base_parser(
        __doc__.splitlines()[0],
        quick_help="100,000 rows and fewer repeats, for a smoke run",
        postgres_help="PostgreSQL server to create a throw-away database on",
        json_default=DEFAULT_JSON,
    )
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return worker(args) if args.worker else orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
