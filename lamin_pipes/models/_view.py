"""``ln.view()``: print the latest records of each registry, as lamindb does."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..orm._catalog import MODELS
from ..orm.sqlrecord import SQLRecord

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger("lamin_pipes")


def view(
    *,
    limit: int = 7,
    modules: str | None = None,
    registries: list[str] | None = None,
    df: pd.DataFrame | None = None,
) -> None:
    """Print the latest ``limit`` records of every registry that holds some.

    Registries print in alphabetical order, each as its name followed by a DataFrame
    (newest first). As in lamindb, only ``SQLRecord`` registries are shown (not
    ``User``, ``Branch``, ``Space`` or link tables).

    Args:
        limit: How many of the latest records to show per registry.
        modules: ``"core"`` for the built-in registries; ``None`` also shows the
            registries defined by users.
        registries: Names of the registries to show (default: all).
        df: A DataFrame to print instead.

    Examples:
        >>> import lamin_pipes as ln
        >>> _ = ln.Project(name="viewed project").save()
        >>> ln.view(registries=["Project"], limit=1)  # doctest: +ELLIPSIS
        Project
        ...viewed project...
    """
    if df is not None:
        print(df)
        return
    if modules not in (None, "core"):
        logger.warning("skipping module %r: lamin_pipes has only the 'core' module", modules)
        return
    chosen: list[Any] = []
    for name in sorted(MODELS):
        model = MODELS[name]
        if not issubclass(model, SQLRecord) or model is SQLRecord:
            continue
        if modules == "core" and not model.__module__.startswith("lamin_pipes."):
            continue
        if registries is not None and name not in registries:
            continue
        chosen.append(model)
    for model in chosen:
        frame = model.to_dataframe(limit=limit)
        if frame.shape[0] > 0:
            print(model.__name__)
            print(frame)
