#!/usr/bin/env python
"""Dagster benchmarks: LaminIOManager against Dagster's FilesystemIOManager, side by side.

Run it with the python of the environment where lamin_pipes[dagster] is installed::

    python benchmarks/bench_dagster.py                 # SQLite (+ PostgreSQL when reachable)
    python benchmarks/bench_dagster.py --quick         # few materializations, one run each

Workloads, each in a fresh worker process per backend (this file, started with
``--worker``), on throw-away instances in a temporary directory. On the SQLite leg the
registry is an SQLite file and the Dagster instance is SQLite too (``local_temp``); on the
PostgreSQL leg both are throw-away PostgreSQL databases (the registry, and dagster-postgres).

1. ``dg.materialize([table])`` of one asset returning a 100-row x 4-column DataFrame,
   50 times per IO manager, interleaved (FilesystemIOManager, LaminIOManager with new
   content, LaminIOManager with the same content again), after untimed warm-ups. Each
   figure is the median over materializations; the *extra cost* rows are the median of
   the per-round differences (LaminIOManager minus FilesystemIOManager in the same round),
   so a drift of the machine's load cancels out.
2. PostgreSQL only: ``dg.execute_job`` of one job of 8 independent assets (each a small
   DataFrame) with the multiprocess executor (a process per step, at most as many at a
   time as CPUs), registry and Dagster instance on PostgreSQL, against the same job with
   FilesystemIOManager; rounds alternate, the figure is the median wall time.

The table goes to stdout, progress to stderr, and all figures to
``benchmarks/results/dagster.json``. Read the figures as ratios measured side by side in
one run; absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _common import (
    Goal,
    base_parser,
    engine_meta,
    figure,
    fmt,
    lamin_pipes_target,
    layout,
    measurement,
    pg_database,
    postgres_url,
    run_and_report,
    run_phase,
    run_step,
    write_figures,
)

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "dagster.json"
PHASES = ("materialize", "multiprocess")
N_ASSETS = 8
#: Environment of the multiprocess job (its step processes rebuild it from these).
ENV_IO = "LPBENCH_DAGSTER_IO"
ENV_DB = "LPBENCH_DAGSTER_DB"
ENV_STORAGE = "LPBENCH_DAGSTER_STORAGE"
ENV_FS = "LPBENCH_DAGSTER_FS"
ENV_ROUND = "LPBENCH_DAGSTER_ROUND"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does."""

    materializations: int = 50  # timed materializations per IO manager (workload 1)
    warmup: int = 3  # untimed materializations per IO manager first
    rows: int = 100  # rows of each DataFrame
    runs: int = 3  # timed multiprocess runs per IO manager (workload 2)


FULL = Sizes()
QUICK = Sizes(materializations=5, warmup=1, runs=1)


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    key: str
    label: str  # formatted with the sizes
    unit: str
    goal: Goal | None = None
    postgres_only: bool = False


ROWS: tuple[Row, ...] = (
    Row("fs", "1 materialize a {rows}-row DataFrame asset: FilesystemIOManager", "ms"),
    Row("lamin_new", "1   LaminIOManager, new content (a new version)", "ms"),
    Row("lamin_same", "1   LaminIOManager, unchanged content (latest kept)", "ms"),
    Row("extra_new", "1 extra per materialization: Lamin new - Filesystem", "ms", Goal(30)),
    Row("extra_same", "1 extra per materialization: Lamin unchanged - Filesystem", "ms"),
    Row("handle_fs", "1 of which handle_output: FilesystemIOManager", "ms"),
    Row("handle_new", "1   LaminIOManager, new content", "ms"),
    Row("handle_same", "1   LaminIOManager, unchanged content", "ms"),
    Row("mp_fs", "2 multiprocess run of 8 assets: FilesystemIOManager", "s", postgres_only=True),
    Row("mp_lamin", "2   LaminIOManager (registry + dagster-postgres)", "s", postgres_only=True),
    Row("mp_ratio", "2   Lamin / Filesystem", "x", postgres_only=True),
)


# --------------------------------------------------------------------------------------
# Workloads (worker side)
# --------------------------------------------------------------------------------------


def frame(seed: int, rows: int) -> Any:
    """A DataFrame of ``rows`` rows and 4 columns whose content follows from ``seed``."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(rows) + seed * rows,
            "x": rng.random(rows),
            "y": rng.integers(0, 1_000, rows),
            "label": [f"cell{j % 7}" for j in range(rows)],
        }
    )


@contextlib.contextmanager
def dagster_instance(home: Path, pg_url: str | None) -> Iterator[Any]:
    """A persistent Dagster instance in ``home``: SQLite, or dagster-postgres on ``pg_url``."""
    import dagster as dg

    home.mkdir(parents=True, exist_ok=True)
    if pg_url is None:
        with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
            yield instance
        return
    config = {"storage": {"postgres": {"postgres_url": pg_url}}, "telemetry": {"enabled": False}}
    (home / "dagster.yaml").write_text(json.dumps(config))  # JSON is YAML
    with dg.DagsterInstance.from_config(str(home)) as instance:
        yield instance


def bench_materialize(db: str, storage: str, pg_url: str | None, sizes: Sizes) -> dict[str, Any]:
    """Workload 1: one asset materialized through each IO manager, interleaved."""
    import dagster as dg

    from lamin_pipes.dagster import LaminIOManager

    seed = {"value": 0}

    @dg.asset
    def table() -> Any:
        return frame(seed["value"], sizes.rows)

    work = Path.cwd()
    lamin = LaminIOManager(db=db, storage=storage)
    filesystem = dg.FilesystemIOManager(base_dir=str(work / "fs"))
    versions = []

    with dagster_instance(work / "dagster_home", pg_url) as instance:

        def materialize(io_manager: Any, value: int) -> tuple[float, float]:
            """Seconds of the whole materialization, and of its ``handle_output``."""
            seed["value"] = value
            start = time.perf_counter()
            result = dg.materialize(
                [table], instance=instance, resources={"io_manager": io_manager}, run_config=QUIET
            )
            elapsed = time.perf_counter() - start
            if not result.success:
                raise RuntimeError(f"materialization {value} failed")
            if io_manager is lamin:
                [event] = result.get_asset_materialization_events()
                metadata = event.materialization.metadata
                versions.append((value, metadata["lamin/is_new_version"].value))
            return elapsed, handle_output_seconds(instance, result.run_id)

        for i in range(sizes.warmup):
            materialize(filesystem, 10_000 + i)
            materialize(lamin, 10_000 + i)
        versions.clear()
        samples: dict[str, list[float]] = {
            key: []
            for key in ("fs", "lamin_new", "lamin_same", "handle_fs", "handle_new", "handle_same")
        }

        def record(key: str, handle_key: str, timings: tuple[float, float]) -> None:
            samples[key].append(timings[0])
            samples[handle_key].append(timings[1])

        for i in range(sizes.materializations):
            # Alternate who goes first, so that neither always runs on a warmer cache.
            order = ("fs", "lamin") if i % 2 == 0 else ("lamin", "fs")
            for who in order:
                if who == "fs":
                    record("fs", "handle_fs", materialize(filesystem, i))
                else:
                    record("lamin_new", "handle_new", materialize(lamin, i))
                    record("lamin_same", "handle_same", materialize(lamin, i))
    expected = [(i, new) for i in range(sizes.materializations) for new in (True, False)]
    if versions != expected:
        raise AssertionError(f"unexpected new/unchanged pattern: {versions[:6]} ...")
    results = {key: measurement(values, "ms") for key, values in samples.items()}
    for key, lamin_key in (("extra_new", "lamin_new"), ("extra_same", "lamin_same")):
        diffs = [a - b for a, b in zip(samples[lamin_key], samples["fs"], strict=True)]
        results[key] = measurement(diffs, "ms", mean=statistics.fmean(diffs) * 1000)
    return results


def handle_output_seconds(instance: Any, run_id: str) -> float:
    """Seconds from the step's output to the IO manager having handled it (event log)."""
    import dagster as dg

    stamps = {}
    for entry in instance.all_logs(
        run_id, of_type={dg.DagsterEventType.STEP_OUTPUT, dg.DagsterEventType.HANDLED_OUTPUT}
    ):
        stamps[entry.dagster_event.event_type] = entry.timestamp
    return float(
        stamps[dg.DagsterEventType.HANDLED_OUTPUT] - stamps[dg.DagsterEventType.STEP_OUTPUT]
    )


def _part_assets() -> list[Any]:
    """The 8 independent assets of workload 2; content follows from ``LPBENCH_DAGSTER_ROUND``."""
    import dagster as dg

    def make(i: int) -> Any:
        @dg.asset(name=f"part_{i}")
        def part() -> Any:
            return frame(int(os.environ.get(ENV_ROUND, "0")) * 100 + i, 100)

        return part

    return [make(i) for i in range(N_ASSETS)]


def multiprocess_job() -> Any:
    """The job of workload 2, rebuilt from the environment in every step process."""
    import dagster as dg

    from lamin_pipes.dagster import LaminIOManager

    if os.environ[ENV_IO] == "lamin":
        io_manager: Any = LaminIOManager(db=os.environ[ENV_DB], storage=os.environ[ENV_STORAGE])
    else:
        io_manager = dg.FilesystemIOManager(base_dir=os.environ[ENV_FS])
    defs = dg.Definitions(
        assets=_part_assets(),
        jobs=[dg.define_asset_job("bench_multiprocess", selection="*")],
        resources={"io_manager": io_manager},
        executor=dg.multiprocess_executor,
    )
    return defs.resolve_job_def("bench_multiprocess")


def bench_multiprocess(db: str, storage: str, pg_url: str, sizes: Sizes) -> dict[str, Any]:
    """Workload 2: one multiprocess run of 8 assets per IO manager, alternating."""
    import dagster as dg

    work = Path.cwd()
    os.environ.update({ENV_DB: db, ENV_STORAGE: storage, ENV_FS: str(work / "fs")})
    samples: dict[str, list[float]] = {"mp_fs": [], "mp_lamin": []}
    with dagster_instance(work / "dagster_home", pg_url) as instance:
        for r in range(sizes.runs + 1):  # the first round warms up
            order = ("fs", "lamin") if r % 2 == 0 else ("lamin", "fs")
            for who in order:
                os.environ[ENV_IO] = who
                os.environ[ENV_ROUND] = str(r)
                start = time.perf_counter()
                result = dg.execute_job(
                    dg.reconstructable(multiprocess_job), instance=instance, run_config=QUIET
                )
                elapsed = time.perf_counter() - start
                if not result.success:
                    raise RuntimeError(f"the {who} run of round {r} failed")
                if len(result.get_asset_materialization_events()) != N_ASSETS:
                    raise AssertionError(f"the {who} run did not materialize {N_ASSETS} assets")
                if r:
                    samples[f"mp_{who}"].append(elapsed)
    results = {key: measurement(values, "s") for key, values in samples.items()}
    ratios = [a / b for a, b in zip(samples["mp_lamin"], samples["mp_fs"], strict=True)]
    results["mp_ratio"] = {"value": statistics.median(ratios), "unit": "x", "samples": ratios}
    return results


def worker(args: argparse.Namespace) -> int:
    import lamin_pipes as ln

    sizes = Sizes(**json.loads(args.sizes))
    ln.connect(args.db, args.storage)
    results: dict[str, Any] = {}
    if args.phase == "materialize":
        run_step(
            results,
            "materialize",
            lambda: bench_materialize(args.db, args.storage, args.dagster_pg, sizes),
            many=True,
        )
    else:
        run_step(
            results,
            "multiprocess",
            lambda: bench_multiprocess(args.db, args.storage, args.dagster_pg, sizes),
            many=True,
        )
    meta = engine_meta("lamin_pipes", ln)
    with contextlib.suppress(Exception):
        import importlib.metadata

        meta["dagster"] = importlib.metadata.version("dagster")
    return write_figures(args.out, meta, results)


# --------------------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------------------


def run_targets(args: argparse.Namespace, sizes: Sizes, tmp: Path) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    pg_url, pg_version = postgres_url(args, skipped)
    if pg_url is None:
        skipped.append("Workload 2 (multiprocess) needs PostgreSQL: not run.")
    script = Path(__file__)
    with contextlib.ExitStack() as stack:
        # Each leg's registry: an SQLite file (or a database) and a storage dir, per phase.
        sqlite = lamin_pipes_target("sqlite", tmp / "sqlite", PHASES, unset=["DAGSTER_HOME"])
        runs[sqlite.name] = {"meta": {}, "results": {}}
        run_phase(sqlite, "materialize", sizes, runs[sqlite.name], script=script)
        if pg_url:
            from sqlalchemy.engine import make_url

            registry = stack.enter_context(pg_database(pg_url, scratch_name()))
            dagster_db = stack.enter_context(pg_database(pg_url, scratch_name()))
            dagster_pg = (
                make_url(dagster_db)
                .set(drivername="postgresql+psycopg2")
                .render_as_string(hide_password=False)
            )
            pg = lamin_pipes_target(
                "postgresql", tmp / "postgresql", PHASES, registry, unset=["DAGSTER_HOME"]
            )
            runs[pg.name] = {"meta": {"postgresql": pg_version}, "results": {}}
            extra = ["--dagster-pg", dagster_pg]
            for phase in PHASES:
                run_phase(pg, phase, sizes, runs[pg.name], script=script, extra=extra)
            runs[pg.name]["meta"].pop("sqlite", None)
    runs["_skipped"] = {"notes": skipped}
    return runs


def scratch_name() -> str:
    """A fresh name for a scratch PostgreSQL database."""
    return f"lp_bench_{secrets.token_hex(4)}"


def signed(value: float | None) -> str:
    """``fmt`` for figures that may be negative (a difference of medians)."""
    if value is None:
        return "ERR"
    return f"-{fmt(-value)}" if value < 0 else fmt(value)


def render_table(runs: dict[str, dict[str, Any]], sizes: Sizes) -> str:
    sqlite, pg = runs.get("lamin_pipes/sqlite"), runs.get("lamin_pipes/postgresql")
    header = ["workload", "unit", "SQLite", "PostgreSQL", "goal", "SQLite", "PostgreSQL"]
    table = [header]
    for row in ROWS:
        if row.postgres_only and pg is None:
            continue

        def cell(run: dict[str, Any] | None, row: Row = row) -> str:
            if run is None or (row.postgres_only and run is sqlite):
                return "-"
            return signed(figure(run, row.key))

        goal = row.goal
        table.append(
            [
                row.label.format(**asdict(sizes)),
                row.unit,
                cell(sqlite),
                cell(pg),
                goal.text(row.unit) if goal else "",
                goal.status(figure(sqlite, row.key), sizes) if goal and sqlite else "",
                goal.status(figure(pg, row.key), sizes) if goal and pg else "",
            ]
        )
    if pg is None:
        table = [[c for i, c in enumerate(line) if i not in (3, 6)] for line in table]
    width = len(table[0])
    return layout(table, [i in (0, 1, width - 3) for i in range(width)])


def notes(runs: dict[str, dict[str, Any]], sizes: Sizes, skipped: list[str]) -> list[str]:
    lines = []
    for name, run in runs.items():
        results = run["results"]
        extra = results.get("extra_new", {})
        if "mean" in extra:
            lines.append(f"{name}: extra per new version, mean {signed(extra['mean'])} ms")
        for key, item in results.items():
            if "error" in item:
                lines.append(f"{name}: {key} FAILED: {item['error'].splitlines()[0]}")
    lines.append(
        f"Workload 1: {sizes.materializations} materializations per IO manager after "
        f"{sizes.warmup} untimed; each is a whole dg.materialize() (a Dagster run in process), "
        "so the Lamin and Filesystem figures share Dagster's own cost; the extra rows are "
        "medians of same-round differences. The handle_output rows time the IO manager alone (from the step's STEP_OUTPUT event to its HANDLED_OUTPUT event; the registry's step and pipeline runs are made there, on first use). A new version: hash, write, registry rows (artifact, "
        "step and pipeline runs, input links). Unchanged: hashed and compared with the latest "
        "version, nothing written."
    )
    lines.append(
        f"Workload 2: median of {sizes.runs} run(s) per IO manager after a warm-up round; "
        f"{os.cpu_count()} CPUs, so at most that many step processes at a time; each step "
        "process imports dagster (and lamin_pipes) and opens its own registry engine."
    )
    lines.extend(skipped)
    return lines


def orchestrate(args: argparse.Namespace) -> int:
    sizes = QUICK if args.quick else FULL
    return run_and_report(
        args,
        sizes,
        title="Dagster benchmarks",
        about="Columns: the backend of the registry and of the Dagster instance.",
        tmp_prefix="lpbench-dagster-",
        run_targets=lambda tmp, _: run_targets(args, sizes, tmp),
        table=lambda runs: render_table(runs, sizes),
        notes=lambda runs, skipped: notes(runs, sizes, skipped),
    )


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(
        __doc__.splitlines()[0],
        quick_help=f"{QUICK.materializations} materializations, {QUICK.runs} run per IO manager",
        postgres_help="PostgreSQL server to create throw-away databases on",
        json_default=DEFAULT_JSON,
        phases=PHASES,
    )
    parser.add_argument("--dagster-pg", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return worker(args) if args.worker else orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
