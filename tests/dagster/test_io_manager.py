"""LaminIOManager with real Dagster runs (``materialize``) on SQLite and PostgreSQL."""

from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.dagster import LaminIOManager, LaminResource, output
from lamin_pipes.errors import DoesNotExist, InvalidArgument


@pytest.fixture
def io(instance: Any) -> LaminIOManager:
    return LaminIOManager(db=instance.db, storage=ln.settings.storage.root_as_str)


def _materialize(assets: list[Any], io: LaminIOManager, **kwargs: Any) -> dg.ExecuteInProcessResult:
    resources = {"io_manager": io, **kwargs.pop("resources", {})}
    return dg.materialize(assets, resources=resources, **kwargs)


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    events = result.asset_materializations_for_node(asset)
    assert events, f"no materialization of {asset}"
    return {k: getattr(v, "value", v) for k, v in events[-1].metadata.items()}


CONTENT = {"value": pd.DataFrame({"x": [1, 2, 3]})}


@dg.asset
def table() -> pd.DataFrame:
    return CONTENT["value"]


def test_a_version_per_materialization_and_unchanged_content_keeps_the_latest(
    io: LaminIOManager,
) -> None:
    """A, B, A gives three versions (the latest loads A); A again gives none."""
    a, b = pd.DataFrame({"x": [1, 2, 3]}), pd.DataFrame({"x": [4, 5]})
    seen = []
    for value in (a, b, a, a):
        CONTENT["value"] = value
        meta = _metadata(_materialize([table], io), "table")
        seen.append((meta["lamin/version"], meta["lamin/is_new_version"]))
    assert seen == [("0000", True), ("0001", True), ("0002", True), ("0002", False)]
    family = ln.Artifact.filter(key="table.parquet").order_by("id").to_list()
    assert len(family) == 3
    latest = ln.Artifact.get(key="table.parquet")
    assert latest.is_latest and latest.version == "0002"
    pd.testing.assert_frame_equal(latest.load(), a)


def test_metadata_names_the_artifact(io: LaminIOManager) -> None:
    CONTENT["value"] = pd.DataFrame({"x": [1, 2, 3], "name": ["a", "b", "c"]})
    meta = _metadata(_materialize([table], io), "table")
    artifact = ln.Artifact.get(key="table.parquet")
    assert meta["lamin/uid"] == artifact.uid
    assert meta["lamin/key"] == "table.parquet"
    assert meta["lamin/hash"] == artifact.hash
    assert meta["lamin/version"] == artifact.version
    assert meta["lamin/is_new_version"] is True
    assert meta["dagster/row_count"] == 3 and meta["n_observations"] == 3
    assert meta["size"] == artifact.size
    assert meta["dagster/uri"] == str(artifact.path)
    assert meta["lamin/describe"] == f"lamin-pipes describe {artifact.uid}"
    schema = meta["dagster/column_schema"]
    assert [(c.name, c.type) for c in schema.columns] == [("x", "int64"), ("name", "object")]


def test_another_asset_with_the_same_content_gets_its_own_artifact(io: LaminIOManager) -> None:
    @dg.asset
    def first() -> pd.DataFrame:
        return pd.DataFrame({"x": [7]})

    @dg.asset
    def second() -> pd.DataFrame:
        return pd.DataFrame({"x": [7]})

    result = _materialize([first, second], io)
    one, two = ln.Artifact.get(key="first.parquet"), ln.Artifact.get(key="second.parquet")
    assert one.hash == two.hash and one.uid != two.uid
    assert _metadata(result, "second")["lamin/is_new_version"] is True


def test_inputs_load_the_latest_version_and_are_run_inputs(io: LaminIOManager) -> None:
    @dg.asset
    def doubled(table: pd.DataFrame) -> pd.DataFrame:
        return table * 2

    CONTENT["value"] = pd.DataFrame({"x": [1]})
    _materialize([table], io)
    CONTENT["value"] = pd.DataFrame({"x": [5]})
    _materialize([table], io)
    result = _materialize([table, doubled], io, selection=[doubled])  # upstream: registry
    assert ln.Artifact.get(key="doubled.parquet").load().x.tolist() == [10]
    step_run = ln.Artifact.get(key="doubled.parquet").run
    assert [a.uid for a in step_run.input_artifacts.to_list()] == [
        ln.Artifact.get(key="table.parquet").uid
    ]
    assert step_run.reference == f"{result.run_id}/doubled"


def test_a_pinned_version_is_loaded(io: LaminIOManager) -> None:
    @dg.asset(ins={"table": dg.AssetIn(metadata={"lamin/version": "0000"})})
    def pinned(table: pd.DataFrame) -> pd.DataFrame:
        return table

    for value in ([1], [2]):
        CONTENT["value"] = pd.DataFrame({"x": value})
        _materialize([table], io)
    _materialize([table, pinned], io, selection=[pinned])
    assert ln.Artifact.get(key="pinned.parquet").load().x.tolist() == [1]


def test_a_missing_upstream_names_its_key_and_partition(io: LaminIOManager) -> None:
    context = dg.build_input_context(
        asset_key=dg.AssetKey(["nowhere", "data"]),
        upstream_output=dg.build_output_context(asset_key=dg.AssetKey(["nowhere", "data"])),
    )
    with pytest.raises(DoesNotExist, match="nowhere/data") as error:
        io.load_input(context)
    assert "materialize it first" in str(error.value)


def test_output_and_input_contexts_built_for_unit_tests(io: LaminIOManager) -> None:
    key = dg.AssetKey(["unit", "frame"])
    out = dg.build_output_context(asset_key=key)
    io.handle_output(out, pd.DataFrame({"a": [1.5]}))
    meta = {k: getattr(v, "value", v) for k, v in out.get_logged_metadata().items()}
    assert meta["lamin/key"] == "unit/frame.parquet" and meta["lamin/is_new_version"] is True
    back = io.load_input(dg.build_input_context(asset_key=key, upstream_output=out))
    assert back.a.tolist() == [1.5]


def test_value_types(io: LaminIOManager, tmp_path: Path) -> None:
    """Arrays, dicts, files and folders are stored; paths load back as local paths."""
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (tmp_path / "notes.txt").write_text("hello")

    @dg.asset
    def array() -> np.ndarray:
        return np.arange(6).reshape(2, 3)

    @dg.asset
    def settings_() -> dict:
        return {"lr": 0.1}

    @dg.asset
    def notes() -> str:
        return str(tmp_path / "notes.txt")

    @dg.asset
    def tree() -> Path:
        return folder

    @dg.asset
    def check(array: np.ndarray, settings_: dict, notes: Path, tree: Path) -> dict:
        return {
            "array": array.tolist(),
            "config": settings_,
            "notes": Path(notes).read_text(),
            "tree": sorted(p.name for p in Path(tree).iterdir()),
        }

    result = _materialize([array, settings_, notes, tree, check], io)
    assert _metadata(result, "array")["dagster/row_count"] == 2
    assert ln.Artifact.get(key="check.json").load() == {
        "array": [[0, 1, 2], [3, 4, 5]],
        "config": {"lr": 0.1},
        "notes": "hello",
        "tree": ["a.txt"],
    }
    assert ln.Artifact.get(key="notes.txt").suffix == ".txt"
    assert ln.Artifact.get(key="tree").n_files == 1


def test_torch_state_dicts_and_modules(io: LaminIOManager) -> None:
    torch = pytest.importorskip("torch")

    @dg.asset
    def weights() -> dict:
        torch.manual_seed(0)
        return torch.nn.Linear(3, 2).state_dict()

    @dg.asset
    def model(weights: dict) -> Any:
        module = torch.nn.Linear(3, 2)
        module.load_state_dict(weights)
        return module

    @dg.asset
    def prediction(model: Any, weights: dict) -> dict:
        x = torch.ones(1, 3)
        expected = x @ weights["weight"].T + weights["bias"]
        return {"same": bool(torch.allclose(model(x), expected))}

    _materialize([weights, model, prediction], io)
    assert ln.Artifact.get(key="prediction.json").load() == {"same": True}
    stored = ln.Artifact.get(key="model.pt")
    assert stored.kind == "model" and stored.suffix == ".pt"


def test_definition_metadata_key_format_description_kind(io: LaminIOManager) -> None:
    anndata = pytest.importorskip("anndata")
    pytest.importorskip("zarr")

    @dg.asset(
        metadata={
            "lamin/key": "datasets/cells",
            "lamin/format": "zarr",
            "lamin/description": "cells as zarr",
            "lamin/kind": "dataset",
        }
    )
    def cells() -> Any:
        return anndata.AnnData(
            X=np.ones((4, 2), dtype="float32"),
            obs=pd.DataFrame({"t": list("abab")}, index=[f"c{i}" for i in range(4)]),
        )

    @dg.asset
    def n_cells(cells: Any) -> dict:
        return {"n": int(cells.n_obs)}

    result = _materialize([cells, n_cells], io)
    artifact = ln.Artifact.get(key="datasets/cells.zarr")
    assert artifact.description == "cells as zarr" and artifact.kind == "dataset"
    meta = _metadata(result, "cells")
    assert meta["dagster/row_count"] == 4
    assert [c.name for c in meta["dagster/column_schema"].columns] == ["t"]
    assert ln.Artifact.get(key="n_cells.json").load() == {"n": 4}


def test_output_helper_sets_the_data_version_to_the_hash(io: LaminIOManager) -> None:
    @dg.asset
    def scores(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        return output(context, pd.DataFrame({"s": [1.0, 2.0]}), description="model scores")

    first = _materialize([scores], io)
    second = _materialize([scores], io)
    artifact = ln.Artifact.get(key="scores.parquet")
    assert artifact.description == "model scores"
    for result in (first, second):
        event = result.get_asset_materialization_events()[0]
        tags = event.step_materialization_data.materialization.tags
        assert tags["dagster/data_version"] == artifact.hash
    meta = _metadata(second, "scores")
    assert meta["lamin/is_new_version"] is False and meta["dagster/row_count"] == 2
    assert [c.name for c in meta["dagster/column_schema"].columns] == ["s"]
    assert ln.Artifact.filter(key="scores.parquet").count() == 1


def test_an_unsaved_artifact_output_gets_the_asset_key_or_is_refused(
    io: LaminIOManager,
) -> None:
    @dg.asset
    def annotated() -> Any:
        return ln.Artifact(pd.DataFrame({"v": [1]}), description="by hand", kind="dataset")

    @dg.asset
    def elsewhere() -> Any:
        return ln.Artifact(pd.DataFrame({"v": [2]}), key="other/place.parquet")

    _materialize([annotated], io)
    artifact = ln.Artifact.get(key="annotated.parquet")
    assert artifact.description == "by hand" and artifact.kind == "dataset"
    with pytest.raises(InvalidArgument, match=r"other/place\.parquet"):
        _materialize([elsewhere], io)
    assert ln.Artifact.filter(key="other/place.parquet").count() == 0


def test_records_saved_in_a_step_belong_to_its_run(io: LaminIOManager) -> None:
    @dg.asset
    def labels(lamin: LaminResource) -> None:
        lamin.ln.ULabel(name="made in a step").save()
        assert lamin.ln.context.run.reference_type == "dagster_run_id"

    resource = LaminResource(db=io.db, storage=io.storage)
    result = _materialize([labels], io, resources={"lamin": resource})
    label = ln.ULabel.get(name="made in a step")
    assert label.run.reference == f"{result.run_id}/labels"
    assert label.run.initiated_by_run.reference == result.run_id
    assert label.created_by == ln.settings.user
    assert ln.context.run is None  # nothing leaks out of the Dagster run


def test_op_outputs_are_stored_under_the_op_name(io: LaminIOManager) -> None:
    @dg.op
    def emit() -> pd.DataFrame:
        return pd.DataFrame({"z": [1, 2]})

    @dg.op(out={"left": dg.Out(), "right": dg.Out()})
    def split(frame: pd.DataFrame):  # type: ignore[no-untyped-def]  # dagster misreads "-> tuple"
        return frame.head(1), frame.tail(1)

    @dg.job(resource_defs={"io_manager": io})
    def ops_job() -> None:
        split(emit())

    result = ops_job.execute_in_process()
    assert result.success
    assert ln.Artifact.get(key="emit.parquet").load().z.tolist() == [1, 2]
    assert ln.Artifact.get(key="split/right.parquet").load().z.tolist() == [2]
    split_run = ln.Artifact.get(key="split/left.parquet").run
    assert split_run.transform.key == "split"
    assert [a.key for a in split_run.input_artifacts.to_list()] == ["emit.parquet"]


def test_registry_location_from_env_vars(instance: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``db``/``storage`` accept ``dg.EnvVar``, resolved when the run starts."""
    monkeypatch.setenv("TEST_REGISTRY_DB", instance.db)
    monkeypatch.setenv("TEST_REGISTRY_STORAGE", ln.settings.storage.root_as_str)
    io = LaminIOManager(
        db=dg.EnvVar("TEST_REGISTRY_DB"), storage=dg.EnvVar("TEST_REGISTRY_STORAGE")
    )
    CONTENT["value"] = pd.DataFrame({"x": [9]})
    assert dg.materialize([table], resources={"io_manager": io}).success
    assert ln.Artifact.get(key="table.parquet").load().x.tolist() == [9]


def test_feature_values_as_the_first_registry_write_of_a_step(io: LaminIOManager) -> None:
    """The step run is made before the annotation's transaction (no SQLite self-lock)."""
    ln.Feature(name="n_rows", dtype="int").save()
    artifact = ln.Artifact(pd.DataFrame({"x": [1]}), key="annotate/me.parquet").save()

    @dg.asset
    def annotate() -> None:
        artifact.features.add_values({"n_rows": 1})

    result = dg.materialize([annotate], resources={"io_manager": io})
    assert artifact.features.get_values() == {"n_rows": 1}
    assert ln.Run.filter(reference=f"{result.run_id}/annotate").count() == 1
