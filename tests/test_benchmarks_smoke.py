"""Smoke test of the registry benchmark: it runs end to end at ``--quick`` sizes.

No timing assertions: figures depend on the machine. lamindb and PostgreSQL stay out of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_registry.py"
WORKLOADS = ("bulk save", "import + connect", "get", "to_dataframe", "search", "lookup")


def test_bench_registry_quick_runs_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
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
    assert set(report["runs"]) == {"lamin_pipes/sqlite"}


ARTIFACTS_SCRIPT = SCRIPT.with_name("bench_artifacts.py")
ARTIFACT_WORKLOADS = (
    "Artifact(df, key=new).save()",
    "new version",
    "load()",
    "hash_file",
    "ref: md5sum",
    "put_file",
    "ref: cp + sync",
    "Artifact(64 MiB file",
)


def test_bench_artifacts_quick_runs_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "artifacts.json"
    command = [
        sys.executable,
        str(ARTIFACTS_SCRIPT),
        "--quick",
        "--no-postgres",
        "--json",
        str(out),
    ]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ARTIFACT_WORKLOADS:
        assert name in done.stdout, f"{name!r} missing from the table:\n{done.stdout}"
    assert "ERR" not in done.stdout, done.stdout
    report = json.loads(out.read_text())
    assert report["quick"] is True
    assert set(report["runs"]) == {"lamin_pipes/sqlite", "reference"}


DAGSTER_SCRIPT = SCRIPT.with_name("bench_dagster.py")
DAGSTER_WORKLOADS = (
    "FilesystemIOManager",
    "LaminIOManager, new content",
    "LaminIOManager, unchanged content",
    "extra per materialization",
    "handle_output",
)


def test_bench_dagster_quick_runs_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "dagster.json"
    command = [sys.executable, str(DAGSTER_SCRIPT), "--quick", "--no-postgres", "--json", str(out)]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in DAGSTER_WORKLOADS:
        assert name in done.stdout, f"{name!r} missing from the table:\n{done.stdout}"
    assert "ERR" not in done.stdout, done.stdout
    report = json.loads(out.read_text())
    assert report["quick"] is True
    assert set(report["runs"]) == {"lamin_pipes/sqlite"}
    results = report["runs"]["lamin_pipes/sqlite"]["results"]
    assert len(results["lamin_new"]["samples"]) == len(results["fs"]["samples"]) > 0


FEATURES_SCRIPT = SCRIPT.with_name("bench_features.py")
FEATURE_WORKLOADS = (
    "features.add_values",
    "to_dataframe(include='features')",
    "filter(f_int__gt=500).count()",
    "filter(f_cat='label 7').count()",
)


def test_bench_features_quick_runs_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "features.json"
    command = [sys.executable, str(FEATURES_SCRIPT), "--quick", "--no-postgres", "--json", str(out)]
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in FEATURE_WORKLOADS:
        assert name in done.stdout, f"{name!r} missing from the table:\n{done.stdout}"
    assert "ERR" not in done.stdout, done.stdout
    report = json.loads(out.read_text())
    assert report["quick"] is True
    assert set(report["runs"]) == {"lamin_pipes/sqlite"}
    results = report["runs"]["lamin_pipes/sqlite"]["results"]
    assert results["to_dataframe_large"]["rows"] == 500
