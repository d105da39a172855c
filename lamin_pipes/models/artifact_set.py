"""``ArtifactSet``: what query sets of artifacts (and collections) can do with the data."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from ..storage import _open
from ..storage._closing import closable
from ..storage._concat import concat_objects
from ._artifact_by_path import get_by_path
from ._artifact_data import _store, _verify_local, remote_open_kwargs
from ._artifact_store import storage_key
from ._run_links import track_inputs


class ArtifactSet:
    """Methods of artifact query sets: load or stream all matching artifacts as one.

    ``ln.Artifact.filter(...)`` returns a query set that has these methods too.

    Examples:
        >>> import lamin_pipes as ln
        >>> import pandas as pd
        >>> _ = ln.Artifact(pd.DataFrame({"x": [1]}), key="set/a.parquet").save()
        >>> _ = ln.Artifact(pd.DataFrame({"x": [2]}), key="set/b.parquet").save()
        >>> artifacts = ln.Artifact.filter(key__startswith="set/").order_by("key")
        >>> artifacts.load()["x"].tolist()
        [1, 2]
        >>> artifacts.open().to_table().num_rows
        2
        >>> with artifacts.open() as dataset:
        ...     dataset.count_rows()
        2
    """

    def get(self, idlike: Any = None, *, path: Any = None, **expressions: Any) -> Any:
        """A single artifact by id, uid, lookups, or ``path``: where its content is stored.

        ``path`` (a str, ``pathlib.Path`` or ``UPath``) is a managed path such as
        ``artifact.path`` (``{root}/.lamindb/{uid}{suffix}``), or the path of content
        registered in place (see :mod:`lamin_pipes.models._artifact_by_path`).

        Examples:
            >>> import lamin_pipes as ln
            >>> artifact = ln.Artifact({"a": 1}, key="examples/by_path.json").save()
            >>> ln.Artifact.get(path=artifact.path) == artifact
            True
        """
        if path is None:
            return super().get(idlike, **expressions)  # type: ignore[misc]
        return get_by_path(self, path, idlike, **expressions)

    def _artifact_list(self) -> list[Any]:
        return list(self)  # type: ignore[call-overload]

    def load(self, join: str = "outer", is_run_input: bool | None = None, **kwargs: Any) -> Any:
        """Load every artifact and concatenate them (DataFrames or AnnData objects).

        Args:
            join: ``"outer"`` keeps all columns (variables), ``"inner"`` the shared ones.
            is_run_input: Record the artifacts as inputs of the current run (default:
                when a run is current).
        """

        artifacts = self._artifact_list()
        if not artifacts:
            msg = "The query set is empty: there is nothing to load"
            raise InvalidArgument(msg)
        track_inputs(artifacts, is_run_input)
        objects = [a.load(is_run_input=False) for a in artifacts]
        return concat_objects(objects, join=join, **kwargs)  # type: ignore[arg-type]

    def open(self, engine: str = "pyarrow", is_run_input: bool | None = None, **kwargs: Any) -> Any:
        """Stream all (parquet, csv, …) artifacts as one pyarrow dataset or polars LazyFrame.

        All artifacts must share one suffix and one storage location.
        """

        artifacts = self._artifact_list()
        if not artifacts:
            msg = "The query set is empty: there is nothing to open"
            raise InvalidArgument(msg)
        suffixes = sorted({a.suffix for a in artifacts})
        if len(suffixes) != 1:
            msg = f"open() needs artifacts of one format; found suffixes {suffixes}"
            raise InvalidArgument(msg)
        storages = {a.storage_id for a in artifacts}
        if len(storages) != 1:
            msg = "open() needs artifacts in one storage location; cache() them first"
            raise InvalidArgument(msg)
        stores = [_store(a) for a in artifacts]  # checks each one's content is stored
        store = stores[0]
        keys = [storage_key(a) for a in artifacts]
        locals_ = [store.local_path(k) for k in keys]
        if all(p is not None for p in locals_):
            for artifact, path in zip(artifacts, locals_, strict=True):
                _verify_local(artifact, path)
            result = _open.open_dataset(
                [str(p) for p in locals_],
                suffixes[0],
                engine=engine,  # type: ignore[arg-type]
                **kwargs,
            )
        else:
            result = _open.open_dataset(
                [store.fs_path(k) for k in keys],
                suffixes[0],
                engine=engine,  # type: ignore[arg-type]
                filesystem=store.filesystem(),
                **remote_open_kwargs(store, engine, kwargs),
            )
        track_inputs(artifacts, is_run_input)
        return closable(result)  # usable in a with statement, as artifact.open()
