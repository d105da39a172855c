"""Dagster runs and steps as registry runs (lamindb's flow and steps)."""

import threading
from typing import Any

import dagster as dg
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.dagster import LaminIOManager, _runs


@pytest.fixture
def io(instance: Any) -> LaminIOManager:
    return LaminIOManager(db=instance.db, storage=ln.settings.storage.root_as_str)


class Scale(dg.Config):
    factor: int = 2


@dg.asset
def source() -> pd.DataFrame:
    return pd.DataFrame({"x": [1, 2]})


@dg.asset
def scaled(config: Scale, source: pd.DataFrame) -> pd.DataFrame:
    return source * config.factor


@dg.asset
def side() -> pd.DataFrame:
    return pd.DataFrame({"y": [3]})


@dg.asset
def joined(scaled: pd.DataFrame, side: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([scaled, side], axis=1)


def test_one_pipeline_run_and_one_step_run_per_asset(io: LaminIOManager) -> None:
    job = dg.define_asset_job("ingest", [source, scaled, side, joined])
    defs = dg.Definitions(
        assets=[source, scaled, side, joined], jobs=[job], resources={"io_manager": io}
    )
    result = defs.resolve_job_def("ingest").execute_in_process(
        run_config={"ops": {"scaled": {"config": {"factor": 3}}}}
    )
    flows = ln.Run.filter(reference_type="dagster_run_id").to_list()
    assert [r.reference for r in flows] == [result.run_id]
    (flow,) = flows
    assert flow.transform.key == "ingest" and flow.transform.kind == "pipeline"
    assert flow.status == "completed" and flow.finished_at is not None
    steps = ln.Run.filter(initiated_by_run=flow).order_by("id").to_list()
    assert sorted(r.transform.key for r in steps) == ["joined", "scaled", "side", "source"]
    assert {r.status for r in steps} == {"completed"}
    assert all(r.finished_at is not None and r.reference_type == "dagster_step" for r in steps)
    scaled_run = next(r for r in steps if r.transform.key == "scaled")
    assert scaled_run.params == {"factor": 3}
    assert scaled_run.transform.kind == "function"
    assert "source * config.factor" in scaled_run.transform.source_code
    joined_artifact = ln.Artifact.get(key="joined.parquet")
    inputs = sorted(a.key for a in joined_artifact.run.input_artifacts.to_list())
    assert inputs == ["scaled.parquet", "side.parquet"]
    assert ln.Artifact.get(key="source.parquet").run.transform.key == "source"


def test_a_failing_step_marks_its_run_and_the_pipeline_errored(io: LaminIOManager) -> None:
    @dg.asset
    def broken(source: pd.DataFrame) -> pd.DataFrame:
        raise RuntimeError("boom")

    result = dg.materialize([source, broken], resources={"io_manager": io}, raise_on_error=False)
    assert not result.success
    flow = ln.Run.get(reference=result.run_id, reference_type="dagster_run_id")
    assert flow.status == "errored"
    by_key = {r.transform.key: r.status for r in flow.initiated_runs.to_list()}
    assert by_key == {"source": "completed", "broken": "errored"}


def test_code_versions_version_the_step_transform(io: LaminIOManager) -> None:
    def make(code_version: str) -> Any:
        @dg.asset(name="versioned", code_version=code_version)
        def versioned() -> dict:
            return {"code": code_version}

        return versioned

    for code_version in ("1", "1", "2"):
        dg.materialize([make(code_version)], resources={"io_manager": io})
    transforms = ln.Transform.filter(key="versioned").order_by("id").to_list()
    assert [(t.version, t.is_latest) for t in transforms] == [("1", False), ("2", True)]
    runs = ln.Run.filter(transform__key="versioned").order_by("id").to_list()
    assert [r.transform.version for r in runs] == ["1", "1", "2"]


def test_without_code_version_the_source_versions_the_transform(io: LaminIOManager) -> None:
    dg.materialize([source], resources={"io_manager": io})
    dg.materialize([source], resources={"io_manager": io})
    assert ln.Transform.filter(key="source").count() == 1
    assert ln.Run.filter(transform__key="source").count() == 2


def test_creating_the_registry_run_of_a_reference_is_idempotent(instance: Any) -> None:
    """Threads racing to create the run of one Dagster step end with one row."""
    transform = ln.Transform(key="race", kind="function").save()
    barrier = threading.Barrier(6)
    found: list[Any] = []

    def create() -> None:
        barrier.wait()
        found.append(
            _runs._get_or_create(
                "run-1/step",
                _runs.STEP_REFERENCE,
                transform=lambda: transform,
                params=None,
                initiated_by_run=None,
            ).id
        )

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and len(found) == 6
    assert ln.Run.filter(reference="run-1/step").count() == 1
    # free-text references may repeat, as in lamindb
    ln.Run(transform, reference="ticket-7", reference_type="jira").save()
    ln.Run(transform, reference="ticket-7", reference_type="jira").save()
    assert ln.Run.filter(reference="ticket-7").count() == 2
