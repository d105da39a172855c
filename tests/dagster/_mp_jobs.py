"""Jobs Dagster rebuilds in other processes (step processes, concurrent runs).

Step processes find the registry through ``LAMIN_PIPES_DB`` / ``LAMIN_PIPES_STORAGE``
(the IO manager is configured with neither, as a deployment would do with env vars).
Run as a script, ``python _mp_jobs.py <partition>`` executes one run of ``shards`` for
that partition on the Dagster instance of ``DAGSTER_HOME``.
"""

import sys

import dagster as dg
import pandas as pd

from lamin_pipes.dagster import LaminIOManager


@dg.asset
def part_a() -> pd.DataFrame:
    return pd.DataFrame({"n": [1]})


@dg.asset
def part_b() -> pd.DataFrame:
    return pd.DataFrame({"n": [2]})


@dg.asset
def part_c() -> pd.DataFrame:
    return pd.DataFrame({"n": [3]})


@dg.asset
def fan_in(part_a: pd.DataFrame, part_b: pd.DataFrame, part_c: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([part_a, part_b, part_c], ignore_index=True)


SHARDS = dg.StaticPartitionsDefinition([f"p{i}" for i in range(8)])


@dg.asset(partitions_def=SHARDS)
def shard(context: dg.AssetExecutionContext) -> pd.DataFrame:
    return pd.DataFrame({"shard": [context.partition_key]})


def _defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[part_a, part_b, part_c, fan_in, shard],
        jobs=[
            dg.define_asset_job("fan", [part_a, part_b, part_c, fan_in]),
            dg.define_asset_job("shards", [shard]),
        ],
        resources={"io_manager": LaminIOManager()},
    )


def fan_job() -> dg.JobDefinition:
    return _defs().resolve_job_def("fan")


def shard_job() -> dg.JobDefinition:
    return _defs().resolve_job_def("shards")


if __name__ == "__main__":
    from dagster._core.definitions.reconstruct import ReconstructableJob

    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(
            ReconstructableJob.for_file(__file__, "shard_job"),
            instance=instance,
            tags={"dagster/partition": sys.argv[1]},
            run_config={"execution": {"config": {"in_process": {}}}},
        )
    sys.exit(0 if result.success else 1)
