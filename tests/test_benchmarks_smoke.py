"""Smoke tests of the engine benchmarks: each runs end to end at ``--quick`` sizes.

No timing assertions: figures depend on the machine. lamindb and PostgreSQL stay out of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The ``run_benchmark`` fixture (tests/conftest.py).
RunBenchmark = Callable[..., tuple[str, dict[str, Any]]]
SQLITE_ONLY = "--no-postgres"


def test_bench_registry_quick_runs_on_sqlite(run_benchmark: RunBenchmark) -> None:
    workloads = ("bulk save", "import + connect", "get", "to_dataframe", "search", "lookup")
    _, report = run_benchmark("bench_registry.py", SQLITE_ONLY, table=workloads)
    assert set(report["runs"]) == {"lamin_pipes/sqlite"}


def test_bench_artifacts_quick_runs_on_sqlite(run_benchmark: RunBenchmark) -> None:
    workloads = (
        "Artifact(df, key=new).save()",
        "new version",
        "load()",
        "hash_file",
        "ref: md5sum",
        "put_file",
        "ref: cp + sync",
        "Artifact(64 MiB file",
    )
    _, report = run_benchmark("bench_artifacts.py", SQLITE_ONLY, table=workloads)
    assert set(report["runs"]) == {"lamin_pipes/sqlite", "reference"}


def test_bench_dagster_quick_runs_on_sqlite(run_benchmark: RunBenchmark) -> None:
    workloads = (
        "FilesystemIOManager",
        "LaminIOManager, new content",
        "LaminIOManager, unchanged content",
        "extra per materialization",
        "handle_output",
    )
    _, report = run_benchmark("bench_dagster.py", SQLITE_ONLY, table=workloads)
    assert set(report["runs"]) == {"lamin_pipes/sqlite"}
    results = report["runs"]["lamin_pipes/sqlite"]["results"]
    assert len(results["lamin_new"]["samples"]) == len(results["fs"]["samples"]) > 0


def test_bench_features_quick_runs_on_sqlite(run_benchmark: RunBenchmark) -> None:
    workloads = (
        "features.add_values",
        "to_dataframe(include='features')",
        "filter(f_int__gt=500).count()",
        "filter(f_cat='label 7').count()",
    )
    _, report = run_benchmark("bench_features.py", SQLITE_ONLY, table=workloads)
    assert set(report["runs"]) == {"lamin_pipes/sqlite"}
    results = report["runs"]["lamin_pipes/sqlite"]["results"]
    assert results["to_dataframe_large"]["rows"] == 500
