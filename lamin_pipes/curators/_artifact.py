"""``Artifact.from_dataframe/from_anndata(..., schema=...)``: curate on the way in.

The registries call :func:`curate_for_artifact` through
:mod:`lamin_pipes.models._curation_hook`: the dataset is validated when the artifact
is constructed, and the artifact is annotated once it is saved.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from ._curators import AnnDataCurator, Curator, DataFrameCurator


class Curated:
    """A validated dataset waiting for its artifact.

    Attributes:
        curator: The curator that validated it.
    """

    def __init__(self, curator: Curator) -> None:
        self.curator = curator

    @property
    def dataset(self) -> Any:
        """The dataset to store: coerced values included."""
        return self.curator.dataset  # type: ignore[attr-defined]

    def annotate(self, artifact: Any) -> None:
        """Annotate the saved artifact with labels and slot schemas."""
        self.curator._annotate(artifact)


def curate_for_artifact(dataset: Any, schema: Any, kind: str) -> Curated:
    """Validate ``dataset`` against ``schema`` for an artifact of ``kind``.

    Raises:
        ValidationError: If the dataset does not match the schema.
        InvalidArgument: For a ``kind`` other than ``"DataFrame"`` or ``"AnnData"``.
    """
    curator: Curator
    if kind == "DataFrame":
        curator = DataFrameCurator(dataset, schema)
    elif kind == "AnnData":
        curator = AnnDataCurator(dataset, schema)
    else:
        msg = f"No curator for {kind!r}: DataFrame and AnnData are curated."
        raise InvalidArgument(msg)
    curator.validate()
    return Curated(curator)


__all__ = ["Curated", "curate_for_artifact"]
