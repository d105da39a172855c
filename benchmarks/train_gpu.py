#!/usr/bin/env python
"""Train a small MLP cell-type classifier for one epoch over ``mapped()``, on CUDA or CPU.

Run it with the python of the environment where lamin_pipes is installed::

    python benchmarks/train_gpu.py --quick                 # a few seconds, CPU is fine
    python benchmarks/train_gpu.py                         # 8 files of 20,000 x 2,000
    python benchmarks/train_gpu.py --num-workers 4 --block-shuffle

It writes ``--files`` ``.h5ad`` files of synthetic expression (each of 10 cell types has
its own mean profile, so the classifier has something to learn), saves them as artifacts
of a throw-away lamin_pipes instance, and trains inside ``ln.flow()`` so the run records
them as its inputs. Batches come from ``DataLoader(ln.Artifact.filter(...).mapped(...))``;
on CUDA with pinned memory and ``non_blocking`` copies.

Printed: samples per second over the epoch, and the fraction of the epoch the device
waited for data: the time spent blocked in ``next(loader)`` (after each step the device
is synchronized, so it sits idle exactly while the loader is waited for).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_TYPES = 10


def write_data(folder: Path, files: int, cells: int, genes: int) -> list[Path]:
    import anndata as ad
    import numpy as np
    import pandas as pd

    profiles = np.random.default_rng(0).gamma(2.0, 1.0, size=(N_TYPES, genes)).astype(np.float32)
    var = pd.DataFrame(index=[f"gene_{j}" for j in range(genes)])
    paths = []
    for i in range(files):
        rng = np.random.default_rng(i + 1)
        types = rng.integers(0, N_TYPES, cells)
        x = rng.poisson(profiles[types]).astype(np.float32)
        obs = pd.DataFrame(
            {"cell_type": pd.Categorical([f"type_{t}" for t in types])},
            index=[f"f{i}_c{k}" for k in range(cells)],
        )
        path = folder / f"train_{i}.h5ad"
        ad.AnnData(x, obs=obs, var=var).write_h5ad(path)
        paths.append(path)
    return paths


def train(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    import torch
    from torch import nn
    from torch.utils.data import DataLoader

    import lamin_pipes as ln

    ln.connect(f"sqlite:///{folder / 'lamin.db'}", str(folder / "storage"))
    for i, path in enumerate(write_data(folder, args.files, args.cells, args.genes)):
        ln.Artifact(path, key=f"train/{i:03d}.h5ad").save()
        path.unlink()
    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
    cuda = device.type == "cuda"
    torch.manual_seed(0)
    with ln.flow(key="train_gpu"):
        run = ln.context.run
        dataset = (
            ln.Artifact.filter(key__startswith="train/")
            .order_by("key")
            .mapped(obs_keys="cell_type", parallel=args.num_workers > 0)
        )
        options: dict[str, Any] = {
            "batch_size": args.batch_size,
            "num_workers": args.num_workers,
            "pin_memory": cuda,
        }
        if args.block_shuffle:
            options["sampler"] = dataset.block_sampler(64, args.batch_size)
        else:
            options["shuffle"] = True
        if args.num_workers:
            options["worker_init_fn"] = dataset.torch_worker_init_fn
            options["prefetch_factor"] = 4
        loader = DataLoader(dataset, **options)
        n_genes = dataset.shape[1]
        assert n_genes is not None
        model = nn.Sequential(
            nn.Linear(n_genes, args.hidden),
            nn.ReLU(),
            nn.Linear(args.hidden, args.hidden),
            nn.ReLU(),
            nn.Linear(args.hidden, N_TYPES),
        ).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        waited = 0.0
        samples = 0
        correct = 0
        last_loss = float("nan")
        start = time.perf_counter()
        batches = iter(loader)
        while True:
            before = time.perf_counter()
            try:
                batch = next(batches)
            except StopIteration:
                break
            x = batch["X"].to(device, non_blocking=True)
            y = batch["cell_type"].to(device, non_blocking=True)
            waited += time.perf_counter() - before
            logits = model(torch.log1p(x))
            loss = loss_fn(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if cuda:
                torch.cuda.synchronize()
            samples += len(y)
            correct += int((logits.argmax(dim=1) == y).sum())
            last_loss = loss.item()
        elapsed = time.perf_counter() - start
        dataset.close()
    inputs = run.input_artifacts.count()
    return {
        "device": str(device) + (f" ({torch.cuda.get_device_name(device)})" if cuda else ""),
        "samples": samples,
        "seconds": elapsed,
        "samples_per_s": samples / elapsed,
        "data_wait_fraction": waited / elapsed,
        "train_accuracy": correct / max(samples, 1),
        "last_loss": last_loss,
        "run_inputs": inputs,
        "num_workers": args.num_workers,
        "block_shuffle": args.block_shuffle,
        "batch_size": args.batch_size,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 files of 2,000 x 200")
    parser.add_argument("--files", type=int)
    parser.add_argument("--cells", type=int)
    parser.add_argument("--genes", type=int)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--num-workers", type=int, default=2)
    parser.add_argument("--block-shuffle", action="store_true", help="block_sampler(64, ...)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.files = args.files or (2 if args.quick else 8)
    args.cells = args.cells or (2_000 if args.quick else 20_000)
    args.genes = args.genes or (200 if args.quick else 2_000)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="train_gpu_"))
    try:
        result = train(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"device {result['device']}: {result['samples']:,} samples in {result['seconds']:.2f} s, "
        f"{result['samples_per_s']:,.0f} samples/s, waited for data "
        f"{100 * result['data_wait_fraction']:.1f}% of the epoch; train accuracy "
        f"{result['train_accuracy']:.3f}, last loss {result['last_loss']:.3f}; "
        f"run inputs: {result['run_inputs']} artifacts"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
