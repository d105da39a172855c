"""Smoke test of the curator benchmark: it runs end to end at ``--quick`` sizes.

No timing assertions: figures depend on the machine. lamindb and PostgreSQL stay out of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_curators.py"
WORKLOADS = ("3 category columns", "3 str columns", "coerce=True")


def test_bench_curators_quick_runs_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "curators.json"
    command = [sys.executable, str(SCRIPT), "--quick", "--no-postgres", "--json", str(out)]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in WORKLOADS:
        assert name in done.stdout, f"{name!r} missing from the table:\n{done.stdout}"
    assert "ERR" not in done.stdout, done.stdout
    report = json.loads(out.read_text())
    assert report["quick"] is True
    results = report["runs"]["lamin_pipes/sqlite"]["results"]
    assert results["validate_str"]["rows"] == 100_000
    assert len(results["validate_category"]["samples"]) == 3
