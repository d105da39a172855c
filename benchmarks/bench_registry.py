#!/usr/bin/env python
"""Registry benchmarks: lamin_pipes on SQLite (and PostgreSQL) side by side with lamindb.

Run it with the python of the environment where lamin_pipes is installed::

    python benchmarks/bench_registry.py                      # lamin_pipes, SQLite (+ PostgreSQL)
    python benchmarks/bench_registry.py --quick              # small sizes, a smoke run
    python benchmarks/bench_registry.py --lamindb-python /path/to/lamindb/venv/bin/python

Every workload runs in a fresh worker process per engine and backend (this same file, started
with ``--worker``), on a throw-away instance in a temporary directory. lamindb is never imported
by lamin_pipes: its worker is this file run by the lamindb python, on its own SQLite instance.
The workload code below is shared by both engines (it only uses the API they have in common),
so the figures are measured the same way, side by side, in one run.

The table goes to stdout, progress to stderr, and all figures (with their samples) to
``benchmarks/results/latest.json``. Read the figures as ratios measured on one machine in one
run; absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _common import (  # standard library only: runs under either python
    Goal,
    Target,
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
DEFAULT_JSON = HERE / "results" / "latest.json"
PHASES = ("main", "search")
IMPORT_TIMEOUT_S = 120
MARK = "LPBENCH"


# --------------------------------------------------------------------------------------
# Sizes, goals and the rows of the table
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """How much work each workload does."""

    bulk: int = 10_000  # records per bulk save; also the rows of to_dataframe and small lookup
    bulk_repeats: int = 3  # timed bulk saves (median); lamindb's default path runs once
    get_calls: int = 1_000
    df_repeats: int = 5
    search_records: int = 100_000  # records of the search registry; also the large lookup
    search_small_records: int = 10_000  # searched first, once this many are saved
    search_queries: int = 30
    search_rounds: int = 3  # timings per query (its median counts)
    lookup_repeats: int = 5
    lookup_large_repeats: int = 3
    import_repeats: int = 5  # fresh processes (median), after one warm-up process
    batch: int = 10_000  # names per from_values() call when filling the search registry


FULL = Sizes()
QUICK = Sizes(
    bulk=1_000,
    get_calls=200,
    df_repeats=3,
    search_records=10_000,
    lookup_repeats=3,
    import_repeats=3,
)


@dataclass(frozen=True)
class Row:
    """One line of the table: a lamin_pipes figure and the matching lamindb figure."""

    key: str  # result key of lamin_pipes
    label: str  # formatted with the sizes
    unit: str
    lamindb_key: str | None = None  # result key of lamindb, when it differs
    goal: Goal | None = None


ROWS: tuple[Row, ...] = (
    Row(
        "bulk_ulabel",
        "1 bulk save ULabel.from_values({bulk:,}, create=True).save()",
        "s",
        goal=Goal(0.5, "bulk", 10_000),
    ),
    Row(
        "bulk_ulabel",
        "  ditto, lamindb with creation.search_names=False",
        "s",
        lamindb_key="bulk_ulabel_fast",
    ),
    Row(
        "bulk_record",
        "1 bulk save Record.from_values({bulk:,}, field='name', create=True)",
        "s",
        goal=Goal(0.5, "bulk", 10_000),
    ),
    Row(
        "bulk_record",
        "  ditto, lamindb with creation.search_names=False",
        "s",
        lamindb_key="bulk_record_fast",
    ),
    Row(
        "import_connect",
        "2 import + connect to an existing instance (fresh process)",
        "s",
        goal=Goal(0.3),
    ),
    Row("import_only", "  import alone (fresh process)", "s"),
    Row("get", "3 get: ULabel.get(name=...), median of {get_calls:,} calls", "ms", goal=Goal(0.3)),
    Row("to_dataframe", "4 to_dataframe: filter(name__startswith=...), {bulk:,} rows", "ms"),
    Row(
        "search_small",
        "5 search over {search_small_records:,} ULabels, median of {search_queries} queries",
        "ms",
        goal=Goal(2, "search_small_records", 10_000),
    ),
    Row(
        "search",
        "5 search over {search_records:,} ULabels, median of {search_queries} queries",
        "ms",
        goal=Goal(50, "search_records", 100_000),
    ),
    Row("lookup_small", "6 lookup() over {bulk:,} ULabels", "ms", goal=Goal(50, "bulk", 10_000)),
    Row("lookup_large", "6 lookup() over {search_records:,} ULabels", "ms"),
)


# --------------------------------------------------------------------------------------
# Workloads (shared by both engines: standard library only, runs under either python)
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def name_search_on_create(ln: Any, *, enabled: bool) -> Iterator[None]:
    """lamindb's ``settings.creation.search_names``; lamin_pipes has no such setting."""
    creation = getattr(ln.settings, "creation", None)
    if creation is None or not hasattr(creation, "search_names"):
        yield
        return
    previous = creation.search_names
    creation.search_names = enabled
    try:
        yield
    finally:
        creation.search_names = previous


def delete_by_prefix(registry: Any, prefix: str) -> None:
    registry.filter(name__startswith=prefix).delete(permanent=True)


def bulk_runs(
    registry: Any, prefix: str, n: int, repeats: int, kwargs: dict[str, Any]
) -> list[float]:
    """Save ``n`` new records ``repeats`` times (the previous ones deleted in between)."""
    names = [f"{prefix}{i}" for i in range(n)]
    samples = []
    for _ in range(repeats):
        delete_by_prefix(registry, prefix)
        elapsed, _ = timed(lambda: registry.from_values(names, create=True, **kwargs).save())
        samples.append(elapsed)
    count = registry.filter(name__startswith=prefix).count()
    if count != n:
        msg = f"{registry.__name__}: expected {n} records named {prefix}*, found {count}"
        raise AssertionError(msg)
    return samples


def bench_bulk(
    ln: Any, engine: str, registry: Any, prefix: str, key: str, sizes: Sizes, kwargs: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Workload 1: ``from_values([...], create=True).save()`` of ``sizes.bulk`` new names."""
    warmup = [f"warmup-{i}" for i in range(100)]
    registry.from_values(warmup, create=True, **kwargs).save()
    delete_by_prefix(registry, "warmup-")
    if engine != "lamindb":
        samples = bulk_runs(registry, prefix, sizes.bulk, sizes.bulk_repeats, kwargs)
        return {key: measurement(samples, "s", n=sizes.bulk)}
    # lamindb's default path looks up similar names for every new record: run it once;
    # its documented fast path switches that off.
    slow = bulk_runs(registry, prefix, sizes.bulk, 1, kwargs)
    with name_search_on_create(ln, enabled=False):
        fast = bulk_runs(registry, prefix, sizes.bulk, sizes.bulk_repeats, kwargs)
    return {
        key: measurement(slow, "s", n=sizes.bulk, note="default settings, one run"),
        f"{key}_fast": measurement(
            fast, "s", n=sizes.bulk, note="settings.creation.search_names=False"
        ),
    }


def bench_get(ln: Any, sizes: Sizes) -> dict[str, Any]:
    """Workload 3: ``ULabel.get(name=...)`` on random existing names, timed one by one."""
    rng = random.Random(1)
    names = [f"label{rng.randrange(sizes.bulk)}" for _ in range(sizes.get_calls)]
    for name in names[:20]:  # warm-up
        ln.ULabel.get(name=name)
    samples = []
    for name in names:
        start = time.perf_counter()
        record = ln.ULabel.get(name=name)
        samples.append(time.perf_counter() - start)
        if record.name != name:
            raise AssertionError(f"get(name={name!r}) returned {record.name!r}")
    result = measurement(samples, "ms", calls=len(samples))
    result["mean"] = statistics.fmean(result["samples"])
    result["samples"] = []  # a thousand per-call timings add nothing to the JSON
    return result


def bench_to_dataframe(ln: Any, sizes: Sizes) -> dict[str, Any]:
    """Workload 4: one query evaluated into a DataFrame of ``sizes.bulk`` rows."""

    def run() -> Any:
        return ln.ULabel.filter(name__startswith="label").to_dataframe(limit=None)

    frame = run()  # warm-up
    if len(frame) != sizes.bulk:
        raise AssertionError(f"to_dataframe returned {len(frame)} rows, expected {sizes.bulk}")
    samples = [timed(run)[0] for _ in range(sizes.df_repeats)]
    return measurement(samples, "ms", rows=len(frame), columns=len(frame.columns))


def lookup_key(value: str) -> str:
    """The attribute name lamindb's ``lookup()`` gives a value."""
    key = re.sub("[^0-9a-zA-Z_]+", "_", value).lower()
    return key if key[:1].isalpha() else f"bt_{key}"


def bench_lookup(ln: Any, name: str, repeats: int) -> dict[str, Any]:
    """Workload 6: build ``ULabel.lookup()`` and read one attribute from it."""
    key = lookup_key(name)

    def run() -> Any:
        return getattr(ln.ULabel.lookup(), key)

    note = f"lookup() then .{key}"
    try:
        found = run()  # warm-up
        if getattr(found, "name", None) != name:
            note += f" (returned {found!r:.80}, expected the record named {name!r})"
    except AttributeError as error:  # attribute names differ: time lookup() alone
        note = f"lookup() alone; .{key} failed: {error}"

        def run() -> Any:
            return ln.ULabel.lookup()

        run()
    samples = [timed(run)[0] for _ in range(repeats)]
    return measurement(samples, "ms", note=note)


_CONSONANTS = "bcdfghklmnprstvz"
_VOWELS = "aeiou"


def search_vocabulary(n: int) -> list[str]:
    """``n`` distinct two-word names made of pronounceable made-up words (deterministic)."""
    rng = random.Random(42)
    size = math.isqrt(int(n * 1.6)) + 2
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.randint(2, 4)
        words.add("".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables)))
    ordered = sorted(words)
    pairs = [(a, b) for a in ordered for b in ordered if a != b]
    return [f"{a} {b}" for a, b in rng.sample(pairs, n)]


def typo(word: str, rng: random.Random) -> str:
    """One edit: swap two neighbouring letters, drop one, or change a vowel."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "vowel"))
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    vowel = next((j for j in range(i, len(word)) if word[j] in _VOWELS), None)
    if vowel is None:
        return word[:i] + word[i + 1 :]
    other = rng.choice([v for v in _VOWELS if v != word[vowel]])
    return word[:vowel] + other + word[vowel + 1 :]


def search_queries(names: list[str], count: int) -> list[dict[str, str]]:
    """A mix of exact names, names with a typo, single words and word prefixes."""
    rng = random.Random(7)
    picks = rng.sample(names, count)
    queries = []
    for i, name in enumerate(picks):
        first, second = name.split(" ")
        kind = ("exact", "typo", "exact", "typo", "word", "prefix")[i % 6]
        if kind == "exact":
            queries.append({"query": name, "target": name, "kind": kind})
        elif kind == "typo":
            queries.append({"query": f"{typo(first, rng)} {second}", "target": name, "kind": kind})
        elif kind == "word":
            queries.append({"query": second, "target": "", "kind": kind})
        else:
            queries.append({"query": first[:4], "target": "", "kind": kind})
    return queries


def bench_search(ln: Any, queries: list[dict[str, str]], rounds: int) -> dict[str, Any]:
    """Workload 5: ``ULabel.search(query)`` evaluated to a list (default limit, 20)."""
    hits: dict[str, list[int]] = {}
    for q in queries:  # warm-up, and how well each engine finds what was meant
        found = [r.name for r in ln.ULabel.search(q["query"])]
        if q["kind"] == "exact":
            hit = bool(found) and found[0] == q["target"]
        elif q["kind"] == "typo":
            hit = q["target"] in found
        else:
            hit = any(q["query"] in name for name in found)
        total = hits.setdefault(q["kind"], [0, 0])
        total[0] += int(hit)
        total[1] += 1
    per_query: list[list[float]] = [[] for _ in queries]
    for _ in range(rounds):
        for times, q in zip(per_query, queries, strict=True):
            start = time.perf_counter()
            list(ln.ULabel.search(q["query"]))
            times.append(time.perf_counter() - start)
    medians = sorted(statistics.median(times) for times in per_query)
    result = measurement(medians, "ms", queries=len(queries), rounds=rounds)
    result["p90"] = result["samples"][int(0.9 * (len(medians) - 1))]
    result["max"] = result["samples"][-1]
    result["hits"] = {kind: f"{h}/{n}" for kind, (h, n) in hits.items()}
    return result


# --------------------------------------------------------------------------------------
# Worker: one engine, one backend, one phase, in its own process
# --------------------------------------------------------------------------------------


def phase_main(ln: Any, engine: str, sizes: Sizes, results: dict[str, Any]) -> None:
    run_step(
        results,
        "bulk_ulabel",
        lambda: bench_bulk(ln, engine, ln.ULabel, "label", "bulk_ulabel", sizes, {}),
        many=True,
    )
    run_step(
        results,
        "bulk_record",
        lambda: bench_bulk(
            ln, engine, ln.Record, "record", "bulk_record", sizes, {"field": "name"}
        ),
        many=True,
    )
    run_step(results, "get", lambda: bench_get(ln, sizes))
    run_step(results, "to_dataframe", lambda: bench_to_dataframe(ln, sizes))
    run_step(results, "lookup_small", lambda: bench_lookup(ln, "label1", sizes.lookup_repeats))


def phase_search(ln: Any, engine: str, sizes: Sizes, results: dict[str, Any]) -> None:
    names = search_vocabulary(sizes.search_records)

    small = min(sizes.search_small_records, len(names))
    fill_seconds: list[float] = []

    def fill(stop: int) -> Callable[[], dict[str, Any]]:
        first = small if fill_seconds else 0  # the second fill adds to the first

        def save_all() -> None:
            with name_search_on_create(ln, enabled=False):
                for start in range(first, stop, sizes.batch):
                    end = min(start + sizes.batch, stop)
                    ln.ULabel.from_values(names[start:end], create=True).save()

        def step() -> dict[str, Any]:
            elapsed, _ = timed(save_all)
            fill_seconds.append(elapsed)
            note = f"from_values(create=True).save() in batches of {sizes.batch:,}"
            if engine == "lamindb":
                note += ", settings.creation.search_names=False"
            return measurement([sum(fill_seconds)], "s", n=stop, note=note)

        return step

    # the first records alone: search over the smaller registry, then fill up to the rest
    run_step(results, "search_fill", fill(small))
    if "error" in results["search_fill"]:
        return
    run_step(
        results,
        "search_small",
        lambda: bench_search(
            ln, search_queries(names[:small], sizes.search_queries), sizes.search_rounds
        ),
    )
    if small < len(names):
        run_step(results, "search_fill", fill(len(names)))
        if "error" in results["search_fill"]:
            return
    run_step(
        results,
        "search",
        lambda: bench_search(ln, search_queries(names, sizes.search_queries), sizes.search_rounds),
    )
    run_step(
        results, "lookup_large", lambda: bench_lookup(ln, names[0], sizes.lookup_large_repeats)
    )


def worker(args: argparse.Namespace) -> int:
    sizes = Sizes(**json.loads(args.sizes))
    ln = open_engine(args.worker, args.db, args.storage)
    results: dict[str, Any] = {}
    {"main": phase_main, "search": phase_search}[args.phase](ln, args.worker, sizes, results)
    return write_figures(args.out, engine_meta(args.worker, ln), results)


# --------------------------------------------------------------------------------------
# Orchestrator: instances, workers, fresh-process timings, the table
# --------------------------------------------------------------------------------------


def fresh_process_seconds(target: Target, code: str, repeats: int) -> dict[str, Any]:
    """Time ``code`` (which prints ``LPBENCH <seconds>``) in fresh processes; median."""
    samples = []
    # Python may write bytecode (as it does for users by default): the first run fills
    # __pycache__ and the file-system cache, later runs measure a warm import.
    env = {k: v for k, v in target.env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for i in range(repeats + 1):
        done = subprocess.run(
            [target.python, "-c", code],
            cwd=target.cwd("main"),
            env=env,
            text=True,
            capture_output=True,
            timeout=IMPORT_TIMEOUT_S,
            check=False,
        )
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARK)), None)
        if done.returncode != 0 or line is None:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            raise RuntimeError(f"exit code {done.returncode}:\n{tail}")
        if i:
            samples.append(float(line.split()[1]))
    return measurement(samples, "s", processes=repeats)


def import_timings(target: Target, sizes: Sizes) -> dict[str, Any]:
    package = "lamindb" if target.engine == "lamindb" else "lamin_pipes"
    # lamin_pipes connects to the SQLAlchemy URL; lamindb to the instance by name (offline).
    connect = f"ln.connect({target.db['main']!r}); "
    timings: dict[str, Any] = {}
    for key, body in (("import_connect", connect), ("import_only", "")):
        code = (
            f"import time; t = time.perf_counter(); import {package} as ln; {body}"
            f"print({MARK!r}, time.perf_counter() - t)"
        )
        log(f"[{target.name}] {key} ...")
        try:
            timings[key] = fresh_process_seconds(target, code, sizes.import_repeats)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            timings[key] = {"error": str(error)}
    if target.engine == "lamindb":
        note = "import lamindb in the instance directory (it connects to it on import)"
        timings["import_only"]["note"] = note
    return timings


def benchmark_target(target: Target, sizes: Sizes) -> dict[str, Any]:
    run: dict[str, Any] = {"meta": {}, "results": {}}
    for phase in PHASES:
        ran = run_phase(target, phase, sizes, run, script=Path(__file__))
        if ran and phase == "main":
            run["results"].update(import_timings(target, sizes))
    return run


# --- the table -------------------------------------------------------------------------


def cell(run: dict[str, Any] | None, key: str | None) -> str:
    if run is None:
        return "-"
    return fmt(figure(run, key), missing="ERR")


def render_table(runs: dict[str, dict[str, Any]], sizes: Sizes) -> str:
    """The plain-text table; columns and rows of engines that did not run are left out."""
    lp_sqlite = runs.get("lamin_pipes/sqlite")
    lp_pg = runs.get("lamin_pipes/postgresql")
    lamindb = runs.get("lamindb/sqlite")
    rows = []
    for row in ROWS:
        if row.lamindb_key and lamindb is None:
            continue  # a lamindb-only variant
        lp_value = figure(lp_sqlite, row.key)
        goal = row.goal
        rows.append(
            [
                row.label.format(**asdict(sizes)),
                row.unit,
                cell(lp_sqlite, row.key),
                cell(lp_pg, row.key),
                cell(lamindb, row.lamindb_key or row.key),
                ratio_cell(figure(lamindb, row.lamindb_key or row.key), lp_value),
                goal.text(row.unit) if goal else "",
                goal.status(lp_value, sizes) if goal and lp_sqlite else "",
                goal.status(figure(lp_pg, row.key), sizes) if goal and lp_pg else "",
            ]
        )
    return format_table(rows, with_postgres=lp_pg is not None, with_lamindb=lamindb is not None)


def notes(runs: dict[str, dict[str, Any]], sizes: Sizes, skipped: list[str]) -> list[str]:
    lines = []
    for name, run in runs.items():
        results = run["results"]
        search = results.get("search", {})
        fill = results.get("search_fill", {})
        if "hits" in search:
            hits = ", ".join(f"{kind} {score}" for kind, score in search["hits"].items())
            lines.append(
                f"{name}: search hits ({hits}); p90 {fmt(search['p90'])} ms, "
                f"max {fmt(search['max'])} ms"
            )
        if "value" in fill:
            lines.append(
                f"{name}: filling the search registry with {fill['n']:,} ULabels took "
                f"{fmt(fill['value'])} s ({fill['note']})"
            )
        get = results.get("get", {})
        if "mean" in get:
            lines.append(f"{name}: get mean {fmt(get['mean'])} ms per call")
        for key, item in results.items():
            if "error" in item:
                lines.append(f"{name}: {key} FAILED: {item['error'].splitlines()[0]}")
            elif key.startswith("lookup") and "failed" in item.get("note", ""):
                lines.append(f"{name}: {key}: {item['note']}")
    lines.append(
        "lamindb runs with settings.verbosity='error'; its default bulk path (name "
        "search per new record) is timed once, every other bulk figure is the median "
        f"of {sizes.bulk_repeats} saves."
    )
    lines.extend(skipped)
    return lines


def run_targets(args: argparse.Namespace, sizes: Sizes, tmp: Path) -> dict[str, dict[str, Any]]:
    """Set up every engine and backend asked for, and run the workloads on each in turn."""
    runs: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    with contextlib.ExitStack() as stack:
        targets, pg_version = start_targets(
            args,
            stack,
            runs,
            skipped,
            databases={phase: f"lpbench_{os.getpid()}_{phase}" for phase in PHASES},
            lamin_pipes=lambda backend, urls: lamin_pipes_target(
                backend, tmp / f"lamin_pipes-{backend}", PHASES, urls
            ),
            lamindb=lambda python: lamindb_target(python, tmp, PHASES, "lpbench"),
        )
        for target in targets:
            runs[target.name] = benchmark_target(target, sizes)
            if target.backend == "postgresql":
                on_postgres(runs[target.name], pg_version)
    runs["_skipped"] = {"notes": skipped}
    return runs


def orchestrate(args: argparse.Namespace) -> int:
    sizes = QUICK if args.quick else FULL
    return run_and_report(
        args,
        sizes,
        title="Registry benchmarks",
        about="lp = lamin_pipes; lamindb/lp = ratio on SQLite (> 1: lamin_pipes is faster).",
        tmp_prefix="lpbench-",
        run_targets=lambda tmp, _: run_targets(args, sizes, tmp),
        table=lambda runs: render_table(runs, sizes),
        notes=lambda runs, skipped: notes(runs, sizes, skipped),
    )


def main(argv: list[str] | None = None) -> int:
    parser = base_parser(
        __doc__.splitlines()[0],
        quick_help="small sizes, for a smoke run",
        postgres_help="PostgreSQL server to create throw-away databases on",
        json_default=DEFAULT_JSON,
        phases=PHASES,
    )
    args = parser.parse_args(argv)
    return worker(args) if args.worker else orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
