#!/usr/bin/env python
"""Artifact benchmarks: lamin_pipes on SQLite (and PostgreSQL) side by side with lamindb.

Run it with the python of the environment where lamin_pipes is installed::

    python benchmarks/bench_artifacts.py                     # lamin_pipes, SQLite (+ PostgreSQL)
    python benchmarks/bench_artifacts.py --quick             # fewer rounds, a 64 MiB file
    python benchmarks/bench_artifacts.py --lamindb-python /path/to/lamindb/venv/bin/python

Workloads, each on a fresh instance (an SQLite file or a throw-away PostgreSQL database
``lp_bench_<random>``, and a local storage directory, in a temporary directory):

1. ``ln.Artifact(df, key=f"bench/{r}/{i}.parquet").save()`` for 100 distinct DataFrames
   (100 rows x 4 columns): ms per save, the median over rounds of (round total / 100).
2. 100 new versions of one key (distinct content each): ms per version, as above.
3. ``artifact.load()`` of the 100 artifacts of a round (records fetched first, only the
   loads timed): ms per load, as above.
4. Hashing a 1 GiB file (``--quick``: 64 MiB) written once for the run: ``hash_file(path)``
   (for a file over 50 MiB lamindb's ``sha1-fl``: it reads the first and last 50 MiB only)
   and the whole-file md5 (``chunk_size`` = file size), against ``md5sum`` on the same file.
5. Copying that file into storage: ``LocalStore.put_file`` (hashes while it copies, then
   fsyncs) against ``cp``, ``cp`` + ``sync FILE`` and ``cp`` + ``sync`` + ``md5sum``; and the
   end-to-end ``ln.Artifact(path, key=...).save()`` of the file.

Rows 4-5 measure throughput as file size / time (MB = 10^6 bytes) on SQLite only (they do
not touch the database but for the last one). The coreutils references are run by this
process; their figures sit in the ``lp SQLite`` column of the rows marked ``ref:``. The
source file is read from the page cache (it is read once before any timing).

Every workload runs in a fresh worker process per engine and backend (this file, started
with ``--worker``; for lamindb, by the lamindb python, on its own SQLite instance created
with ``lamin init``). The harness (timing, engines, table cells, PostgreSQL) is
``_common.py``. The table goes to stdout, progress to stderr, and all
figures to ``benchmarks/results/artifacts.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _common import (  # standard library only: runs under either python
    Goal,
    base_parser,
    engine_meta,
    figure,
    fmt,
    format_table,
    lamin_pipes_target,
    lamindb_target,
    log,
    measurement,
    on_postgres,
    open_engine,
    ratio_cell,
    run_and_report,
    run_phase,
    run_step,
    start_targets,
    timed,
    write_figures,
)

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "artifacts.json"
PHASES = ("main", "file")
MB = 1e6
MIB = 1024 * 1024
BLOCK = 4 * MIB
REFERENCE = "reference"  # the run that holds the coreutils figures


# --------------------------------------------------------------------------------------
# Sizes and the rows of the table
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does."""

    artifacts: int = 100  # new artifacts per round (workload 1) and loads per round (3)
    versions: int = 100  # new versions of one key per round (workload 2)
    rows: int = 100  # rows of each DataFrame
    rounds: int = 3  # rounds of workloads 1-3; the median of the per-round means counts
    warmup: int = 3  # untimed saves before the first timed one
    file_mib: int = 1024  # size of the file of workloads 4-5
    file_repeats: int = 3  # timings per hash / copy figure (median)
    big_saves: int = 2  # Artifact(path).save() of the big file (median)


FULL = Sizes()
QUICK = Sizes(rounds=1, file_mib=64, file_repeats=2, big_saves=1)


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    key: str
    label: str  # formatted with the sizes
    unit: str
    goal: Goal | None = None
    higher_is_better: bool = False  # throughput: the ratio is lp / lamindb
    reference: bool = False  # a coreutils figure, measured by the orchestrator


ROWS: tuple[Row, ...] = (
    Row("save", "1 Artifact(df, key=new).save(), {artifacts} DataFrames", "ms", Goal(5)),
    Row("version", "2 new version of one key, {versions} versions", "ms", Goal(5)),
    Row("load", "3 artifact.load() of {artifacts} parquet artifacts", "ms"),
    Row(
        "hash_fl", "4 hash_file({file_mib} MiB): sha1-fl, size/time", "MB/s", higher_is_better=True
    ),
    Row(
        "hash_md5",
        "4 hash_file({file_mib} MiB, chunk_size=size): whole-file md5",
        "MB/s",
        higher_is_better=True,
    ),
    Row("md5sum", "4   ref: md5sum FILE", "MB/s", reference=True),
    Row(
        "put_file",
        "5 LocalStore.put_file({file_mib} MiB): copy+hash+fsync",
        "MB/s",
        higher_is_better=True,
    ),
    Row("cp", "5   ref: cp FILE DEST", "MB/s", reference=True),
    Row("cp_sync", "5   ref: cp + sync DEST", "MB/s", reference=True),
    Row("cp_sync_md5sum", "5   ref: cp + sync DEST + md5sum DEST", "MB/s", reference=True),
    Row("big_save", "5 Artifact({file_mib} MiB file, key=...).save()", "s"),
)


# --------------------------------------------------------------------------------------
# Workloads (shared by both engines; pandas and numpy are imported where needed)
# --------------------------------------------------------------------------------------


def frames(n: int, rows: int, seed: int) -> list[Any]:
    """``n`` DataFrames of ``rows`` rows and 4 columns, each with distinct content."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    labels = [f"cell{j % 7}" for j in range(rows)]
    return [
        pd.DataFrame(
            {
                "id": np.arange(rows) + i * rows,
                "x": rng.random(rows),
                "y": rng.integers(0, 1_000, rows),
                "label": labels,
            }
        )
        for i in range(n)
    ]


def per_call(samples: list[list[float]]) -> dict[str, Any]:
    """Rounds of per-call timings (s): median of the round means in ms, and detail."""
    means = [statistics.fmean(times) for times in samples]
    result = measurement(means, "ms", rounds=len(samples), calls=len(samples[0]))
    result["median_call"] = statistics.median(t for times in samples for t in times) * 1000
    result["max_call"] = max(t for times in samples for t in times) * 1000
    return result


def warm_up(ln: Any, sizes: Sizes) -> dict[str, Any]:
    """Untimed saves and loads: imports, caches and the first writes out of the way."""
    for i, df in enumerate(frames(sizes.warmup, sizes.rows, seed=999)):
        ln.Artifact(df, key=f"warmup/{i}.parquet").save().load()
    return {"note": "untimed"}


def bench_save(ln: Any, sizes: Sizes) -> dict[str, Any]:
    """Workload 1: new artifacts under distinct keys, each save timed."""
    samples = []
    for r in range(sizes.rounds):
        times = []
        for i, df in enumerate(frames(sizes.artifacts, sizes.rows, seed=r)):
            start = time.perf_counter()
            ln.Artifact(df, key=f"bench/{r}/{i}.parquet").save()
            times.append(time.perf_counter() - start)
        samples.append(times)
        count = ln.Artifact.filter(key__startswith=f"bench/{r}/").count()
        if count != sizes.artifacts:
            raise AssertionError(f"round {r}: {count} artifacts, expected {sizes.artifacts}")
    return per_call(samples)


def bench_version(ln: Any, sizes: Sizes) -> dict[str, Any]:
    """Workload 2: one key, a first version, then ``sizes.versions`` new ones, timed."""
    samples = []
    for r in range(sizes.rounds):
        key = f"bench-versions/{r}.parquet"
        first, *others = frames(sizes.versions + 1, sizes.rows, seed=100 + r)
        ln.Artifact(first, key=key).save()
        times = []
        for df in others:
            start = time.perf_counter()
            ln.Artifact(df, key=key).save()
            times.append(time.perf_counter() - start)
        samples.append(times)
        total = ln.Artifact.filter(key=key).count()
        latest = ln.Artifact.filter(key=key, is_latest=True).count()
        if (total, latest) != (sizes.versions + 1, 1):
            msg = f"{key}: {total} versions ({latest} latest), expected {sizes.versions + 1} (1)"
            raise AssertionError(msg)
    return per_call(samples)


def bench_load(ln: Any, sizes: Sizes) -> dict[str, Any]:
    """Workload 3: ``load()`` of the artifacts of each round of workload 1."""
    samples = []
    for r in range(sizes.rounds):
        records = list(ln.Artifact.filter(key__startswith=f"bench/{r}/").order_by("id"))
        times = []
        for record in records:
            start = time.perf_counter()
            frame = record.load()
            times.append(time.perf_counter() - start)
            if len(frame) != sizes.rows:
                raise AssertionError(f"{record.key}: {len(frame)} rows, expected {sizes.rows}")
        samples.append(times)
    return per_call(samples)


def throughput(size: int, fn: Callable[[], Any], repeats: int, **extra: Any) -> dict[str, Any]:
    """MB/s (file size / time) of ``fn``, median of ``repeats`` runs."""
    samples = [timed(fn)[0] for _ in range(repeats)]
    result = measurement([size / MB / s for s in samples], "MB/s", **extra)
    result["seconds"] = samples
    return result


def hash_function(engine: str) -> Callable[..., tuple[Any, ...]]:
    """``hash_file(path, chunk_size=...)`` of the engine, returning (size, hash, type)."""
    if engine == "lamindb":
        from lamindb_setup.core.hashing import hash_file  # type: ignore[import-not-found]

        return hash_file  # type: ignore[no-any-return]
    from lamin_pipes.storage import hash_file

    return hash_file


def bench_hash(engine: str, path: Path, sizes: Sizes) -> dict[str, Any]:
    """Workload 4: hash the big file, as saving a file does, and as a whole-file md5."""
    hash_file = hash_function(engine)
    size = path.stat().st_size
    fl = tuple(hash_file(path))  # warm-up, and the hash to compare across engines
    md5 = tuple(hash_file(path, chunk_size=size))
    read_fl = min(size, 2 * 50 * MIB)
    return {
        "hash_fl": throughput(
            size,
            lambda: hash_file(path),
            sizes.file_repeats,
            hash=list(fl),
            bytes_read=read_fl,
        ),
        "hash_md5": throughput(
            size, lambda: hash_file(path, chunk_size=size), sizes.file_repeats, hash=list(md5)
        ),
    }


def bench_put_file(path: Path, dest: Path, sizes: Sizes) -> dict[str, Any]:
    """Workload 5: ``LocalStore.put_file`` of the big file (lamin_pipes only)."""
    from lamin_pipes.storage import LocalStore

    store = LocalStore(dest)
    n = iter(range(1_000))

    def put() -> Any:
        key = f"copy/{next(n)}.bin"
        result = store.put_file(path, key)
        return key, result

    key, result = put()  # warm-up
    store.delete(key)
    samples = []
    for _ in range(sizes.file_repeats):
        elapsed, (key, result) = timed(put)
        samples.append(elapsed)
        store.delete(key)
    size = path.stat().st_size
    figures = measurement([size / MB / s for s in samples], "MB/s", hash=list(result))
    figures["seconds"] = samples
    return figures


def bench_big_save(ln: Any, path: Path, sizes: Sizes) -> dict[str, Any]:
    """Workload 5: ``Artifact(path, key=...).save()`` of the big file; deleted in between."""
    samples = []
    for i in range(sizes.big_saves):
        elapsed, artifact = timed(lambda i=i: ln.Artifact(path, key=f"bench-big/{i}.bin").save())
        samples.append(elapsed)
        if artifact.size != path.stat().st_size:
            raise AssertionError(f"saved size {artifact.size}, expected {path.stat().st_size}")
        stored = Path(str(artifact.path))
        if not stored.is_file() or stored.stat().st_size != artifact.size:
            raise AssertionError(f"{stored} is not a complete copy")
        hash_type = artifact._hash_type
        artifact.delete(permanent=True, storage=True)
    return measurement(samples, "s", hash_type=hash_type)


def phase_main(ln: Any, engine: str, sizes: Sizes, file: Path, results: dict[str, Any]) -> None:
    run_step(results, "warmup", lambda: warm_up(ln, sizes))
    run_step(results, "save", lambda: bench_save(ln, sizes))
    run_step(results, "version", lambda: bench_version(ln, sizes))
    if "error" not in results["save"]:
        run_step(results, "load", lambda: bench_load(ln, sizes))
    if "error" not in results["warmup"]:
        results.pop("warmup")


def phase_file(ln: Any, engine: str, sizes: Sizes, file: Path, results: dict[str, Any]) -> None:
    run_step(results, "hash", lambda: bench_hash(engine, file, sizes), many=True)
    if engine != "lamindb":
        run_step(results, "put_file", lambda: bench_put_file(file, Path("put_file_store"), sizes))
    run_step(results, "big_save", lambda: bench_big_save(ln, file, sizes))


def worker(args: argparse.Namespace) -> int:
    sizes = Sizes(**json.loads(args.sizes))
    ln = open_engine(args.worker, args.db, args.storage)
    results: dict[str, Any] = {}
    phase = {"main": phase_main, "file": phase_file}[args.phase]
    phase(ln, args.worker, sizes, Path(args.file), results)
    return write_figures(args.out, engine_meta(args.worker, ln), results)


# --------------------------------------------------------------------------------------
# Orchestrator: the file, instances, workers, references, the table
# --------------------------------------------------------------------------------------


def write_file(path: Path, mib: int) -> float:
    """Write ``mib`` MiB of random-looking bytes (a random block, numbered); seconds taken."""
    start = time.perf_counter()
    block = bytearray(os.urandom(BLOCK))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for i in range(mib * MIB // BLOCK):
            block[:8] = i.to_bytes(8, "little")
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - start


def run_command(*commands: list[str]) -> float:
    """Seconds taken by ``commands`` run one after the other (each must succeed)."""
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def reference_timings(path: Path, work: Path, sizes: Sizes) -> dict[str, Any]:
    """The physical references: coreutils on the same file and disk (median of repeats)."""
    size = path.stat().st_size
    dest = work / "copy.bin"
    work.mkdir(parents=True, exist_ok=True)
    md5sum = ["md5sum", str(path)]
    cp = ["cp", str(path), str(dest)]
    sync = ["sync", str(dest)]
    cases: dict[str, tuple[list[str], ...]] = {
        "md5sum": (md5sum,),
        "cp_sync": (cp, sync),
        "cp_sync_md5sum": (cp, sync, ["md5sum", str(dest)]),
        "cp": (cp,),
    }
    results: dict[str, Any] = {}
    run_command(md5sum)  # the file into the page cache
    for key, commands in cases.items():
        log(f"[{REFERENCE}] {key} ...")
        samples = []
        for _ in range(sizes.file_repeats):
            samples.append(run_command(*commands))
            if dest.exists():
                run_command(sync)  # untimed: no dirty pages left over for the next figure
                dest.unlink()
        results[key] = measurement([size / MB / s for s in samples], "MB/s", seconds=samples)
    digest = subprocess.run(md5sum, check=True, capture_output=True, text=True).stdout.split()[0]
    results["md5sum"]["hex"] = digest
    return results


# --- the table -------------------------------------------------------------------------


def ratio(row: Row, lp: float | None, lamindb: float | None) -> str:
    """lamindb time / lamin_pipes time (> 1: lamin_pipes is faster)."""
    if row.reference:
        return "-"
    return ratio_cell(lp, lamindb) if row.higher_is_better else ratio_cell(lamindb, lp)


def cell(run: dict[str, Any] | None, key: str) -> str:
    """A figure; ``ERR`` when its workload ran and failed, ``-`` when it was not run."""
    if run is None:
        return "-"
    value = figure(run, key)
    if value is not None:
        return fmt(value)
    failed = any("error" in item for item in run["results"].values())
    return "ERR" if failed else "-"


def render_table(runs: dict[str, dict[str, Any]], sizes: Sizes) -> str:
    """The plain-text table; columns of engines that did not run are left out."""
    lp_sqlite = runs.get("lamin_pipes/sqlite")
    lp_pg = runs.get("lamin_pipes/postgresql")
    lamindb = runs.get("lamindb/sqlite")
    reference = runs.get(REFERENCE)
    rows = []
    for row in ROWS:
        first = reference if row.reference else lp_sqlite
        goal = row.goal
        rows.append(
            [
                row.label.format(**asdict(sizes)),
                row.unit,
                cell(first, row.key),
                "" if row.reference else cell(lp_pg, row.key),
                "" if row.reference else cell(lamindb, row.key),
                ratio(row, figure(lp_sqlite, row.key), figure(lamindb, row.key)),
                goal.text(row.unit) if goal else "",
                goal.status(figure(lp_sqlite, row.key), sizes) if goal and lp_sqlite else "",
                goal.status(figure(lp_pg, row.key), sizes) if goal and lp_pg else "",
            ]
        )
    return format_table(rows, with_postgres=lp_pg is not None, with_lamindb=lamindb is not None)


def result(runs: dict[str, Any], name: str, key: str) -> dict[str, Any]:
    return runs.get(name, {}).get("results", {}).get(key, {})


def notes(runs: dict[str, Any], sizes: Sizes, skipped: list[str]) -> list[str]:
    lines = []
    engines = [name for name in runs if name != REFERENCE and not name.startswith("_")]
    for name in engines:
        parts = []
        for key in ("save", "version", "load"):
            item = result(runs, name, key)
            if "median_call" in item:
                parts.append(
                    f"{key} median call {fmt(item['median_call'])} ms, "
                    f"max {fmt(item['max_call'])} ms"
                )
        if parts:
            lines.append(f"{name}: " + "; ".join(parts))
    for name, run in runs.items():
        for key, item in run["results"].items():
            if "error" in item:
                lines.append(f"{name}: {key} FAILED: {item['error'].splitlines()[0]}")
    size = sizes.file_mib * MIB
    fl = result(runs, "lamin_pipes/sqlite", "hash_fl")
    if "seconds" in fl:
        read = fl["bytes_read"]
        real = read / MB / statistics.median(fl["seconds"])
        if read < size:
            what = (
                f"it reads only {read // MIB} of {sizes.file_mib} MiB (first + last 50 MiB), so "
                "its MB/s is the file size over the time, not a read rate; the bytes it reads go "
                f"at {fmt(real)} MB/s"
            )
        else:
            what = "at this size its first and last 50 MiB overlap: it reads the whole file"
        lines.append(
            f"hash_file of a {sizes.file_mib} MiB file is lamindb's sha1-fl: {what}. The "
            "whole-file md5 row (chunk_size = file size) and put_file read every byte."
        )
    hashes = {
        name: (
            result(runs, name, "hash_fl").get("hash"),
            result(runs, name, "hash_md5").get("hash"),
        )
        for name in ("lamin_pipes/sqlite", "lamindb/sqlite")
    }
    if all(all(pair) for pair in hashes.values()):
        same = hashes["lamin_pipes/sqlite"] == hashes["lamindb/sqlite"]
        lines.append(
            f"lamin_pipes and lamindb hashes of the file {'agree' if same else 'DIFFER'}: "
            f"{hashes['lamin_pipes/sqlite'][0][1]} ({hashes['lamin_pipes/sqlite'][0][2]}), "
            f"{hashes['lamin_pipes/sqlite'][1][1]} (md5)."
        )
    put = figure(runs.get("lamin_pipes/sqlite"), "put_file")
    refs = {key: figure(runs.get(REFERENCE), key) for key in ("cp", "cp_sync", "cp_sync_md5sum")}
    if put and all(refs.values()):
        lines.append(
            f"put_file (one pass: copy, hash, fsync) runs at {put / refs['cp_sync'] * 100:.0f}% "
            f"of cp + sync and {put / refs['cp_sync_md5sum']:.2f}x cp + sync + md5sum "
            f"(two passes); plain cp (no fsync: the kernel writes back later, it may throttle) "
            f"{fmt(refs['cp'])} MB/s. For a file over 50 MiB the hash covers only the first and "
            "last 50 MiB (sha1-fl)."
        )
    for name in engines:
        big = result(runs, name, "big_save")
        if "value" in big:
            lines.append(
                f"{name}: Artifact({sizes.file_mib} MiB file).save() "
                f"{fmt(size / MB / big['value'])} MB/s ({big.get('hash_type')})"
            )
    lines.append(
        f"Rows 1-3: {sizes.rounds} round(s) of {sizes.artifacts} saves / {sizes.versions} "
        f"versions / {sizes.artifacts} loads after {sizes.warmup} untimed saves; the figure is "
        "the median of the round means (total / n). DataFrames: "
        f"{sizes.rows} rows x 4 columns (int, float, int, str), parquet."
    )
    lines.append(
        f"Rows 4-5: median of {sizes.file_repeats} runs ({sizes.big_saves} for Artifact.save) "
        "on one file read from the page cache; copies go to the same disk. MB = 10^6 bytes."
    )
    if "lamindb/sqlite" in runs:
        lines.append(
            "Copies into storage: lamin_pipes hashes while it copies in one pass (above two "
            "hash chunks only the hashed first and last 50 MiB go through Python, the middle "
            "is copied in the kernel) and fsyncs the file and its directory (also on every "
            "DataFrame save); lamindb hashes first, then copies with shutil.copyfile "
            "(in-kernel), without fsync."
        )
    lines.append("lamindb runs with settings.verbosity='error', offline, on SQLite.")
    lines.extend(skipped)
    return lines


def run_targets(
    args: argparse.Namespace, sizes: Sizes, tmp: Path, file: Path
) -> dict[str, dict[str, Any]]:
    """Set up every engine and backend asked for, and run the workloads on each in turn."""
    runs: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    extra = ["--file", str(file)]
    with contextlib.ExitStack() as stack:
        # One instance serves both phases: one scratch database, one SQLite file.
        targets, pg_version = start_targets(
            args,
            stack,
            runs,
            skipped,
            databases={"db": f"lp_bench_{secrets.token_hex(4)}"},
            lamin_pipes=lambda backend, urls: lamin_pipes_target(
                backend,
                tmp / f"lamin_pipes-{backend}",
                PHASES,
                urls["db"] if urls else None,
                shared=True,
            ),
            lamindb=lambda python: lamindb_target(
                python, tmp, PHASES, "lpbench-artifacts", shared="instance"
            ),
        )
        # Phase by phase, engines one after the other: a drift of the machine's load
        # between the engines' turns stays short.
        for target in targets:
            runs[target.name] = {"meta": {}, "results": {}}
            run_phase(target, "main", sizes, runs[target.name], script=Path(__file__), extra=extra)
            if target.backend == "postgresql":
                on_postgres(runs[target.name], pg_version)
        for target in targets:
            if target.backend != "sqlite":
                continue  # rows 4-5 do not depend on the database
            run_phase(target, "file", sizes, runs[target.name], script=Path(__file__), extra=extra)
            if target.engine == "lamin_pipes":
                try:
                    results = reference_timings(file, tmp / "reference", sizes)
                except (OSError, subprocess.CalledProcessError) as error:
                    results = {"references": {"error": str(error)}}
                runs[REFERENCE] = {"meta": {}, "results": results}
    runs["_skipped"] = {"notes": skipped}
    return runs


def orchestrate(args: argparse.Namespace) -> int:
    sizes = QUICK if args.quick else FULL

    def run(tmp: Path, info: dict[str, Any]) -> dict[str, dict[str, Any]]:
        file = tmp / "data" / "big.bin"
        log(f"writing a {sizes.file_mib} MiB file ...")
        info["file_write_s"] = write_file(file, sizes.file_mib)
        return run_targets(args, sizes, tmp, file)

    return run_and_report(
        args,
        sizes,
        title="Artifact benchmarks",
        about="lp = lamin_pipes; lamindb/lp = lamindb's time over lamin_pipes' on SQLite "
        "(> 1: lamin_pipes is faster).",
        tmp_prefix="lpbench-artifacts-",
        run_targets=run,
        table=lambda runs: render_table(runs, sizes),
        notes=lambda runs, skipped: notes(runs, sizes, skipped),
    )


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(
        __doc__.splitlines()[0],
        quick_help="one round, a 64 MiB file",
        postgres_help="PostgreSQL server to create a throw-away database on",
        json_default=DEFAULT_JSON,
        phases=PHASES,
    )
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return worker(args) if args.worker else orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
