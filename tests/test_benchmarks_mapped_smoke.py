"""Smoke tests of the mapped() benchmark and the training script at ``--quick`` sizes.

No timing assertions: figures depend on the machine. lamindb stays out of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The ``run_benchmark`` fixture (tests/conftest.py).
RunBenchmark = Callable[..., tuple[str, dict[str, Any]]]
WORKLOADS = (
    "random shuffle",
    "block shuffle (64)",
    "random, per-sample collate",
    "random batches (array[idx])",
    "per-sample DataLoader",
)


def test_bench_mapped_quick_runs(run_benchmark: RunBenchmark) -> None:
    _, report = run_benchmark("bench_mapped.py", table=WORKLOADS)
    ours = [k for k in report["results"] if k.startswith("ours/")]
    assert len(ours) == 12 and all(report["results"][k]["samples_per_s"] > 0 for k in ours)


def test_train_gpu_quick_runs_on_cpu(run_benchmark: RunBenchmark) -> None:
    options = ("--device", "cpu", "--num-workers", "1")
    stdout, result = run_benchmark("train_gpu.py", *options)
    assert "samples/s" in stdout and "waited for data" in stdout
    assert result["samples"] == 4_000 and result["run_inputs"] == 2
    assert 0 <= result["data_wait_fraction"] <= 1
