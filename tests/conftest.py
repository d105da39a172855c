"""Fixtures of the benchmark smoke tests (``test_*bench*smoke*.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

#: ``run_benchmark(script, *options, table=...)``: the script's stdout and its JSON.
RunBenchmark = Callable[..., tuple[str, dict[str, Any]]]


@pytest.fixture
def run_benchmark(tmp_path: Path) -> RunBenchmark:
    """Run ``benchmarks/<script> --quick <options> --json <file>`` in ``tmp_path``.

    It must exit with 0. With ``table``, each of those workload labels must be in the
    printed table, no figure may read ``ERR``, and the JSON must say it was a quick run.
    Returns the stdout and the JSON written.
    """

    def run(
        script: str, *options: str, table: Sequence[str] | None = None
    ) -> tuple[str, dict[str, Any]]:
        out = tmp_path / f"{Path(script).stem}.json"
        command = [sys.executable, str(BENCHMARKS / script), "--quick", *options]
        command += ["--json", str(out)]
        done = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
        report: dict[str, Any] = json.loads(out.read_text())
        if table is not None:
            for name in table:
                assert name in done.stdout, f"{name!r} missing from the table:\n{done.stdout}"
            assert "ERR" not in done.stdout, done.stdout
            assert report["quick"] is True
        return done.stdout, report

    return run
