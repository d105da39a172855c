"""The code location loads, and its sensor and schedule ask for the right runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from definitions import _synthetic, defs
from definitions.assets import BATCHES, batches
from definitions.automation import daily_summary, inbox_sensor, run_key, weekly_clean
from definitions.resources import Inbox, executor

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

ASSETS = {"raw_batches", "curated_batches", "batch_qc", "obs_summary", "cell_type_classifier"}


def test_defs_load() -> None:
    dg.Definitions.validate_loadable(defs)

    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == ASSETS
    assert {job.name for job in defs.jobs or []} == {"ingest", "summarize", "train", "maintenance"}
    assert defs.resolve_job_def("ingest").partitions_def == batches
    assert [s.name for s in defs.sensors or []] == ["inbox_sensor", "curation_sensor"]
    assert [s.name for s in defs.schedules or []] == ["daily_summary", "weekly_clean"]
    assert {"io_manager", "lamin", "inbox"} <= set(defs.resources or {})
    qc_input = graph.get(dg.AssetKey("obs_summary")).parent_keys
    assert qc_input == {dg.AssetKey("batch_qc")}
    assert graph.get(dg.AssetKey("batch_qc")).parent_keys == {dg.AssetKey("curated_batches")}
    assert graph.get(dg.AssetKey("cell_type_classifier")).parent_keys == {
        dg.AssetKey("curated_batches")
    }
    (check,) = graph.asset_check_keys
    assert check == dg.AssetCheckKey(dg.AssetKey("curated_batches"), "single_cell_batch_schema")
    assert graph.get_check_spec(check).blocking
    ingest = defs.resolve_job_def("ingest")
    assert check in ingest.asset_layer.asset_graph.asset_check_keys


def test_resources_take_the_environment_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from definitions.resources import resources

    monkeypatch.setenv("LAMIN_PIPES_DB", "postgresql://u:secret@db/lamin")
    monkeypatch.delenv("LAMIN_PIPES_STORAGE", raising=False)
    monkeypatch.delenv("LAMIN_PIPES_EXECUTOR", raising=False)

    made = resources()

    io_manager = made["io_manager"]
    assert isinstance(io_manager.db, dg.EnvVar)  # type: ignore[attr-defined]
    assert io_manager.db.env_var_name == "LAMIN_PIPES_DB"  # type: ignore[attr-defined]
    assert io_manager.storage is None  # type: ignore[attr-defined]
    assert executor() is dg.multiprocess_executor
    monkeypatch.setenv("LAMIN_PIPES_EXECUTOR", "in_process")
    assert executor() is dg.in_process_executor
    monkeypatch.setenv("LAMIN_PIPES_EXECUTOR", "threads")
    with pytest.raises(ValueError, match="LAMIN_PIPES_EXECUTOR='threads': expected one of"):
        executor()
    for name, package in (("k8s", "dagster-k8s"), ("celery", "dagster-celery")):
        monkeypatch.setenv("LAMIN_PIPES_EXECUTOR", name)
        try:
            assert isinstance(executor(), dg.ExecutorDefinition)
        except ValueError as error:  # not installed: the message says what to install
            assert f"pip install {package}==" in str(error)
    monkeypatch.delenv("LAMIN_PIPES_EXECUTOR")
    monkeypatch.delenv("LAMIN_PIPES_DB")
    assert executor() is dg.in_process_executor


def test_dagster_definitions_validate_workspace(sandbox: Any) -> None:
    done = sandbox.run(
        BIN / "dagster", "definitions", "validate", "-w", ROOT / "workspace.yaml", timeout=180
    )

    assert "Validation successful" in done.stdout + done.stderr, done.stdout + done.stderr


def test_synthetic_batches_are_deterministic(tmp_path: Path) -> None:
    first = tmp_path / "a"
    second = tmp_path / "b"
    [(path_a, new_a)] = _synthetic.write_batches(first, ["batch_x"], n_cells=200, n_genes=30)
    [(path_b, _)] = _synthetic.write_batches(second, ["batch_x"], n_cells=200, n_genes=30)
    mtime = path_a.stat().st_mtime_ns
    [(_, again)] = _synthetic.write_batches(first, ["batch_x"], n_cells=200, n_genes=30)

    assert new_a and not again
    assert path_a.read_bytes() == path_b.read_bytes()
    assert path_a.stat().st_mtime_ns == mtime  # left alone: the sensor's run key holds
    adata = _synthetic.make_batch("batch_x", n_cells=200, n_genes=30)
    assert adata.X.dtype.kind == "i"
    assert set(adata.obs.columns) == {"cell_type", "donor", "tissue"}
    assert "T-cell" in set(adata.obs["cell_type"])  # a synonym, for curation to standardize
    invalid = _synthetic.make_batch("batch_002", n_cells=200, n_genes=30)
    assert "mast-like cell" in set(invalid.obs["cell_type"])
    assert "D99" in set(invalid.obs["donor"])
    assert "mast-like cell" not in set(adata.obs["cell_type"])
    assert adata.obs["tissue"].nunique() == 1
    other = _synthetic.make_batch("batch_y", n_cells=200, n_genes=30)
    assert (other.X != adata.X).nnz > 0
    assert list(other.var_names) == list(adata.var_names)
    assert not list(first.glob(".*"))  # no partial file left


def _evaluate(
    instance: dg.DagsterInstance, inbox: Path, cursor: str | None = None
) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"inbox": Inbox(path=str(inbox))}
    )
    result = inbox_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def _added(result: dg.SensorResult) -> list[str]:
    return [
        key
        for request in result.dynamic_partitions_requests or []
        if isinstance(request, dg.AddDynamicPartitionsRequest)
        for key in request.partition_keys
    ]


def test_inbox_sensor_adds_partitions_and_requests_runs(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _synthetic.write_batches(inbox, ["b1", "b2"], n_cells=20, n_genes=10)
    (inbox / ".b3.h5ad.123.partial").write_bytes(b"half a file")
    (inbox / "notes.txt").write_text("not a batch")
    (inbox / "bad name!.h5ad").write_bytes(b"x")

    with dg.instance_for_test() as instance:
        first = _evaluate(instance, inbox)
        assert _added(first) == ["b1", "b2"]
        assert [r.partition_key for r in first.run_requests or []] == ["b1", "b2"]
        keys = [r.run_key for r in first.run_requests or []]
        assert keys == [run_key(inbox / "b1.h5ad"), run_key(inbox / "b2.h5ad")]
        assert all(
            k and k.startswith(name) for k, name in zip(keys, ["b1.h5ad", "b2.h5ad"], strict=True)
        )
        # What the daemon does with the result: the partitions exist afterwards.
        instance.add_dynamic_partitions(BATCHES, _added(first))

        again = _evaluate(instance, inbox)
        assert _added(again) == []  # known partitions are not added twice
        assert [r.run_key for r in again.run_requests or []] == keys  # stable run keys

        _synthetic.write_batches(inbox, ["b3"], n_cells=20, n_genes=10)
        replaced = inbox / "b1.h5ad"
        os.utime(replaced, ns=(replaced.stat().st_atime_ns, replaced.stat().st_mtime_ns + 10**9))
        third = _evaluate(instance, inbox)
        assert _added(third) == ["b3"]
        by_partition = {r.partition_key: r.run_key for r in third.run_requests or []}
        assert by_partition["b2"] == keys[1]
        assert by_partition["b1"] != keys[0]  # a replaced file is ingested again
        assert set(by_partition) == {"b1", "b2", "b3"}


def test_inbox_sensor_with_an_empty_or_missing_inbox(tmp_path: Path) -> None:
    with dg.instance_for_test() as instance:
        result = _evaluate(instance, tmp_path / "missing")

    assert not result.run_requests
    assert _added(result) == []


def test_inbox_sensor_run_requests_target_the_ingest_job(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _synthetic.write_batches(inbox, ["b1"], n_cells=20, n_genes=10)

    with dg.instance_for_test() as instance:
        result = _evaluate(instance, inbox)
        instance.add_dynamic_partitions(BATCHES, _added(result))
        known = batches.get_partition_keys(dynamic_partitions_store=instance)
        requested = [request.partition_key for request in result.run_requests or []]

    assert requested == ["b1"]
    assert set(requested) <= set(known)
    assert defs.resolve_job_def("ingest").partitions_def == batches
    assert inbox_sensor.job_name == "ingest"


def test_daily_schedule_requests_a_summary_run() -> None:
    context = dg.build_schedule_context(scheduled_execution_time=None)
    result = daily_summary.evaluate_tick(context)

    assert daily_summary.cron_schedule == "0 6 * * *"
    assert daily_summary.job_name == "summarize"
    assert len(result.run_requests or []) == 1


def test_weekly_clean_runs_the_maintenance_job(tmp_path: Path, registry: None) -> None:
    import lamin_pipes as ln

    context = dg.build_schedule_context(scheduled_execution_time=None)
    result = weekly_clean.evaluate_tick(context)
    assert weekly_clean.job_name == "maintenance"
    assert len(result.run_requests or []) == 1

    ln.connect(f"sqlite:///{tmp_path / 'lamin.db'}", str(tmp_path / "storage"))
    with dg.instance_for_test() as instance:
        done = defs.resolve_job_def("maintenance").execute_in_process(instance=instance)
    assert done.success
    (event,) = [e for e in done.all_node_events if e.event_type_value == "STEP_OUTPUT"]
    assert event.event_specific_data.metadata["removed"].value == 0


def test_inbox_defaults_to_the_embedded_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMIN_PIPES_INBOX", raising=False)
    assert Inbox().directory() == Path(".lamin_pipes") / "inbox"
    monkeypatch.setenv("LAMIN_PIPES_INBOX", "/data/inbox")
    assert Inbox().directory() == Path("/data/inbox")
    assert Inbox(path="/elsewhere").batch_path("b1") == Path("/elsewhere/b1.h5ad")
    assert sys.modules["definitions"].defs is defs
