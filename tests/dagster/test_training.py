"""Training from the registry in Dagster: mapped() into a DataLoader, the model as an artifact."""

from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
import pytest

import lamin_pipes as ln
from lamin_pipes.dagster import LaminIOManager, LaminResource
from lamin_pipes.dagster.training import build_training_asset, train_classifier

anndata = pytest.importorskip("anndata")
torch = pytest.importorskip("torch")


def _batch(seed: int, n: int = 120) -> Any:
    """Two cell types told apart by which half of the genes is expressed."""
    rng = np.random.default_rng(seed)
    kinds = rng.integers(0, 2, n)
    counts = rng.poisson(1.0, (n, 10)).astype("float32")
    counts[kinds == 0, :5] += rng.poisson(8.0, (int((kinds == 0).sum()), 5))
    counts[kinds == 1, 5:] += rng.poisson(8.0, (int((kinds == 1).sum()), 5))
    obs = pd.DataFrame(
        {"cell_type": np.where(kinds == 0, "T cell", "B cell")},
        index=[f"c{seed}_{i}" for i in range(n)],
    )
    return anndata.AnnData(X=counts, obs=obs, var=pd.DataFrame(index=[f"g{i}" for i in range(10)]))


@pytest.fixture
def curated(instance: Any) -> list[Any]:
    artifacts = [
        ln.Artifact.from_anndata(_batch(seed), key=f"curated/b{seed}.h5ad").save()
        for seed in range(3)
    ]
    ln.Artifact.from_anndata(_batch(9), key="raw/other.h5ad").save()  # not for training
    return artifacts


def test_train_classifier_learns_and_records_its_inputs(curated: list[Any]) -> None:
    with ln.flow(key="train-test") as run:
        result = train_classifier(
            ln.Artifact.filter(key__startswith="curated/"), label_key="cell_type", epochs=3
        )
    assert result.classes == ["B cell", "T cell"]
    assert result.accuracy > 0.9
    assert result.confusion.sum() == result.n_test and result.n_train + result.n_test == 360
    assert sorted(a.uid for a in run.input_artifacts.to_list()) == sorted(a.uid for a in curated)


def test_the_training_asset_saves_a_model_whose_inputs_are_the_training_artifacts(
    curated: list[Any],
) -> None:
    model_asset = build_training_asset(
        name="classifier",
        artifacts={"key__startswith": "curated/", "is_latest": True},
        label_key="cell_type",
        epochs=3,
    )

    @dg.asset
    def predictions(classifier: Any) -> dict:
        x = torch.log1p(torch.tensor(_batch(5).X))
        return {"n": int(classifier(x).argmax(dim=1).numel())}

    storage = ln.settings.storage.root_as_str
    resources = {
        "io_manager": LaminIOManager(db=ln.settings.instance.db, storage=storage),
        "lamin": LaminResource(db=ln.settings.instance.db, storage=storage),
    }
    result = dg.materialize([model_asset, predictions], resources=resources)
    model = ln.Artifact.get(key="classifier.pt")
    assert model.kind == "model"
    inputs = sorted(a.uid for a in model.run.input_artifacts.to_list())
    assert inputs == sorted(a.uid for a in curated)
    (event,) = result.asset_materializations_for_node("classifier")
    meta = {k: getattr(v, "value", v) for k, v in event.metadata.items()}
    assert meta["accuracy"] > 0.9 and meta["loss"] > 0
    assert meta["classes"] == ["B cell", "T cell"]
    assert meta["confusion_matrix"].startswith("| true \\ predicted | B cell | T cell |")
    assert sorted(meta["training_artifacts"]) == inputs
    assert meta["lamin/uid"] == model.uid
    assert ln.Artifact.get(key="predictions.json").load() == {"n": 120}
