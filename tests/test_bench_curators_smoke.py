"""Smoke test of the curator benchmark: it runs end to end at ``--quick`` sizes.

No timing assertions: figures depend on the machine. lamindb and PostgreSQL stay out of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The ``run_benchmark`` fixture (tests/conftest.py).
RunBenchmark = Callable[..., tuple[str, dict[str, Any]]]
WORKLOADS = ("3 category columns", "3 str columns", "coerce=True")


def test_bench_curators_quick_runs_on_sqlite(run_benchmark: RunBenchmark) -> None:
    _, report = run_benchmark("bench_curators.py", "--no-postgres", table=WORKLOADS)
    results = report["runs"]["lamin_pipes/sqlite"]["results"]
    assert results["validate_str"]["rows"] == 100_000
    assert len(results["validate_category"]["samples"]) == 3
