"""How ``Artifact.from_dataframe(..., schema=...)`` reaches the curators, a layer above.

``lamin_pipes.curators`` validates datasets against schemas and annotates artifacts;
it imports the registries, so the registries cannot import it. The package's top
level (``lamin_pipes/__init__.py``) names a function here that loads the curators on
first use; :class:`~lamin_pipes.models.Artifact` calls it through :func:`curate`.

The function takes the dataset, the schema and the kind (``"DataFrame"`` or
``"AnnData"``), validates (raising ``ValidationError``) and returns an object with
``dataset`` (the validated, possibly coerced, dataset to store) and
``annotate(artifact)`` (called once the artifact is saved).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import LaminPipesError

_CURATE: dict[str, Callable[..., Any]] = {}


def set_curation_hook(function: Callable[..., Any]) -> None:
    """Name the function that curates a dataset for an artifact (see the module doc)."""
    _CURATE["curate"] = function


def curate(dataset: Any, schema: Any, kind: str) -> Any:
    """Validate ``dataset`` against ``schema`` for an artifact of ``kind``.

    Raises:
        LaminPipesError: If no curator is registered (``lamin_pipes`` not imported).
    """
    function = _CURATE.get("curate")
    if function is None:
        msg = "Curating needs lamin_pipes.curators; import lamin_pipes first."
        raise LaminPipesError(msg)
    return function(dataset, schema, kind)


__all__ = ["curate", "set_curation_hook"]
