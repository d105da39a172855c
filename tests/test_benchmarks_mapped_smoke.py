"""Smoke tests of the mapped() benchmark and the training script at ``--quick`` sizes.

No timing assertions: figures depend on the machine. lamindb stays out of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
WORKLOADS = (
    "random shuffle",
    "block shuffle (64)",
    "random, per-sample collate",
    "random batches (array[idx])",
    "per-sample DataLoader",
)


def test_bench_mapped_quick_runs(tmp_path: Path) -> None:
    out = tmp_path / "mapped.json"
    command = [sys.executable, str(BENCHMARKS / "bench_mapped.py"), "--quick", "--json", str(out)]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in WORKLOADS:
        assert name in done.stdout, f"{name!r} missing from the table:\n{done.stdout}"
    assert "ERR" not in done.stdout, done.stdout
    report = json.loads(out.read_text())
    assert report["quick"] is True
    ours = [k for k in report["results"] if k.startswith("ours/")]
    assert len(ours) == 12 and all(report["results"][k]["samples_per_s"] > 0 for k in ours)


def test_train_gpu_quick_runs_on_cpu(tmp_path: Path) -> None:
    out = tmp_path / "train.json"
    command = [
        sys.executable,
        str(BENCHMARKS / "train_gpu.py"),
        "--quick",
        "--device",
        "cpu",
        "--num-workers",
        "1",
        "--json",
        str(out),
    ]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "samples/s" in done.stdout and "waited for data" in done.stdout
    result = json.loads(out.read_text())
    assert result["samples"] == 4_000 and result["run_inputs"] == 2
    assert 0 <= result["data_wait_fraction"] <= 1
