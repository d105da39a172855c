"""Partitioned assets through LaminIOManager: static, daily, dynamic and multi partitions."""

from typing import Any

import dagster as dg
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.dagster import LaminIOManager
from lamin_pipes.errors import InvalidArgument


@pytest.fixture
def io(instance: Any) -> LaminIOManager:
    return LaminIOManager(db=instance.db, storage=ln.settings.storage.root_as_str)


STATIC = dg.StaticPartitionsDefinition(["eu", "us", "v1.2"])
DAILY = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-05")
DYNAMIC = dg.DynamicPartitionsDefinition(name="batches")
MULTI = dg.MultiPartitionsDefinition({"date": DAILY, "region": STATIC})


def _frame(context: dg.AssetExecutionContext) -> pd.DataFrame:
    return pd.DataFrame({"partition": [str(context.partition_key)]})


@dg.asset(partitions_def=STATIC)
def regional(context: dg.AssetExecutionContext) -> pd.DataFrame:
    return _frame(context)


@dg.asset(partitions_def=STATIC)
def regional_copy(regional: pd.DataFrame) -> pd.DataFrame:
    return regional


@dg.asset
def all_regions(regional: dict) -> pd.DataFrame:
    return pd.concat([regional[k] for k in sorted(regional)], ignore_index=True)


def test_static_partitions_have_a_key_each_and_load_one_or_all(io: LaminIOManager) -> None:
    """A partition's artifact key ends in its (encoded) key; dots cannot pass for suffixes."""
    for partition in ("eu", "us", "v1.2"):
        dg.materialize([regional], partition_key=partition, resources={"io_manager": io})
    keys = sorted(a.key for a in ln.Artifact.filter(key__startswith="regional/").to_list())
    assert keys == ["regional/eu.parquet", "regional/us.parquet", "regional/v1%2E2.parquet"]
    dg.materialize(
        [regional, regional_copy],
        partition_key="us",
        selection=[regional_copy],
        resources={"io_manager": io},
    )
    assert ln.Artifact.get(key="regional_copy/us.parquet").load().partition.tolist() == ["us"]
    result = dg.materialize(
        [regional, all_regions], selection=[all_regions], resources={"io_manager": io}
    )
    summary = ln.Artifact.get(key="all_regions.parquet")
    assert summary.load().partition.tolist() == ["eu", "us", "v1.2"]
    inputs = ln.Run.get(reference=f"{result.run_id}/all_regions").input_artifacts
    assert sorted(a.key for a in inputs.to_list()) == keys


def test_daily_partitions(io: LaminIOManager) -> None:
    @dg.asset(partitions_def=DAILY)
    def daily(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frame(context)

    dg.materialize([daily], partition_key="2024-01-02", resources={"io_manager": io})
    artifact = ln.Artifact.get(key="daily/2024-01-02.parquet")
    assert artifact.load().partition.tolist() == ["2024-01-02"]


def test_dynamic_partitions(io: LaminIOManager) -> None:
    @dg.asset(partitions_def=DYNAMIC)
    def batch(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frame(context)

    @dg.asset
    def batch_count(batch: dict) -> dict:
        return {"n": len(batch)}

    with dg.instance_for_test() as dagster_instance:
        dagster_instance.add_dynamic_partitions("batches", ["b 1", "b2"])
        for partition in ("b 1", "b2"):
            dg.materialize(
                [batch],
                partition_key=partition,
                instance=dagster_instance,
                resources={"io_manager": io},
            )
        dg.materialize(
            [batch, batch_count],
            selection=[batch_count],
            instance=dagster_instance,
            resources={"io_manager": io},
        )
    assert ln.Artifact.get(key="batch/b%201.parquet").load().partition.tolist() == ["b 1"]
    assert ln.Artifact.get(key="batch_count.json").load() == {"n": 2}


def test_multi_partitions_map_to_one_component_per_dimension(io: LaminIOManager) -> None:
    @dg.asset(partitions_def=MULTI)
    def sales(context: dg.AssetExecutionContext) -> pd.DataFrame:
        keys = context.partition_key.keys_by_dimension
        return pd.DataFrame({"date": [keys["date"]], "region": [keys["region"]]})

    @dg.asset(partitions_def=MULTI)
    def sales_copy(sales: pd.DataFrame) -> pd.DataFrame:
        return sales

    key = dg.MultiPartitionKey({"date": "2024-01-03", "region": "eu"})
    dg.materialize([sales], partition_key=key, resources={"io_manager": io})
    artifact = ln.Artifact.get(key="sales/date=2024-01-03/region=eu.parquet")
    assert artifact.load().region.tolist() == ["eu"]
    dg.materialize(
        [sales, sales_copy], partition_key=key, selection=[sales_copy], resources={"io_manager": io}
    )
    assert (
        ln.Artifact.get(key="sales_copy/date=2024-01-03/region=eu.parquet")
        .load()
        .equals(artifact.load())
    )


@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
def test_a_run_over_several_partitions_needs_a_dict(io: LaminIOManager) -> None:
    """Ranged backfills are stored per partition from a dict, else refused clearly."""

    @dg.asset(partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run())
    def ranged(context: dg.AssetExecutionContext) -> dict:
        return {k: pd.DataFrame({"day": [k]}) for k in context.partition_keys}

    @dg.asset(partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run())
    def ranged_plain(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return pd.DataFrame({"days": list(context.partition_keys)})

    window = dg.PartitionKeyRange("2024-01-01", "2024-01-03")
    with dg.instance_for_test() as dagster_instance:
        job = dg.define_asset_job("ranged_job", [ranged])
        defs = dg.Definitions(assets=[ranged], jobs=[job], resources={"io_manager": io})
        result = defs.resolve_job_def("ranged_job").execute_in_process(
            instance=dagster_instance,
            tags={
                "dagster/asset_partition_range_start": window.start,
                "dagster/asset_partition_range_end": window.end,
            },
        )
        assert result.success
        days = sorted(a.key for a in ln.Artifact.filter(key__startswith="ranged/").to_list())
        assert days == [f"ranged/2024-01-0{d}.parquet" for d in (1, 2, 3)]
        job = dg.define_asset_job("plain_job", [ranged_plain])
        defs = dg.Definitions(assets=[ranged_plain], jobs=[job], resources={"io_manager": io})
        with pytest.raises(InvalidArgument, match="3 partitions at once"):
            defs.resolve_job_def("plain_job").execute_in_process(
                instance=dagster_instance,
                tags={
                    "dagster/asset_partition_range_start": window.start,
                    "dagster/asset_partition_range_end": window.end,
                },
            )
    assert ln.Artifact.filter(key__startswith="ranged_plain/").count() == 0
