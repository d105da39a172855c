"""The curated half of the reference pipeline, in process on an SQLite registry (real Dagster).

- ``ingest`` on a valid batch runs through; on the invalid one (``batch_002``) the blocking
  schema check fails and ``batch_qc`` does not run, while the invalid batch is kept,
  marked ``validation="failed"`` with its report;
- synonyms (``"T-cell"``) are standardized in the curated artifact;
- the classifier's step run read exactly the curated artifacts that passed;
- the curation sensor (``build_sensor_context`` on ``instance_for_test``) validates only
  artifacts newer than its cursor, advances it, and a restart with the same cursor asks
  for the same run keys (which Dagster runs once), none new.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

import lamin_pipes as ln
from definitions import _synthetic, defs
from definitions.assets import BATCHES
from definitions.automation import curation_sensor

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
CHECK = dg.AssetCheckKey(dg.AssetKey("curated_batches"), "single_cell_batch_schema")


@pytest.fixture
def pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: None
) -> Iterator[tuple[dg.DagsterInstance, Path]]:
    """A fresh SQLite registry as the current instance, an inbox, a Dagster test instance."""
    for name in ("LAMIN_PIPES_DB", "LAMIN_PIPES_STORAGE", "LAMIN_PIPES_EXECUTOR"):
        monkeypatch.delenv(name, raising=False)
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("LAMIN_PIPES_INBOX", str(inbox))
    ln.connect(f"sqlite:///{tmp_path / 'lamin.db'}", str(tmp_path / "storage"))
    with dg.instance_for_test() as instance:
        yield instance, inbox


def _ingest(instance: dg.DagsterInstance, inbox: Path, *names: str) -> dict[str, Any]:
    _synthetic.write_batches(inbox, names, n_cells=200, n_genes=40)
    instance.add_dynamic_partitions(BATCHES, list(names))
    return {
        name: defs.resolve_job_def("ingest").execute_in_process(
            run_config=QUIET, instance=instance, partition_key=name, raise_on_error=False
        )
        for name in names
    }


def test_the_blocking_check_stops_invalid_batches_and_the_model_reads_only_valid_ones(
    pipeline: tuple[dg.DagsterInstance, Path],
) -> None:
    instance, inbox = pipeline
    results = _ingest(instance, inbox, "batch_001", "batch_002", "batch_003")

    assert results["batch_001"].success and results["batch_003"].success
    blocked = results["batch_002"]
    assert not blocked.success
    (evaluation,) = blocked.get_asset_check_evaluations()
    assert evaluation.asset_check_key == CHECK and not evaluation.passed
    assert evaluation.partition == "batch_002"  # the UI shows it on that batch
    problems = evaluation.metadata["problems"].value
    assert {(p["column"], tuple(p["values"])) for p in problems} == {
        ("cell_type", ("mast-like cell",)),
        ("donor", ("D99",)),
    }
    assert ln.Artifact.filter(key__startswith="batch_qc/").count() == 2  # not batch_002's
    assert not ln.Artifact.filter(key="batch_qc/batch_002.parquet").exists()
    invalid = ln.Artifact.get(key="curated_batches/batch_002.h5ad")  # kept, flagged
    assert invalid.features.get_values()["validation"] == "failed"
    assert invalid.schema is None
    valid = ln.Artifact.get(key="curated_batches/batch_001.h5ad")
    assert valid.features.get_values()["validation"] == "passed"
    assert valid.schema.name == "single_cell_batch"
    assert set(valid.load().obs["cell_type"].unique()) <= set(_synthetic.CELL_TYPES)  # no "T-cell"
    assert "T-cell" in set(ln.Artifact.get(key="raw_batches/batch_001.h5ad").load().obs.cell_type)

    assert (
        defs.resolve_job_def("summarize")
        .execute_in_process(run_config=QUIET, instance=instance)
        .success
    )
    train = defs.resolve_job_def("train").execute_in_process(run_config=QUIET, instance=instance)
    assert train.success
    model = ln.Artifact.get(key="cell_type_classifier.pt")
    assert model.kind == "model"
    passed = ln.Artifact.filter(
        key__startswith="curated_batches/", validation="passed", is_latest=True
    )
    inputs = sorted(model.run.input_artifacts.to_list("key"))
    assert inputs == sorted(passed.to_list("key"))
    assert inputs == ["curated_batches/batch_001.h5ad", "curated_batches/batch_003.h5ad"]
    (materialization,) = train.get_asset_materialization_events()
    metadata = materialization.materialization.metadata
    assert 0.0 <= metadata["accuracy"].value <= 1.0
    assert sorted(metadata["training_artifacts"].value) == sorted(passed.to_list("uid"))
    summary = ln.Artifact.get(key="obs_summary.parquet").load()
    assert sorted(summary["batch"].unique()) == ["batch_001", "batch_003"]


def test_the_curation_sensor_processes_only_new_artifacts(
    pipeline: tuple[dg.DagsterInstance, Path],
) -> None:
    instance, inbox = pipeline
    _ingest(instance, inbox, "batch_001", "batch_002")

    def tick(cursor: str | None) -> dg.SensorResult:
        context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
        result = curation_sensor(context)
        assert isinstance(result, dg.SensorResult)
        return result

    first = tick(None)
    by_uid = {e.metadata["lamin/uid"].value: e.passed for e in first.asset_events}
    curated = {a.key: a.uid for a in ln.Artifact.filter(key__startswith="curated_batches/")}
    assert by_uid == {
        curated["curated_batches/batch_001.h5ad"]: True,
        curated["curated_batches/batch_002.h5ad"]: False,
    }
    assert all(e.asset_key == dg.AssetKey("curated_batches") for e in first.asset_events)
    assert {e.partition for e in first.asset_events} == {"batch_001", "batch_002"}
    assert all(e.target_materialization_data is not None for e in first.asset_events)
    assert [r.run_key for r in first.run_requests or []] == [
        curated["curated_batches/batch_001.h5ad"]
    ]
    assert curation_sensor.job_name == "train"
    newest = max(a.id for a in ln.Artifact.filter(key__startswith="curated_batches/"))
    assert first.cursor == str(newest)

    # A restart that lost the cursor's advance asks for the same run keys (Dagster
    # launches a run key once); with the advanced cursor there is nothing to do.
    again = tick(None)
    assert [r.run_key for r in again.run_requests or []] == [
        r.run_key for r in first.run_requests or []
    ]
    idle = tick(first.cursor)
    assert not idle.run_requests and not idle.asset_events and idle.cursor == first.cursor

    _ingest(instance, inbox, "batch_003")
    later = tick(first.cursor)
    uid = ln.Artifact.get(key="curated_batches/batch_003.h5ad").uid
    assert [e.metadata["lamin/uid"].value for e in later.asset_events] == [uid]
    assert [r.run_key for r in later.run_requests or []] == [uid]
    assert int(later.cursor or 0) > int(first.cursor or 0)
