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
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_artifacts import pg_database  # noqa: E402
from bench_registry import (  # noqa: E402
    Goal,
    Target,
    base_parser,
    engine_meta,
    figure,
    fmt,
    log,
    machine,
    measurement,
    postgres_url,
    report,
    run_step,
)
from bench_registry import run_worker as run_registry_worker  # noqa: E402

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
    Path(args.out).write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    return 0


# --------------------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------------------


def lamin_pipes_target(backend: str, tmp: Path, pg_url: str | None) -> Target:
    """A registry (an SQLite file or the given database) and a storage dir, per phase."""
    root = tmp / backend
    target = Target("lamin_pipes", backend, sys.executable, root)
    for var in ("LAMIN_PIPES_DB", "LAMIN_PIPES_STORAGE", "DAGSTER_HOME"):
        target.env.pop(var, None)
    for phase in PHASES:
        target.db[phase] = pg_url or f"sqlite:///{target.cwd(phase) / 'lamin.db'}"
        target.storage[phase] = str(target.cwd(phase) / "storage")
    return target


def run_phase(
    target: Target, phase: str, sizes: Sizes, dagster_pg: str | None, run: dict[str, Any]
) -> None:
    extra = ["--dagster-pg", dagster_pg] if dagster_pg else []
    payload = run_registry_worker(target, phase, sizes, script=Path(__file__), extra=extra)
    if "error" in payload:
        log(f"[{target.name}] {phase} failed: {payload['error']}")
        run["results"][f"{phase}_phase"] = payload
        return
    run["meta"].update(payload["meta"])
    run["results"].update(payload["results"])


def run_targets(args: argparse.Namespace, sizes: Sizes, tmp: Path) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    pg_url, pg_version = postgres_url(args, skipped)
    if pg_url is None:
        skipped.append("Workload 2 (multiprocess) needs PostgreSQL: not run.")
    with contextlib.ExitStack() as stack:
        sqlite = lamin_pipes_target("sqlite", tmp, None)
        runs[sqlite.name] = {"meta": {}, "results": {}}
        run_phase(sqlite, "materialize", sizes, None, runs[sqlite.name])
        if pg_url:
            from sqlalchemy.engine import make_url

            registry = stack.enter_context(pg_database(pg_url))
            dagster_db = stack.enter_context(pg_database(pg_url))
            dagster_pg = (
                make_url(dagster_db)
                .set(drivername="postgresql+psycopg2")
                .render_as_string(hide_password=False)
            )
            pg = lamin_pipes_target("postgresql", tmp, registry)
            runs[pg.name] = {"meta": {"postgresql": pg_version}, "results": {}}
            run_phase(pg, "materialize", sizes, dagster_pg, runs[pg.name])
            run_phase(pg, "multiprocess", sizes, dagster_pg, runs[pg.name])
            runs[pg.name]["meta"].pop("sqlite", None)
    runs["_skipped"] = {"notes": skipped}
    return runs


def signed(value: float | None) -> str:
    """``fmt`` for figures that may be negative (a difference of medians)."""
    if value is None:
        return "ERR"
    return f"-{fmt(-value)}" if value < 0 else fmt(value)


def status(goal: Goal | None, value: float | None) -> str:
    if goal is None:
        return ""
    if value is None:
        return "ERR"
    return "PASS" if value < goal.limit else "MISS"


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
                status(goal, figure(sqlite, row.key)) if goal and sqlite else "",
                status(goal, figure(pg, row.key)) if goal and pg else "",
            ]
        )
    if pg is None:
        table = [[c for i, c in enumerate(line) if i not in (3, 6)] for line in table]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = []
    for n, line in enumerate(table):
        cells = [
            c.ljust(w) if i in (0, 1, len(line) - 3) else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


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
    info = machine()
    with tempfile.TemporaryDirectory(prefix="lpbench-dagster-") as tmp_name:
        runs = run_targets(args, sizes, Path(tmp_name))
    skipped = runs.pop("_skipped")["notes"]
    info["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    table = render_table(runs, sizes)
    footer = notes(runs, sizes, skipped)
    header = (
        f"Dagster benchmarks{' (--quick)' if args.quick else ''} on {info['platform']}, "
        f"{info['cpus']} CPUs, load average {info['load_average']} at start, "
        f"{info['load_average_end']} at the end. Columns: the backend of the registry and of "
        "the Dagster instance."
    )
    return report(header, runs, table, footer, info, asdict(sizes), args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = base_parser(
        __doc__.splitlines()[0],
        quick_help=f"{QUICK.materializations} materializations, {QUICK.runs} run per IO manager",
        postgres_help="PostgreSQL server to create throw-away databases on",
        json_default=DEFAULT_JSON,
    )
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--dagster-pg", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return worker(args) if args.worker else orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
