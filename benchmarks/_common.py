"""Harness shared by the benchmark scripts in this folder (not a benchmark itself).

A benchmark script is run as ``python benchmarks/bench_X.py``, which puts this folder on
``sys.path``, so the scripts import it as ``_common``. The same script is started again,
with ``--worker``, by the python of each engine: lamin_pipes' own, or the python of a
lamindb virtualenv. This module is therefore imported by both, and at module level it uses
the standard library only; SQLAlchemy and lamin_pipes are imported inside the functions
that only the orchestrator (the lamin_pipes python) calls.

What lives here: the figures (:func:`measurement`, :func:`timed`, :class:`Goal`), the
worker side (:func:`open_engine`, :func:`engine_meta`, :func:`run_step`,
:func:`write_figures`), the orchestrator side (:class:`Target` and its two makers,
:func:`run_worker`, :func:`run_phase`, :func:`start_targets`, the PostgreSQL scratch
databases), the plain-text table (:func:`fmt`, :func:`figure`, :func:`layout`,
:func:`format_table`, :func:`render_limit_table`) and the report (:func:`machine`,
:func:`headline`, :func:`run_and_report`, :func:`report`, :func:`base_parser`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
WORKER_TIMEOUT_S = 3600
#: Prefix of a worker's progress lines on its stdout (relayed to the orchestrator's stderr).
PROGRESS = "LPBENCH-STEP "


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def measurement(samples: list[float], unit: str, **extra: Any) -> dict[str, Any]:
    """A figure from timings in seconds: their median in ``unit`` (ms or anything else
    taken as is), the converted samples, and any ``extra`` fields."""
    scale = 1000.0 if unit == "ms" else 1.0
    values = [s * scale for s in samples]
    return {"value": statistics.median(values), "unit": unit, "samples": values, **extra}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Call ``fn``; the seconds it took and what it returned."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


@dataclass(frozen=True)
class Goal:
    """A target figure: ``value < limit``, judged only at the size it was set for.

    ``size_attr`` names the field of the script's ``Sizes`` that must equal ``size`` for
    the goal to apply (a ``--quick`` run shows ``n/a``); without it the goal always applies.
    """

    limit: float
    size_attr: str | None = None
    size: int | None = None

    def text(self, unit: str) -> str:
        """The goal as the table's goal column shows it."""
        at = f" @{self.size // 1000}k" if self.size else ""
        return f"< {self.limit:g} {unit}{at}"

    def status(self, value: float | None, sizes: Any) -> str:
        """``PASS``, ``MISS``, ``n/a`` (other sizes) or ``ERR`` (no figure)."""
        if value is None:
            return "ERR"
        if self.size_attr and getattr(sizes, self.size_attr) != self.size:
            return "n/a"
        return "PASS" if value < self.limit else "MISS"


def log(message: str) -> None:
    """A progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# Worker side: one engine, one backend, one phase, in its own process
# --------------------------------------------------------------------------------------


def open_engine(engine: str, db: str, storage: str) -> Any:
    """Connect ``lamindb`` (to the instance named ``db``, offline and quiet) or
    ``lamin_pipes`` (to the URL ``db`` and the folder ``storage``); the module as ``ln``."""
    if engine == "lamindb":
        import lamindb as ln  # type: ignore[import-not-found]

        if ln.setup.settings.instance.name != db:
            ln.connect(db)
        ln.setup.settings.instance._is_on_hub = False  # stay offline
        ln.settings.verbosity = "error"  # no per-record log lines
        return ln
    import lamin_pipes as ln

    ln.connect(db, storage)
    return ln


def engine_meta(engine: str, ln: Any) -> dict[str, Any]:
    """Versions of the engine and its stack, and which instance it ran on."""
    import sqlite3

    meta = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for package in ("lamindb", "django") if engine == "lamindb" else ("lamin-pipes", "sqlalchemy"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            meta[package] = importlib.metadata.version(package)
    if engine == "lamindb":
        meta["instance"] = ln.setup.settings.instance.slug
    else:
        from sqlalchemy.engine import make_url

        meta["db"] = make_url(ln.settings.instance.db).render_as_string(hide_password=True)
    return meta


def run_step(
    results: dict[str, Any], key: str, fn: Callable[[], dict[str, Any]], *, many: bool = False
) -> None:
    """Run one workload and store its figure under ``key`` (with ``many``, ``fn`` returns
    several figures by key). A failure is printed and recorded, and the next one runs."""
    print(f"{PROGRESS}{key}", file=sys.stderr, flush=True)
    try:
        figures = fn()
    except Exception as error:
        traceback.print_exc()
        results[key] = {"error": f"{type(error).__name__}: {error}"}
        return
    results.update(figures if many else {key: figures})


def write_figures(out: str, meta: dict[str, Any], results: dict[str, Any]) -> int:
    """Write a worker's figures where the orchestrator reads them; the worker's exit code."""
    payload = {"meta": meta, "results": results}
    Path(out).write_text(json.dumps(payload, indent=2, default=str))
    return 0


# --------------------------------------------------------------------------------------
# Orchestrator side: targets and worker processes
# --------------------------------------------------------------------------------------


@dataclass
class Target:
    """An engine on a backend: its python, a root folder, and per phase the database (a
    URL, or a lamindb instance name) and storage its worker connects to."""

    engine: str  # "lamin_pipes" or "lamindb"
    backend: str  # "sqlite" or "postgresql"
    python: str
    root: Path
    db: dict[str, str] = field(default_factory=dict)
    storage: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def name(self) -> str:
        return f"{self.engine}/{self.backend}"

    def cwd(self, phase: str) -> Path:
        """The working folder of ``phase`` (created on first use)."""
        path = self.root / phase
        path.mkdir(parents=True, exist_ok=True)
        return path


def lamin_pipes_target(
    backend: str,
    root: Path,
    phases: Sequence[str],
    urls: Mapping[str, str] | str | None = None,
    *,
    shared: bool = False,
    unset: Sequence[str] = (),
) -> Target:
    """lamin_pipes, run by this python, on ``urls`` (one URL, or one per phase) or, without
    them, on an SQLite file.

    Each phase gets its own SQLite file and storage folder in its working folder; with
    ``shared``, one file and one folder directly in ``root`` serve every phase. The
    variables that would point lamin_pipes elsewhere are removed from the workers'
    environment, and so are those named in ``unset``.
    """
    target = Target("lamin_pipes", backend, sys.executable, root)
    for var in ("LAMIN_PIPES_DB", "LAMIN_PIPES_STORAGE", *unset):
        target.env.pop(var, None)
    for phase in phases:
        folder = root if shared else target.cwd(phase)
        if isinstance(urls, str):
            target.db[phase] = urls
        elif urls:
            target.db[phase] = urls[phase]
        else:
            target.db[phase] = f"sqlite:///{folder / 'lamin.db'}"
        target.storage[phase] = str(folder / "storage")
    return target


def lamindb_target(
    python: str, tmp: Path, phases: Sequence[str], name: str, *, shared: str | None = None
) -> Target:
    """lamindb, run by ``python``, on SQLite instances made with ``lamin init``.

    Each phase gets an instance ``{name}-{phase}`` in its working folder; with ``shared``,
    a single instance ``name`` in the folder ``shared`` serves every phase. The workers get
    a private home, settings and cache folder under ``tmp/lamindb``.

    Raises:
        RuntimeError: ``lamin init`` failed.
    """
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
    instances = {shared: name} if shared else {phase: f"{name}-{phase}" for phase in phases}
    for folder, instance in instances.items():
        command = [python, "-m", "lamin_cli", "init", "--storage", "./storage", "--name", instance]
        done = subprocess.run(
            command,
            cwd=target.cwd(folder),
            env=target.env,
            text=True,
            capture_output=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"lamin init failed:\n{done.stdout}\n{done.stderr}")
    for phase in phases:
        folder = shared or phase
        target.db[phase] = instances[folder]
        target.storage[phase] = str(target.cwd(folder) / "storage")
    return target


def run_worker(
    target: Target, phase: str, sizes: Any, *, script: Path, extra: Sequence[str] = ()
) -> dict[str, Any]:
    """Run ``script --worker`` for one phase of ``target`` and return the figures it wrote
    (or ``{"error": ...}`` with the tail of its output). Its progress goes to stderr."""
    out = target.root / f"{phase}.json"
    command = [
        target.python,
        str(script.resolve()),
        "--worker",
        target.engine,
        "--phase",
        phase,
        "--db",
        target.db[phase],
        "--storage",
        target.storage[phase],
        "--sizes",
        json.dumps(asdict(sizes)),
        *extra,
        "--out",
        str(out),
    ]
    log(f"[{target.name}] {phase} phase")
    output: list[str] = []
    with subprocess.Popen(
        command,
        cwd=target.cwd(phase),
        env=target.env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as process:
        timer = threading.Timer(WORKER_TIMEOUT_S, process.kill)
        timer.start()
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(PROGRESS):
                log(f"[{target.name}]   {line[len(PROGRESS) :].strip()}")
            else:
                output.append(line.rstrip())
        returncode = process.wait()
        timer.cancel()
    tail = "\n".join(output[-30:])
    if returncode != 0 or not out.exists():
        return {"error": f"worker exited with {returncode}:\n{tail}"}
    payload: dict[str, Any] = json.loads(out.read_text())
    if any("error" in item for item in payload["results"].values()):
        log(f"[{target.name}] worker output:\n{tail}")
    return payload


def run_phase(
    target: Target,
    phase: str,
    sizes: Any,
    run: dict[str, Any],
    *,
    script: Path,
    extra: Sequence[str] = (),
) -> bool:
    """Run one phase of ``target`` and merge its figures into ``run`` (``meta`` and
    ``results``); a failed worker is recorded as ``{phase}_phase``. Whether it ran."""
    payload = run_worker(target, phase, sizes, script=script, extra=extra)
    if "error" in payload:
        log(f"[{target.name}] {phase} failed: {payload['error']}")
        run["results"][f"{phase}_phase"] = payload
        return False
    run["meta"].update(payload["meta"])
    run["results"].update(payload["results"])
    return True


def on_postgres(run: dict[str, Any], version: str | None) -> None:
    """Show the PostgreSQL server's version in ``run``'s meta instead of SQLite's."""
    run["meta"].pop("sqlite", None)
    run["meta"]["postgresql"] = version


def start_targets(
    args: argparse.Namespace,
    stack: contextlib.ExitStack,
    runs: dict[str, dict[str, Any]],
    skipped: list[str],
    *,
    databases: Mapping[str, str],
    lamin_pipes: Callable[[str, dict[str, str] | None], Target],
    lamindb: Callable[[str], Target],
) -> tuple[list[Target], str | None]:
    """The targets a run asks for, and the PostgreSQL server's version (when it is used).

    lamin_pipes on SQLite always; on PostgreSQL unless ``--no-postgres`` or the server is
    unreachable (then why goes to ``skipped``), on scratch databases named by the values
    of ``databases`` (``lamin_pipes`` gets their URLs under the same keys), dropped when
    ``stack`` closes; lamindb with ``--lamindb-python``, where a failed set-up is recorded
    in ``runs``.
    """
    targets = [lamin_pipes("sqlite", None)]
    pg_url, pg_version = postgres_url(args, skipped)
    if pg_url:
        urls = stack.enter_context(pg_databases(pg_url, databases))
        targets.append(lamin_pipes("postgresql", urls))
    if args.lamindb_python:
        log("[lamindb/sqlite] creating the lamindb instance(s)")
        try:
            targets.append(lamindb(args.lamindb_python))
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
            runs["lamindb/sqlite"] = {"meta": {}, "results": {"setup": {"error": str(error)}}}
    return targets, pg_version


# --------------------------------------------------------------------------------------
# PostgreSQL scratch databases
# --------------------------------------------------------------------------------------


def pg_admin_engine(url: str) -> Any:
    """An autocommit SQLAlchemy engine on the server of ``url`` (to create databases)."""
    from sqlalchemy import create_engine

    from lamin_pipes.core._instance import normalize_url

    return create_engine(
        normalize_url(url), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )


def pg_server(url: str) -> tuple[str | None, str]:
    """The server's version, or ``None`` and why it cannot be reached."""
    from sqlalchemy import text

    try:
        engine = pg_admin_engine(url)
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
    except Exception as error:
        return None, f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return str(version), ""


@contextlib.contextmanager
def pg_databases(url: str, names: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """Fresh databases, one per value of ``names``, on the server of ``url``; their URLs
    under the same keys. They are dropped (connections or not) on the way out."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from lamin_pipes.core._instance import normalize_url

    engine = pg_admin_engine(url)
    base = make_url(normalize_url(url))
    try:
        with engine.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield {
            key: base.set(database=name).render_as_string(hide_password=False)
            for key, name in names.items()
        }
    finally:
        with engine.connect() as connection:
            for name in names.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@contextlib.contextmanager
def pg_database(url: str, name: str) -> Iterator[str]:
    """One scratch database ``name`` (see :func:`pg_databases`); its URL."""
    with pg_databases(url, {name: name}) as urls:
        yield urls[name]


def postgres_url(args: argparse.Namespace, skipped: list[str]) -> tuple[str | None, str | None]:
    """The PostgreSQL server to benchmark on and its version, or ``(None, None)``.

    Why it is skipped goes to ``skipped``.

    Raises:
        SystemExit: ``--postgres`` names a server that cannot be reached.
    """
    if args.no_postgres:
        return None, None
    url: str = args.postgres or DEFAULT_PG
    version, reason = pg_server(url)
    if version is not None:
        return url, version
    if args.postgres:
        raise SystemExit(f"PostgreSQL at {args.postgres} is unreachable: {reason}")
    skipped.append(f"PostgreSQL skipped: {DEFAULT_PG} is unreachable ({reason})")
    return None, None


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------


def figure(run: dict[str, Any] | None, key: str | None) -> float | None:
    """The value of figure ``key`` in ``run``; ``None`` when either is missing."""
    if run is None or key is None:
        return None
    value = run["results"].get(key, {}).get("value")
    return None if value is None else float(value)


def fmt(value: float | None, missing: str = "-") -> str:
    """A figure with three significant digits or so (``missing`` for none)."""
    if value is None:
        return missing
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def ratio_cell(numerator: float | None, denominator: float | None) -> str:
    """``numerator / denominator`` as ``1.23x`` (in the tables: lamindb's time over
    lamin_pipes'); ``-`` unless both are there and not zero."""
    if not (numerator and denominator):
        return "-"
    return f"{fmt(numerator / denominator)}x"


def layout(table: list[list[str]], left: Sequence[bool]) -> str:
    """Align the header ``table[0]`` and the rows below it in columns (left- or
    right-aligned as ``left`` says), with a rule under the header."""
    widths = [max(len(line[i]) for line in table) for i in range(len(left))]
    lines = []
    for n, cells in enumerate(table):
        padded = [
            c.ljust(w) if is_left else c.rjust(w)
            for c, w, is_left in zip(cells, widths, left, strict=True)
        ]
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


#: Columns of the engine tables: (header, left-aligned).
COLUMNS = (
    ("workload", True),
    ("unit", True),
    ("lp SQLite", False),
    ("lp Postgres", False),
    ("lamindb SQLite", False),
    ("lamindb/lp", False),
    ("goal", True),
    ("SQLite", False),
    ("Postgres", False),
)


def format_table(rows: list[list[str]], *, with_postgres: bool, with_lamindb: bool) -> str:
    """Lay out ``rows`` (cells in :data:`COLUMNS` order) under the header, without the
    columns of engines that did not run."""
    hidden = set()
    if not with_postgres:
        hidden |= {"lp Postgres", "Postgres"}
    if not with_lamindb:
        hidden |= {"lamindb SQLite", "lamindb/lp"}
    keep = [i for i, (header, _) in enumerate(COLUMNS) if header not in hidden]
    table = [[COLUMNS[i][0] for i in keep], *([r[i] for i in keep] for r in rows)]
    return layout(table, [COLUMNS[i][1] for i in keep])


@dataclass(frozen=True)
class LimitRow:
    """A line of a table whose goal is a plain upper bound (``value <= goal``)."""

    key: str  # result key, the same for every engine
    label: str  # formatted with the sizes
    unit: str
    goal: float | None = None  # lamin_pipes at most this (judged at full sizes only)


def render_limit_table(
    runs: dict[str, dict[str, Any]], rows: Sequence[LimitRow], sizes: Any, *, quick: bool
) -> str:
    """The table of :class:`LimitRow` rows: lamin_pipes on SQLite and PostgreSQL, lamindb
    on SQLite, their ratio, and the goal (``n/a`` in a ``--quick`` run)."""
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

    lines = []
    for row in rows:
        lp_value = figure(lp, row.key)
        lines.append(
            [
                row.label.format(**asdict(sizes)),
                row.unit,
                cell(lp, row.key),
                cell(pg, row.key),
                cell(lamindb, row.key),
                ratio_cell(figure(lamindb, row.key), lp_value),
                f"<= {row.goal:g} {row.unit}" if row.goal else "",
                status(lp_value, row.goal) if row.goal and lp else "",
                status(figure(pg, row.key), row.goal) if row.goal and pg else "",
            ]
        )
    return format_table(lines, with_postgres=pg is not None, with_lamindb=lamindb is not None)


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> dict[str, Any]:
    """What the figures were measured on (and when)."""
    import sqlite3

    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": load_average(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def headline(title: str, info: dict[str, Any], *, quick: bool) -> str:
    """The first sentence of a report: what ran, where, and how loaded the machine was
    (``info`` from :func:`machine`, with ``load_average_end`` added)."""
    return (
        f"{title}{' (--quick)' if quick else ''} on {info['platform']}, "
        f"{info['cpus']} CPUs, load average {info['load_average']} at start, "
        f"{info['load_average_end']} at the end."
    )


def versions_line(name: str, meta: dict[str, Any]) -> str:
    """One run's versions, for the report (the instance it ran on left out)."""
    shown = ", ".join(f"{k} {v}" for k, v in meta.items() if v and k not in ("db", "instance"))
    return f"{name}: {shown}"


def run_and_report(
    args: argparse.Namespace,
    sizes: Any,
    *,
    title: str,
    about: str,
    tmp_prefix: str,
    run_targets: Callable[[Path, dict[str, Any]], dict[str, dict[str, Any]]],
    table: Callable[[dict[str, dict[str, Any]]], str],
    notes: Callable[[dict[str, dict[str, Any]], list[str]], list[str]],
) -> int:
    """The orchestrator of a benchmark script, from start to report.

    ``run_targets(tmp, info)`` runs every workload in the temporary folder ``tmp`` (it may
    add to the machine ``info``) and returns the runs by name, with the notes of what was
    skipped under ``"_skipped"``; ``table`` renders the runs, ``notes`` lists what the
    table leaves out (given those skipped notes). The header is :func:`headline` of
    ``title`` followed by ``about``. Returns :func:`report`'s exit code.
    """
    info = machine()
    with tempfile.TemporaryDirectory(prefix=tmp_prefix) as tmp_name:
        runs = run_targets(Path(tmp_name), info)
    skipped = runs.pop("_skipped")["notes"]
    info["load_average_end"] = load_average()
    rendered = table(runs)
    footer = notes(runs, skipped)
    header = f"{headline(title, info, quick=args.quick)} {about}"
    return report(header, runs, rendered, footer, info, asdict(sizes), args)


def report(
    header: str,
    runs: dict[str, Any],
    table: str,
    footer: list[str],
    info: dict[str, Any],
    sizes: dict[str, Any],
    args: argparse.Namespace,
) -> int:
    """Print the header, versions, table and notes; write the JSON; 1 if a workload failed."""
    print(header)
    print("\n".join(versions_line(name, run["meta"]) for name, run in runs.items() if run["meta"]))
    print()
    print(table)
    print()
    print("\n".join(f"- {line}" for line in footer))
    document = {
        "machine": info,
        "sizes": sizes,
        "quick": args.quick,
        "runs": runs,
        "table": table.splitlines(),
        "notes": footer,
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, default=str))
    print(f"\nJSON: {out}")
    failed = [
        f"{name}: {key}"
        for name, run in runs.items()
        for key, item in run["results"].items()
        if "error" in item
    ]
    if failed:
        log("failed: " + ", ".join(failed))
    return 1 if failed else 0


def base_parser(
    description: str,
    *,
    quick_help: str,
    postgres_help: str,
    json_default: Path,
    phases: Sequence[str],
) -> argparse.ArgumentParser:
    """The options every engine benchmark has, and the hidden ones of its workers."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--lamindb-python",
        metavar="PATH",
        help="python of a virtualenv with lamindb; runs its workloads too",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help=f"{postgres_help} (default: {DEFAULT_PG} when reachable)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--json", default=str(json_default), help="where to write the JSON")
    worker_args = parser.add_argument_group("worker (internal)")
    worker_args.add_argument("--worker", choices=("lamin_pipes", "lamindb"), help=argparse.SUPPRESS)
    worker_args.add_argument("--db", help=argparse.SUPPRESS)
    worker_args.add_argument("--storage", help=argparse.SUPPRESS)
    worker_args.add_argument("--sizes", help=argparse.SUPPRESS)
    worker_args.add_argument("--out", help=argparse.SUPPRESS)
    worker_args.add_argument("--phase", choices=phases, help=argparse.SUPPRESS)
    return parser
