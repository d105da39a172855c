#!/usr/bin/env python
"""Curation-sensor tick: 10 new artifacts in a registry of 1,000 vs 100,000 (SQLite).

Run it with the python of the environment where lamin_pipes[dagster] is installed::

    python benchmarks/bench_sensor.py            # 1,000 and 100,000 artifacts
    python benchmarks/bench_sensor.py --quick    # 1,000 and 10,000

Per size, a fresh SQLite registry in a temporary directory gets the old artifacts first:
one real artifact (a 20-row DataFrame saved with ``Artifact.save()``) whose row is copied
by bulk ``INSERT`` through the registry's table (``ln.Artifact.__table__``) under new uids,
hashes and keys ``curated/old_<i>.parquet`` (the same key prefix as the new ones, so the
sensor's query has to rely on its cursor, not on the prefix). Then 10 new artifacts are
saved normally (``ln.save``), and the sensor of
:func:`lamin_pipes.dagster.build_curation_sensor` (schema: ``cell_type`` against
``ULabel``; key prefix ``curated/``; a job, so it also builds run requests) ticks from the
cursor before them: it reads the 10, loads and validates each, records the outcome on it
and returns 10 run requests (no check evaluations here: these artifacts were not saved by
a Dagster step, so there is no producing asset to report on). A tick is timed ``--repeats`` times
from the same cursor (the median is the figure), and once from the newest id (nothing new).

Goal: < 100 ms per tick at both sizes; the tick must not grow with the registry.
Figures go to stdout and ``benchmarks/results/sensor.json``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GOAL_MS = 100.0
NEW = 10
_ALPHABET = string.ascii_letters + string.digits


def _uid_stem() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def _fill(ln: Any, template: Any, count: int, chunk: int = 20_000) -> None:
    """``count`` more artifact rows, copies of ``template``'s row under new uids and keys."""
    from sqlalchemy import insert, select

    table = ln.Artifact.__table__
    with ln.settings.instance.engine.begin() as connection:
        row = dict(
            connection.execute(select(table).where(table.c.id == template.id)).one()._mapping
        )
        row.pop("id")
        for start in range(0, count, chunk):
            rows = []
            for i in range(start, min(count, start + chunk)):
                stem = _uid_stem()
                rows.append(
                    {
                        **row,
                        "uid": stem + "0000",
                        "key": f"curated/old_{i:06d}.parquet",
                        "hash": stem + "hash00",
                    }
                )
            connection.execute(insert(table), rows)


def measure(total: int, repeats: int) -> dict[str, Any]:
    import dagster as dg
    import pandas as pd

    import lamin_pipes as ln
    from lamin_pipes.dagster import build_curation_sensor

    with tempfile.TemporaryDirectory(prefix="bench-sensor-") as tmp:
        ln.connect(f"sqlite:///{tmp}/lamin.db", f"{tmp}/storage")
        ln.ULabel.from_values(["T cell", "B cell"], create=True).save()
        cell_type = ln.Feature(name="cell_type", dtype="cat[ULabel]").save()
        ln.Schema([cell_type], name="bench_cells").save()
        frame = pd.DataFrame({"cell_type": ["T cell", "B cell"] * 10})
        template = ln.Artifact(frame, key="curated/template.parquet").save()
        started = time.perf_counter()
        _fill(ln, template, total - NEW - 1)
        fill_s = time.perf_counter() - started
        cursor = str(max(ln.Artifact.filter().to_list("id")))
        new = [
            ln.Artifact(frame.assign(n=i), key=f"curated/new_{i:02d}.parquet") for i in range(NEW)
        ]
        ln.save(new)
        assert ln.Artifact.filter().count() == total

        @dg.asset
        def downstream() -> None:
            return None

        job = dg.define_asset_job("downstream_job", selection=[downstream])
        sensor = build_curation_sensor(schema="bench_cells", key_prefix="curated/", job=job)
        defs = dg.Definitions(assets=[downstream], jobs=[job], sensors=[sensor])
        times = []
        with dg.instance_for_test() as instance:
            for _ in range(repeats + 1):  # the first one warms up
                context = dg.build_sensor_context(
                    instance=instance, cursor=cursor, definitions=defs
                )
                started = time.perf_counter()
                result = sensor(context)
                times.append(time.perf_counter() - started)
                assert len(result.run_requests) == NEW  # (no check evaluations: no step saved them)
            newest = result.cursor
            context = dg.build_sensor_context(instance=instance, cursor=newest, definitions=defs)
            started = time.perf_counter()
            idle = sensor(context)
            idle_s = time.perf_counter() - started
            assert not idle.run_requests
        ln.settings.instance.engine.dispose()
    tick_ms = statistics.median(times[1:]) * 1000
    return {
        "artifacts": total,
        "new": NEW,
        "tick_ms_median": round(tick_ms, 2),
        "tick_ms_min": round(min(times[1:]) * 1000, 2),
        "idle_tick_ms": round(idle_s * 1000, 2),
        "fill_s": round(fill_s, 2),
        "goal_ms": GOAL_MS,
        "met": tick_ms < GOAL_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 artifacts")
    parser.add_argument("--repeats", type=int, default=7, help="timed ticks per size")
    args = parser.parse_args(argv)
    sizes = (1_000, 10_000) if args.quick else (1_000, 100_000)
    results = []
    for total in sizes:
        print(f"registry of {total:,} artifacts ...", file=sys.stderr)
        results.append(measure(total, args.repeats))
    print(f"{'artifacts':>10}  {'new':>4}  {'tick (median)':>14}  {'idle tick':>10}  goal < 100 ms")
    for r in results:
        print(
            f"{r['artifacts']:>10,}  {r['new']:>4}  {r['tick_ms_median']:>11.1f} ms  "
            f"{r['idle_tick_ms']:>7.1f} ms  {'met' if r['met'] else 'NOT met'}"
        )
    ratio = results[1]["tick_ms_median"] / results[0]["tick_ms_median"]
    print(f"large / small tick: {ratio:.2f}x")
    out = HERE / "results" / "sensor.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"sqlite": results, "ratio": round(ratio, 3)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
