"""Training from the registry: a classifier over ``mapped()`` AnnData artifacts, as an asset.

:func:`train_classifier` streams the observations of AnnData artifacts through
``ArtifactSet.mapped()`` into a ``DataLoader`` (batched reads), trains a small MLP on an
``obs`` label, and measures it on a held-out share of the observations. The artifacts are
recorded as inputs of the current run: inside a Dagster step, exactly the artifacts the
model saw are the step run's inputs.

:func:`build_training_asset` wraps it as an asset whose value is the trained
``torch.nn.Module`` (stored by :class:`~lamin_pipes.dagster.LaminIOManager` as a
``kind="model"`` artifact) and whose metadata has loss and accuracy (numbers the Dagster
UI plots across materializations), the classes, a confusion matrix and the training
artifacts' uids. torch is imported when training starts, not before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import numpy as np

from ..errors import InvalidArgument
from ..models import Artifact


@dataclass
class TrainingResult:
    """What :func:`train_classifier` produced.

    Attributes:
        model: The trained ``torch.nn.Module`` (on the CPU).
        classes: The labels, in the order of the model's outputs.
        losses: Mean training loss per epoch.
        accuracy: Accuracy on the held-out observations.
        confusion: Held-out confusion matrix, rows = true class, columns = predicted.
        n_train: Observations trained on.
        n_test: Observations held out.
        artifacts: The artifacts the observations came from.
    """

    model: Any
    classes: list[str]
    losses: list[float]
    accuracy: float
    confusion: np.ndarray
    n_train: int
    n_test: int
    artifacts: list[Artifact] = field(default_factory=list)

    def confusion_markdown(self) -> str:
        """The confusion matrix as a markdown table (true class per row)."""
        head = "| true \\ predicted | " + " | ".join(self.classes) + " |"
        rule = "|---" * (len(self.classes) + 1) + "|"
        rows = [
            f"| {label} | " + " | ".join(str(int(v)) for v in self.confusion[i]) + " |"
            for i, label in enumerate(self.classes)
        ]
        return "\n".join([head, rule, *rows])


def _query(artifacts: Any) -> Any:
    if isinstance(artifacts, Sequence) and not isinstance(artifacts, str):
        items = list(artifacts)
        if not items or not all(isinstance(a, Artifact) for a in items):
            msg = (
                f"Pass a query set of artifacts or a non-empty list of artifacts, not {artifacts!r}"
            )
            raise InvalidArgument(msg)
        return Artifact.filter(id__in=[a.id for a in items]).order_by("id")
    return artifacts


def train_classifier(
    artifacts: Any,
    *,
    label_key: str,
    hidden: int = 64,
    epochs: int = 2,
    batch_size: int = 256,
    lr: float = 1e-2,
    holdout: float = 0.2,
    seed: int = 0,
    num_workers: int = 0,
    device: str | None = None,
) -> TrainingResult:
    """Train an MLP on ``obs[label_key]`` over the AnnData artifacts ``artifacts``.

    Args:
        artifacts: A query set of AnnData artifacts, or a list of them.
        label_key: The ``obs`` column to predict.
        hidden: Width of the hidden layer.
        epochs: Passes over the training observations.
        batch_size: Observations per batch (read in one call per store).
        lr: Learning rate (Adam).
        holdout: Share of observations held out for accuracy and the confusion matrix.
        seed: Seeds the split, the shuffling and the initial weights.
        num_workers: ``DataLoader`` worker processes.
        device: ``"cuda"``, ``"cpu"``, …; default: CUDA when available.

    Returns:
        The model and its measures (:class:`TrainingResult`).
    """
    import torch
    from torch.utils.data import DataLoader, Subset

    if not 0 < holdout < 1:
        msg = f"holdout must be between 0 and 1 (exclusive), not {holdout!r}"
        raise InvalidArgument(msg)
    query = _query(artifacts)
    used = list(query.to_list())
    if not used:
        msg = "No artifacts to train on: the query set is empty"
        raise InvalidArgument(msg)
    target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.manual_seed(seed)
    with query.mapped(obs_keys=label_key, join="inner", dtype="float32", is_run_input=True) as data:
        classes = [
            str(c) for c, _ in sorted(data.encoders[label_key].items(), key=lambda kv: kv[1])
        ]
        n = len(data)
        order = np.random.default_rng(seed).permutation(n)
        n_test = max(1, int(n * holdout))
        test_idx, train_idx = order[:n_test].tolist(), order[n_test:].tolist()
        loader_kwargs: dict[str, Any] = {
            "batch_size": batch_size,
            "num_workers": num_workers,
            "pin_memory": target.type == "cuda",
        }
        generator = torch.Generator().manual_seed(seed)
        train = DataLoader(
            Subset(data, train_idx), shuffle=True, generator=generator, **loader_kwargs
        )
        test = DataLoader(Subset(data, test_idx), shuffle=False, **loader_kwargs)
        n_vars = int(data.shape[1] or 0)
        model = torch.nn.Sequential(
            torch.nn.Linear(n_vars, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, len(classes)),
        ).to(target)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        losses: list[float] = []
        for _ in range(epochs):
            model.train()
            total, count = 0.0, 0
            for batch in train:
                x = torch.log1p(batch["X"].to(target, non_blocking=True))
                y = batch[label_key].long().to(target, non_blocking=True)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(y)
                count += len(y)
            losses.append(total / max(count, 1))
        confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
        model.eval()
        with torch.no_grad():
            for batch in test:
                x = torch.log1p(batch["X"].to(target, non_blocking=True))
                predicted = model(x).argmax(dim=1).cpu().numpy()
                np.add.at(confusion, (batch[label_key].long().numpy(), predicted), 1)
    accuracy = float(np.trace(confusion) / max(confusion.sum(), 1))
    return TrainingResult(
        model=model.cpu(),
        classes=classes,
        losses=losses,
        accuracy=accuracy,
        confusion=confusion,
        n_train=len(train_idx),
        n_test=n_test,
        artifacts=used,
    )


def build_training_asset(
    *,
    name: str,
    artifacts: Mapping[str, Any] | Callable[[], Any],
    label_key: str,
    deps: Sequence[Any] | None = None,
    description: str | None = None,
    **train_kwargs: Any,
) -> dg.AssetsDefinition:
    """An asset that trains :func:`train_classifier` over artifacts chosen at run time.

    Args:
        name: The asset's name.
        artifacts: Filter keywords for ``ln.Artifact.filter(...)`` (e.g.
            ``{"key__startswith": "curated/", "validation": "passed", "is_latest": True}``)
            or a function returning a query set.
        label_key: The ``obs`` column to predict.
        deps: Assets this one runs after (e.g. the curated data).
        description: The asset's description.
        **train_kwargs: More arguments of :func:`train_classifier`.

    Returns:
        The asset; it needs a ``lamin`` resource and stores its model through the IO
        manager (``lamin/kind`` = ``"model"``).
    """

    def choose() -> Any:
        if callable(artifacts):
            return artifacts()
        return Artifact.filter(**dict(artifacts)).order_by("id")

    @dg.asset(
        name=name,
        deps=deps,
        required_resource_keys={"lamin"},
        metadata={"lamin/kind": "model"},
        kinds={"pytorch"},
        description=description or f"An MLP classifier of {label_key!r}, trained on mapped() data",
    )
    def _train(context):  # type: ignore[no-untyped-def]  # dagster reads the bare annotation
        result = train_classifier(choose(), label_key=label_key, **train_kwargs)
        context.log.info(
            f"trained on {result.n_train} observations of {len(result.artifacts)} artifacts: "
            f"accuracy {result.accuracy:.3f}"
        )
        return dg.MaterializeResult(
            value=result.model,
            metadata={
                "accuracy": dg.MetadataValue.float(result.accuracy),
                "loss": dg.MetadataValue.float(
                    result.losses[-1] if result.losses else float("nan")
                ),
                "n_train": result.n_train,
                "n_test": result.n_test,
                "classes": dg.MetadataValue.json(result.classes),
                "confusion_matrix": dg.MetadataValue.md(result.confusion_markdown()),
                "training_artifacts": dg.MetadataValue.json([a.uid for a in result.artifacts]),
            },
        )

    return _train


__all__ = ["TrainingResult", "build_training_asset", "train_classifier"]
