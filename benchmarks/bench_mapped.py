#!/usr/bin/env python
"""mapped() benchmark: one DataLoader epoch over AnnData artifacts, against lamindb and memory.

Run it with the python of the environment where lamin_pipes is installed::

    python benchmarks/bench_mapped.py --quick        # 2 small files, seconds
    python benchmarks/bench_mapped.py                # 8 files of 20,000 cells x 2,000 genes
    python benchmarks/bench_mapped.py --lamindb-python /work/lamindb-ref/venv/bin/python

Data: ``--files`` ``.h5ad`` files of ``--cells`` cells x ``--genes`` genes, float32, written
twice: dense ``X``, and CSR ``X`` at ``--density`` (5 %); one categorical obs column
``cell_type`` with 10 categories. They are saved as artifacts of a throw-away lamin_pipes
instance (SQLite, local storage, in a temporary directory), and every engine reads the
stored files, read once beforehand so that the page cache is warm.

Each workload is one dataset and a ``DataLoader(dataset, batch_size=256, ...)`` over it,
in samples per second, with ``obs_keys=["cell_type"]`` encoded as integers. Its first
epoch (files opened and memory-mapped, pages of the maps touched for the first time, worker
start-up) is reported apart; the main figure is the median of ``--repeats`` further
epochs over the same dataset, as a training loop runs them (with workers, each epoch
starts its workers anew, as ``DataLoader`` does by default):

- ours: ``ln.Artifact.filter(...).mapped(obs_keys=["cell_type"])`` with ``shuffle=True``
  (random) and with ``sampler=dataset.block_sampler(64, 256)`` (block shuffle), at
  ``num_workers`` 0 and 2; ``block_sampler(64)`` (blocks shuffled, the rows of each
  block kept in order: no shuffle inside a batch) at 0 workers; plus random shuffle
  through a per-sample ``collate_fn`` (what any collate function that rebuilds the list
  of samples gets);
- lamindb 2.12: its ``MappedCollection`` over the same files with ``shuffle=True``
  (``parallel=True`` and its ``torch_worker_init_fn`` with workers), run by the lamindb
  python (``--lamindb-python``) in a process of its own; its first epoch and one more;
- the in-memory reference: all dense files in one numpy array, random batches of a
  permutation (``array[idx]``: the physical limit of random access), and the same array
  through a per-sample ``Dataset`` and ``DataLoader(batch_size=256, shuffle=True)`` with 0
  and 2 workers (the latter: the cost of moving batches between processes); for the
  CSR files, a scipy CSR matrix in memory, ``csr[idx].toarray()`` per batch. Its first
  epoch is reported apart as well (the array was just built).

Goals (issue 12): ours at least 5x lamindb with random shuffle; ours with block shuffle
within 2x of the in-memory reference (random batch indexing). The table goes to stdout,
progress to stderr, and every figure to ``benchmarks/results/mapped.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import log  # standard library only: runs under either python

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "mapped.json"
DEFAULT_LAMINDB = Path("/work/lamindb-ref/venv/bin/python")
CATEGORIES = [f"type_{i}" for i in range(10)]


# --- data ----------------------------------------------------------------------------


def write_files(folder: Path, n_files: int, cells: int, genes: int, density: float) -> dict:
    """The dense and CSR ``.h5ad`` files (deterministic): ``{"dense": [...], "csr": [...]}``."""
    import anndata as ad
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    var = pd.DataFrame(index=[f"gene_{j}" for j in range(genes)])
    written: dict[str, list[str]] = {"dense": [], "csr": []}
    for i in range(n_files):
        rng = np.random.default_rng(i)
        obs = pd.DataFrame(
            {"cell_type": pd.Categorical(rng.choice(CATEGORIES, cells), categories=CATEGORIES)},
            index=[f"f{i}_c{k}" for k in range(cells)],
        )
        dense = rng.random((cells, genes), dtype=np.float32)
        path = folder / f"dense_{i}.h5ad"
        ad.AnnData(dense, obs=obs, var=var).write_h5ad(path)
        written["dense"].append(str(path))
        del dense
        csr = sp.random(cells, genes, density=density, format="csr", dtype=np.float32, rng=rng)
        path = folder / f"csr_{i}.h5ad"
        ad.AnnData(csr, obs=obs, var=var).write_h5ad(path)
        written["csr"].append(str(path))
    return written


def register(files: dict, tmp: Path) -> dict:
    """Save the files as artifacts of a throw-away instance; the stored paths by format."""
    import lamin_pipes as ln

    ln.connect(f"sqlite:///{tmp / 'lamin.db'}", str(tmp / "storage"))
    stored: dict[str, list[str]] = {}
    for fmt, paths in files.items():
        stored[fmt] = []
        for i, path in enumerate(paths):
            artifact = ln.Artifact(path, key=f"bench/{fmt}/{i:03d}.h5ad").save()
            stored[fmt].append(str(artifact.cache()))
            os.remove(path)
    return stored


def warm(paths: list[str]) -> None:
    for path in paths:
        with open(path, "rb") as handle:
            while handle.read(16 << 20):
                pass


# --- workers -------------------------------------------------------------------------


def _epoch(loader: Any, max_batches: int | None) -> tuple[float, int]:
    start = time.perf_counter()
    n = 0
    for i, batch in enumerate(loader):
        n += len(batch["X"])
        if max_batches is not None and i + 1 >= max_batches:
            break
    return time.perf_counter() - start, n


def _rate(runs: list[tuple[float, int]], first: tuple[float, int] | None = None) -> dict:
    rates = [n / seconds for seconds, n in runs]
    result: dict[str, Any] = {
        "samples_per_s": statistics.median(rates),
        "samples": rates,
        "n_per_epoch": runs[0][1],
    }
    if first is not None:
        result["first_epoch_samples_per_s"] = first[1] / first[0]
    return result


def _epochs(loader: Any, repeats: int, max_batches: int | None) -> dict[str, Any]:
    """The first epoch over a new dataset, then ``repeats`` more (their median)."""
    first = _epoch(loader, max_batches)
    return _rate([_epoch(loader, max_batches) for _ in range(repeats)], first)


def _logged(key: str, result: dict[str, Any]) -> dict[str, Any]:
    first = result["first_epoch_samples_per_s"]
    log(f"  {key}: {result['samples_per_s']:,.0f} samples/s (first epoch {first:,.0f})")
    return result


def worker_ours(config: dict) -> dict:
    """Our workloads, in this process: one dataset per workload, several epochs."""
    from torch.utils.data import DataLoader, default_collate

    import lamin_pipes as ln

    ln.connect(config["db"], config["storage"])
    batch_size, max_batches = config["batch_size"], config["max_batches"]
    results: dict[str, Any] = {}
    for fmt in ("dense", "csr"):
        for case in ("random", "block", "blocks", "random_per_sample_collate"):
            for workers in (0, 2):
                if case in ("blocks", "random_per_sample_collate") and workers:
                    continue
                qs = ln.Artifact.filter(key__startswith=f"bench/{fmt}/").order_by("key")
                dataset = qs.mapped(obs_keys=["cell_type"], parallel=workers > 0)
                options: dict[str, Any] = {"batch_size": batch_size, "num_workers": workers}
                if case == "block":
                    options["sampler"] = dataset.block_sampler(64, batch_size)
                elif case == "blocks":  # no batch size: rows within a block stay in order
                    options["sampler"] = dataset.block_sampler(64)
                else:
                    options["shuffle"] = True
                if case == "random_per_sample_collate":
                    options["collate_fn"] = lambda batch: default_collate(list(batch))
                loader = DataLoader(dataset, **options)
                key = f"ours/{fmt}/{case}/{workers}"
                results[key] = _logged(key, _epochs(loader, config["repeats"], max_batches))
                dataset.close()
    return results


def worker_lamindb(config: dict) -> dict:
    """lamindb's MappedCollection over the same files (run by the lamindb python)."""
    from lamindb.core._mapped_collection import MappedCollection
    from torch.utils.data import DataLoader

    results: dict[str, Any] = {"version": _version("lamindb")}
    for fmt in ("dense", "csr"):
        for workers in (0, 2):
            dataset = MappedCollection(
                config["paths"][fmt], obs_keys=["cell_type"], parallel=workers > 0
            )
            options: dict[str, Any] = {
                "batch_size": config["batch_size"],
                "shuffle": True,
                "num_workers": workers,
            }
            if workers:
                options["worker_init_fn"] = MappedCollection.torch_worker_init_fn
            limit = config.get("lamindb_max_batches") or config["max_batches"]
            loader = DataLoader(dataset, **options)
            key = f"lamindb/{fmt}/random/{workers}"
            results[key] = _logged(key, _epochs(loader, config["lamindb_repeats"], limit))
            dataset.close()
    return results


def worker_reference(config: dict) -> dict:
    """The data in memory: random batch indexing, and a per-sample DataLoader."""
    import anndata as ad
    import numpy as np
    import scipy.sparse as sp
    import torch
    from torch.utils.data import DataLoader, Dataset

    batch_size, max_batches = config["batch_size"], config["max_batches"]
    results: dict[str, Any] = {}
    adatas = [ad.read_h5ad(p) for p in config["paths"]["dense"]]
    array = np.concatenate([a.X for a in adatas])
    labels = np.concatenate([a.obs["cell_type"].cat.codes.to_numpy() for a in adatas])
    del adatas

    def raw(matrix: Any, *, dense: bool) -> tuple[float, int]:
        order = np.random.permutation(matrix.shape[0])
        start, n = time.perf_counter(), 0
        for i, first in enumerate(range(0, order.size, batch_size)):
            idx = order[first : first + batch_size]
            x = matrix[idx] if dense else matrix[idx].toarray()
            y = labels[idx]
            _ = torch.from_numpy(x), torch.from_numpy(y)
            n += len(idx)
            if max_batches is not None and i + 1 >= max_batches:
                break
        return time.perf_counter() - start, n

    class InMemory(Dataset):  # type: ignore[type-arg]
        def __init__(self, x: Any, y: Any):
            self.x, self.y = x, y

        def __len__(self) -> int:
            return int(self.x.shape[0])

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"X": self.x[i], "cell_type": int(self.y[i])}

    # As for ours, the first pass is reported apart: the array was just built, and its
    # first pass measures the allocator too (seen: 147,000 samples/s, then 986,000).
    first = raw(array, dense=True)
    runs = [raw(array, dense=True) for _ in range(config["repeats"])]
    results["reference/dense/raw/0"] = _rate(runs, first)
    loader = DataLoader(InMemory(array, labels), batch_size=batch_size, shuffle=True)
    results["reference/dense/dataloader/0"] = _epochs(loader, config["repeats"], max_batches)
    # The same through 2 workers: what moving batches between processes costs here.
    loader = DataLoader(InMemory(array, labels), batch_size=batch_size, shuffle=True, num_workers=2)
    results["reference/dense/dataloader/2"] = _epochs(loader, config["repeats"], max_batches)
    del array, loader
    parts = [ad.read_h5ad(p).X for p in config["paths"]["csr"]]
    csr = sp.vstack(parts, format="csr")
    first = raw(csr, dense=False)
    runs = [raw(csr, dense=False) for _ in range(config["repeats"])]
    results["reference/csr/raw/0"] = _rate(runs, first)
    for key in results:
        log(f"  {key}: {results[key]['samples_per_s']:,.0f} samples/s")
    return results


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def run_worker(python: str, kind: str, config_path: Path, out: Path, env: dict | None) -> dict:
    command = [python, str(Path(__file__).resolve()), "--worker", kind]
    command += ["--config", str(config_path), "--out", str(out)]
    done = subprocess.run(command, env=env, check=False, stdout=sys.stderr, stderr=sys.stderr)
    if done.returncode != 0 or not out.exists():
        log(f"worker {kind} failed with exit status {done.returncode}")
        return {}
    result: dict = json.loads(out.read_text())
    return result


# --- report --------------------------------------------------------------------------

LABELS = {
    "random": "random shuffle",
    "block": "block shuffle (64)",
    "blocks": "blocks (64), rows kept in order",
    "random_per_sample_collate": "random, per-sample collate",
    "raw": "random batches (array[idx])",
    "dataloader": "per-sample DataLoader",
}


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.2f}"


def table(results: dict, quick: bool = False) -> tuple[str, list[str]]:
    """The table and the goal lines (not judged at ``--quick`` sizes)."""
    header = [
        "engine",
        "workload",
        "X",
        "workers",
        "samples/s",
        "first epoch",
        "x lamindb",
        "/ in-mem raw",
    ]
    rows = [header]
    get = lambda key: results.get(key, {}).get("samples_per_s")  # noqa: E731
    ref = {fmt: get(f"reference/{fmt}/raw/0") for fmt in ("dense", "csr")}
    for key in sorted(results, key=_order):
        if key.count("/") != 3:
            continue
        engine, fmt, case, workers = key.split("/")
        value = get(key)
        first = results[key].get("first_epoch_samples_per_s")
        vs_lamindb = "-"
        if engine == "ours" and case == "random":
            vs_lamindb = _ratio(value, get(f"lamindb/{fmt}/random/{workers}"))
        name = {"ours": "lamin_pipes", "lamindb": "lamindb 2.12", "reference": "in-memory"}[engine]
        if engine == "reference" and fmt == "csr":
            name = "in-memory (scipy CSR)"
        rows.append(
            [
                name,
                LABELS.get(case, case),
                fmt,
                workers if engine != "reference" or case == "dataloader" else "-",
                f"{value:,.0f}" if value else "ERR",
                f"{first:,.0f}" if first else "-",
                vs_lamindb,
                _ratio(value, ref[fmt]),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    goals = []
    for fmt in ("dense", "csr"):
        for workers in ("0", "2"):
            ours, theirs = (
                get(f"ours/{fmt}/random/{workers}"),
                get(f"lamindb/{fmt}/random/{workers}"),
            )
            if ours and theirs:
                verdict = "PASS" if ours >= 5 * theirs else "MISS"
                goals.append(
                    f"goal >= 5x lamindb, random, {fmt}, {workers} workers: "
                    f"{ours / theirs:.1f}x  {verdict}"
                )
    for fmt in ("dense", "csr"):
        best = max((get(f"ours/{fmt}/block/{w}") or 0) for w in ("0", "2"))
        if best and ref[fmt]:
            verdict = "PASS" if best >= ref[fmt] / 2 else "MISS"
            goals.append(
                f"goal block shuffle within 2x of in-memory random batches, {fmt}: "
                f"{ref[fmt] / best:.2f}x the in-memory time  {verdict}"
            )
        firsts = [results.get(f"ours/{fmt}/block/{w}", {}) for w in ("0", "2")]
        first = max((r.get("first_epoch_samples_per_s") or 0) for r in firsts)
        if first and ref[fmt]:  # a new dataset's first epoch maps its files' pages
            goals.append(f"  (first epoch of a new dataset, {fmt}: {ref[fmt] / first:.2f}x)")
        blocks = get(f"ours/{fmt}/blocks/0")
        if blocks and ref[fmt]:  # the variant without the shuffle inside each batch
            goals.append(f"  (blocks with their rows in order, {fmt}: {ref[fmt] / blocks:.2f}x)")
    if quick:
        goals = [
            f"{line.rsplit(' ', 1)[0]} n/a (--quick sizes)" if line.startswith("goal") else line
            for line in goals
        ]
    return "\n".join(lines), goals


def _order(key: str) -> tuple[int, ...]:
    parts = key.split("/")
    engines = {"ours": 0, "lamindb": 1, "reference": 2}
    cases = {
        "random": 0,
        "block": 1,
        "blocks": 2,
        "random_per_sample_collate": 3,
        "raw": 4,
        "dataloader": 5,
    }
    if len(parts) != 4:
        return (9,)
    return (
        engines.get(parts[0], 9),
        0 if parts[1] == "dense" else 1,
        cases.get(parts[2], 9),
        int(parts[3]),
    )


# --- main ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 files of 2,000 x 200: a smoke run")
    parser.add_argument("--files", type=int, help="number of .h5ad files per format (8)")
    parser.add_argument("--cells", type=int, help="cells per file (20,000)")
    parser.add_argument("--genes", type=int, help="genes (2,000)")
    parser.add_argument("--density", type=float, default=0.05, help="CSR density (0.05)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, help="epochs per workload of ours and memory (3)")
    parser.add_argument("--max-batches", type=int, help="stop each epoch after this many batches")
    parser.add_argument(
        "--lamindb-max-batches",
        type=int,
        help="stop lamindb's epochs after this many batches (its samples/s over those)",
    )
    parser.add_argument(
        "--lamindb-python",
        metavar="PATH",
        help=f"python of a virtualenv with lamindb (default: {DEFAULT_LAMINDB} if it exists)",
    )
    parser.add_argument("--no-lamindb", action="store_true", help="skip lamindb")
    parser.add_argument("--json", default=str(DEFAULT_JSON), help="where to write the JSON")
    parser.add_argument(
        "--worker", choices=("ours", "lamindb", "reference"), help=argparse.SUPPRESS
    )
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.files = args.files or (2 if quick else 8)
    args.cells = args.cells or (2_000 if quick else 20_000)
    args.genes = args.genes or (200 if quick else 2_000)
    args.repeats = args.repeats or (1 if quick else 3)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        config = json.loads(Path(args.config).read_text())
        work = {"ours": worker_ours, "lamindb": worker_lamindb, "reference": worker_reference}
        result = work[args.worker](config)
        Path(args.out).write_text(json.dumps(result))
        return 0
    lamindb_python = args.lamindb_python
    if lamindb_python is None and DEFAULT_LAMINDB.exists() and not args.quick:
        lamindb_python = str(DEFAULT_LAMINDB)
    if args.no_lamindb:
        lamindb_python = None
    tmp = Path(tempfile.mkdtemp(prefix="bench_mapped_"))
    try:
        log(f"writing {args.files} x 2 files of {args.cells:,} x {args.genes:,} in {tmp}")
        files = write_files(tmp, args.files, args.cells, args.genes, args.density)
        stored = register(files, tmp)
        warm(stored["dense"] + stored["csr"])
        config = {
            "db": f"sqlite:///{tmp / 'lamin.db'}",
            "storage": str(tmp / "storage"),
            "paths": stored,
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "lamindb_repeats": 1,
            "max_batches": args.max_batches,
            "lamindb_max_batches": args.lamindb_max_batches,
        }
        config_path = tmp / "config.json"
        config_path.write_text(json.dumps(config))
        results: dict[str, Any] = {}
        log("lamin_pipes:")
        results.update(run_worker(sys.executable, "ours", config_path, tmp / "ours.json", None))
        if lamindb_python:
            log(f"lamindb ({lamindb_python}):")
            home = tmp / "lamindb-home"
            home.mkdir()
            env = {
                **os.environ,
                "HOME": str(home),
                "LAMIN_SETTINGS_DIR": str(home / ".lamin"),
                "LAMIN_CACHE_DIR": str(home / "cache"),
            }
            got = run_worker(lamindb_python, "lamindb", config_path, tmp / "lamindb.json", env)
            results.update(got)
        log("in-memory reference:")
        results.update(
            run_worker(sys.executable, "reference", config_path, tmp / "reference.json", None)
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text, goals = table(results, quick=args.quick)
    meta = {
        "files": args.files,
        "cells": args.cells,
        "genes": args.genes,
        "density": args.density,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "max_batches": args.max_batches,
        "lamindb_max_batches": args.lamindb_max_batches,
        "quick": args.quick,
        "cpus": os.cpu_count(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "lamindb": results.pop("version", None),
    }
    print(
        f"mapped(): one epoch, batch size {args.batch_size}, {args.files} files x "
        f"{args.cells:,} cells x {args.genes:,} genes per format (median of {args.repeats})"
    )
    print(text)
    for line in goals:
        print(line)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**meta, "results": results, "goals": goals}, indent=2))
    missing = [k for k in ("ours/dense/random/0", "reference/dense/raw/0") if k not in results]
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
