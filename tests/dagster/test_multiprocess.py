"""The multiprocess executor and concurrent runs, on PostgreSQL (registry and Dagster)."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.definitions.reconstruct import ReconstructableJob
from sqlalchemy import create_engine, text

import lamin_pipes as ln

JOBS = Path(__file__).with_name("_mp_jobs.py")
PG_ADMIN_URL = os.environ.get(
    "LAMIN_PIPES_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _admin(statement: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.fixture
def dagster_home(instance: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """DAGSTER_HOME with dagster-postgres storage; env vars that lead step processes to the registry."""
    name = f"lp_dagster_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    home = tmp_path / "dagster_home"
    home.mkdir()
    # dagster-postgres speaks psycopg2 (NOTIFY with a bound parameter); SQLAlchemy 2.1
    # would pick psycopg 3 for a bare postgresql:// URL.
    url = PG_ADMIN_URL.replace("+psycopg", "+psycopg2").rsplit("/", 1)[0] + f"/{name}"
    (home / "dagster.yaml").write_text(
        f"storage:\n  postgres:\n    postgres_url: {url}\ntelemetry:\n  enabled: false\n"
    )
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("LAMIN_PIPES_DB", instance.db)
    monkeypatch.setenv("LAMIN_PIPES_STORAGE", ln.settings.storage.root_as_str)
    try:
        yield home
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_multiprocess_run_maps_to_one_pipeline_run_with_a_step_run_per_asset(
    dagster_home: Path,
) -> None:
    with dg.DagsterInstance.get() as dagster_instance:
        result = dg.execute_job(
            ReconstructableJob.for_file(str(JOBS), "fan_job"),
            instance=dagster_instance,
            run_config={"execution": {"config": {"multiprocess": {"max_concurrent": 3}}}},
        )
        assert result.success
        run_id = result.run_id
    (flow,) = ln.Run.filter(reference_type="dagster_run_id").to_list()
    assert flow.reference == run_id and flow.transform.key == "fan"
    steps = flow.initiated_runs.to_list()
    assert sorted(r.transform.key for r in steps) == ["fan_in", "part_a", "part_b", "part_c"]
    assert ln.Run.filter(reference_type="dagster_step").count() == 4
    assert {r.status for r in steps} == {"completed"}
    flow = ln.Run.get(id=flow.id)
    assert flow.status == "completed"
    fan_in = ln.Artifact.get(key="fan_in.parquet")
    assert fan_in.load().n.tolist() == [1, 2, 3]
    inputs = sorted(a.key for a in fan_in.run.input_artifacts.to_list())
    assert inputs == ["part_a.parquet", "part_b.parquet", "part_c.parquet"]


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_eight_concurrent_runs_of_one_partitioned_asset(dagster_home: Path) -> None:
    with dg.DagsterInstance.get():
        pass  # creates the Dagster schema once, before the runs race for it
    processes = [
        subprocess.Popen(
            [sys.executable, str(JOBS), f"p{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(8)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    failed = [
        (p.returncode, out[-3000:])
        for p, out in zip(processes, outputs, strict=True)
        if p.returncode
    ]
    assert not failed, failed
    keys = sorted(a.key for a in ln.Artifact.filter(key__startswith="shard/").to_list())
    assert keys == [f"shard/p{i}.parquet" for i in range(8)]
    flows = ln.Run.filter(reference_type="dagster_run_id").to_list()
    assert len(flows) == 8 and len({r.reference for r in flows}) == 8
    assert ln.Transform.filter(key="shards").count() == 1
    assert ln.Transform.filter(key="shard").count() == 1
    assert ln.Run.filter(reference_type="dagster_step").count() == 8
