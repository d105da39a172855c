"""Curation in Dagster: the schema asset check (blocking) and the curation sensor."""

from typing import Any

import dagster as dg
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.dagster import (
    LaminIOManager,
    LaminResource,
    build_curation_sensor,
    build_schema_asset_check,
)
from lamin_pipes.dagster.curation import producing_asset

DATA: dict[str, pd.DataFrame] = {}


@pytest.fixture
def registry(instance: Any) -> dict[str, Any]:
    ln.ULabel.from_values(["T cell", "B cell"], create=True).save()
    cell_type = ln.Feature(name="cell_type", dtype="cat[ULabel]").save()
    donor = ln.Feature(name="donor", dtype="str").save()
    ln.Schema([cell_type, donor], name="cells").save()
    storage = ln.settings.storage.root_as_str
    return {
        "io_manager": LaminIOManager(db=instance.db, storage=storage),
        "lamin": LaminResource(db=instance.db, storage=storage),
    }


VALID = pd.DataFrame({"cell_type": ["T cell", "B cell"], "donor": ["d1", "d2"]})
INVALID = pd.DataFrame({"cell_type": ["T cell", "NK cell", "Mast cell"], "donor": ["d1"] * 3})


@dg.asset
def batch() -> pd.DataFrame:
    return DATA["batch"]


@dg.asset
def summary(batch: pd.DataFrame) -> dict:
    return {"n": len(batch)}


def _evaluation(result: dg.ExecuteInProcessResult) -> Any:
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_the_blocking_check_stops_downstream_assets_on_invalid_data(
    registry: dict[str, Any],
) -> None:
    check = build_schema_asset_check(batch, "cells")
    DATA["batch"] = INVALID
    result = dg.materialize([batch, summary, check], resources=registry, raise_on_error=False)
    evaluation = _evaluation(result)
    assert evaluation.check_name == "cells_schema" and not evaluation.passed
    meta = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
    assert meta["n_problems"] == 1 and meta["problems_by_kind"] == {"non_validated": 1}
    assert meta["problems"][0]["values"] == ["NK cell", "Mast cell"]
    assert "| non_validated | 2 |" in meta["report"].replace("cell_type ", "cell_type")
    assert ln.Artifact.filter(key="summary.json").count() == 0  # blocked
    stored = ln.Artifact.get(key="batch.parquet")
    assert stored.features.get_values()["validation"] == "failed"
    assert ln.Artifact.filter(validation="failed").count() == 1

    DATA["batch"] = VALID
    result = dg.materialize([batch, summary, check], resources=registry)
    assert _evaluation(result).passed
    assert ln.Artifact.get(key="summary.json").load() == {"n": 2}
    assert ln.Artifact.get(key="batch.parquet").features.get_values()["validation"] == "passed"


def test_the_curation_sensor_validates_only_new_artifacts(registry: dict[str, Any]) -> None:
    """Cursor on artifact ids; evaluations per artifact; runs only for those that passed."""
    downstream = dg.define_asset_job("downstream", selection=[summary])
    sensor = build_curation_sensor(schema="cells", key_prefix="batch", job=downstream)
    defs = dg.Definitions(
        assets=[batch, summary], jobs=[downstream], sensors=[sensor], resources=registry
    )
    for data in (VALID, INVALID):
        DATA["batch"] = data
        dg.materialize([batch], resources=registry)
    ln.Artifact(pd.DataFrame({"other": [1]}), key="elsewhere.parquet").save()  # not a batch
    with dg.instance_for_test() as dagster_instance:
        context = dg.build_sensor_context(instance=dagster_instance, definitions=defs)
        result = sensor(context)
        evaluations = {e.passed: e for e in result.asset_events}
        assert set(evaluations) == {True, False}
        assert all(e.asset_key == dg.AssetKey("batch") for e in result.asset_events)
        failed = ln.Artifact.filter(validation="failed").one()
        passed = ln.Artifact.filter(validation="passed").one()
        assert [r.run_key for r in result.run_requests] == [passed.uid]
        assert evaluations[False].metadata["lamin/uid"].value == failed.uid
        assert producing_asset(failed) == dg.AssetKey("batch")
        assert producing_asset(ln.Artifact.get(key="elsewhere.parquet")) is None  # no step
        cursor = result.cursor
        assert cursor == str(failed.id)

        # nothing new: nothing validated, nothing requested, the cursor stays
        again = sensor(
            dg.build_sensor_context(instance=dagster_instance, cursor=cursor, definitions=defs)
        )
        assert again.asset_events == [] and again.run_requests == [] and again.cursor == cursor

        # one more batch: only it is validated
        DATA["batch"] = VALID.iloc[:1]
        dg.materialize([batch], resources=registry)
        later = sensor(
            dg.build_sensor_context(instance=dagster_instance, cursor=cursor, definitions=defs)
        )
        newest = ln.Artifact.get(key="batch.parquet")
        assert [r.run_key for r in later.run_requests] == [newest.uid]
        assert len(later.asset_events) == 1
    assert ln.Artifact.filter(key="batch.parquet").count() == 3  # invalid data is kept


def test_curated_outputs_are_standardized_annotated_and_linked(registry: dict[str, Any]) -> None:
    """``lamin/schema``: synonyms replaced, labels and schema linked; invalid data raises or is kept."""
    ln.ULabel.get(name="T cell").add_synonym("T-cell")

    @dg.asset(metadata={"lamin/schema": "cells"})
    def curated() -> pd.DataFrame:
        return DATA["curated"]

    @dg.asset(metadata={"lamin/schema": "cells", "lamin/on_invalid": "save"})
    def kept() -> pd.DataFrame:
        return DATA["curated"]

    DATA["curated"] = pd.DataFrame({"cell_type": ["T-cell", "B cell"], "donor": ["d1", "d2"]})
    dg.materialize([curated], resources=registry)
    artifact = ln.Artifact.get(key="curated.parquet")
    assert artifact.load().cell_type.tolist() == ["T cell", "B cell"]
    assert artifact.schema.name == "cells"
    assert sorted(artifact.features.get_values()["cell_type"]) == ["B cell", "T cell"]
    assert artifact.features.get_values()["validation"] == "passed"

    DATA["curated"] = INVALID.copy()
    with pytest.raises(ln.errors.ValidationError, match="NK cell"):
        dg.materialize([curated], resources=registry)
    assert ln.Artifact.filter(key="curated.parquet").count() == 1
    dg.materialize([kept], resources=registry)
    stored = ln.Artifact.get(key="kept.parquet")
    assert stored.schema is None
    assert stored.features.get_values()["validation"] == "failed"
    report = stored.features.get_values()["validation_report"]
    assert report["problems"][0]["values"] == ["NK cell", "Mast cell"]


def test_the_check_of_a_partitioned_run_validates_that_partition(
    registry: dict[str, Any],
) -> None:
    """Another partition materialized later does not change what a run's check sees."""
    parts = dg.StaticPartitionsDefinition(["good", "bad"])

    @dg.asset(partitions_def=parts)
    def part(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return VALID if context.partition_key == "good" else INVALID

    with pytest.warns(dg.PreviewWarning, match="partitions_def on an AssetCheckSpec"):
        check = build_schema_asset_check(part, "cells", partitioned=True)
    with pytest.raises(ln.errors.InvalidArgument, match="needs the asset definition"):
        build_schema_asset_check("part", "cells", partitioned=True)
    with dg.instance_for_test() as dagster_instance:
        dg.materialize([part], partition_key="bad", resources=registry, instance=dagster_instance)
        result = dg.materialize(
            [part, check], partition_key="good", resources=registry, instance=dagster_instance
        )
        assert _evaluation(result).passed and _evaluation(result).partition == "good"
        dg.materialize([part], partition_key="good", resources=registry, instance=dagster_instance)
        result = dg.materialize(
            [part, check],
            partition_key="bad",
            resources=registry,
            instance=dagster_instance,
            raise_on_error=False,
        )
        evaluation = _evaluation(result)
        assert not evaluation.passed and evaluation.partition == "bad"
        assert evaluation.metadata["lamin/key"].value == "part/bad.parquet"


def test_sensor_evaluations_name_the_partition_and_materialization(
    registry: dict[str, Any],
) -> None:
    """An artifact of a partitioned run: the evaluation carries the run's partition and
    points at that materialization, and the instance records it for that partition."""
    days = dg.StaticPartitionsDefinition(["mon", "tue"])

    @dg.asset(partitions_def=days)
    def daily(context) -> pd.DataFrame:  # type: ignore[no-untyped-def]
        return VALID if context.partition_key == "mon" else INVALID

    @dg.asset_check(asset=daily, name="cells_schema")
    def declared() -> dg.AssetCheckResult:  # so the instance knows the check
        return dg.AssetCheckResult(passed=True)

    sensor = build_curation_sensor(schema="cells", key_prefix="daily/")
    defs = dg.Definitions(
        assets=[daily], asset_checks=[declared], sensors=[sensor], resources=registry
    )
    with dg.instance_for_test() as dagster_instance:
        for day in ("mon", "tue"):
            dg.materialize(
                [daily], partition_key=day, resources=registry, instance=dagster_instance
            )
        context = dg.build_sensor_context(instance=dagster_instance, definitions=defs)
        result = sensor(context)
        by_partition = {e.partition: e for e in result.asset_events}
        assert set(by_partition) == {"mon", "tue"}
        assert by_partition["mon"].passed and not by_partition["tue"].passed
        for day, evaluation in by_partition.items():
            record = dagster_instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("daily"), asset_partitions=[day]),
                limit=1,
            ).records[0]
            target = evaluation.target_materialization_data
            assert target is not None and target.storage_id == record.storage_id
            assert target.run_id == record.run_id
            uid = evaluation.metadata["lamin/uid"].value
            assert record.asset_materialization.metadata["lamin/uid"].value == uid
        for evaluation in result.asset_events:  # what the sensor daemon does with them
            dagster_instance.report_runless_asset_event(evaluation)
        check_key = dg.AssetCheckKey(dg.AssetKey("daily"), "cells_schema")
        history = dagster_instance.event_log_storage.get_asset_check_execution_history(
            check_key, limit=5
        )
        assert len(history) == 2
        assert {h.partition for h in history} == {"mon", "tue"}

    # a context built without an instance: the same evaluations, without partition or target
    result = sensor(dg.build_sensor_context(definitions=defs))
    assert len(result.asset_events) == 2
    assert {(e.partition, e.target_materialization_data) for e in result.asset_events} == {
        (None, None)
    }
