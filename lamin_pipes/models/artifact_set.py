"""``ArtifactSet``: what query sets of artifacts (and collections) can do with the data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ..errors import InvalidArgument
from ..storage import _open
from ..storage._closing import closable
from ..storage._concat import concat_objects
from ._artifact_by_path import get_by_path
from ._artifact_data import _store, _verify_local, remote_open_kwargs
from ._artifact_store import storage_key
from ._run_links import track_inputs

if TYPE_CHECKING:
    from ._mapped._collection import MappedCollection


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

    def mapped(
        self,
        layers_keys: str | list[str] | None = None,
        obs_keys: str | list[str] | None = None,
        obsm_keys: str | list[str] | None = None,
        obs_filter: dict[str, str | list[str]] | None = None,
        join: Literal["inner", "outer"] | None = "inner",
        encode_labels: bool | list[str] = True,
        unknown_label: str | dict[str, str] | None = None,
        cache_categories: bool = True,
        parallel: bool = False,
        dtype: str | None = None,
        stream: bool = False,
        is_run_input: bool | None = None,
    ) -> MappedCollection:
        """A PyTorch map-style dataset over the AnnData artifacts (``.h5ad``, ``.zarr``).

        The artifacts' observations are concatenated virtually, in the order of the
        query set (by id when it has none). ``dataset[i]`` is a dict with
        ``"_store_idx"``, each of ``layers_keys`` (``"X"`` for ``.X``), ``"obsm_<key>"``
        per ``obsm_keys`` and each of ``obs_keys``; a ``DataLoader`` with a batch size
        reads each batch in one call. See
        :class:`~lamin_pipes.models._mapped._collection.MappedCollection`. Requires torch.

        Args:
            layers_keys: Keys of ``.layers``; ``None`` or ``"X"`` reads ``.X``.
            obs_keys: Columns of ``.obs``.
            obsm_keys: Keys of ``.obsm``.
            obs_filter: Keep observations whose column has this value (or one of these
                values): ``{"cell_type": ["T cell", "B cell"]}``.
            join: ``"inner"`` or ``"outer"`` join of the artifacts' variables, or
                ``None``.
            encode_labels: Encode labels as integers (``True``, or a list of obs keys).
            unknown_label: A label (or one per obs key) encoded as ``-1``.
            cache_categories: Keep label codes in memory.
            parallel: Keep no file handles open here (for ``num_workers > 0``).
            dtype: Convert ``.X``, layers and ``.obsm`` to this dtype.
            stream: Read remote artifacts in place instead of caching them locally.
            is_run_input: Record the artifacts as inputs of the current run (default:
                when a run is current).

        Examples:
            >>> import lamin_pipes as ln
            >>> import anndata as ad, numpy as np, pandas as pd
            >>> obs = pd.DataFrame({"cell_type": ["T", "B"]}, index=["c1", "c2"])
            >>> adata = ad.AnnData(np.eye(2, dtype="float32"), obs=obs)
            >>> _ = ln.Artifact(adata, key="mapped/a.h5ad").save()
            >>> dataset = ln.Artifact.filter(key__startswith="mapped/").mapped(obs_keys="cell_type")
            >>> len(dataset), dataset[0]["cell_type"], dataset.encoders
            (2, 1, {'cell_type': {'B': 0, 'T': 1}})
            >>> dataset.close()
        """
        from ._mapped import mapped_artifacts

        ordered: Any = self if self.ordered else self.order_by("id")  # type: ignore[attr-defined]
        return mapped_artifacts(
            list(ordered),
            stream=stream,
            is_run_input=is_run_input,
            layers_keys=layers_keys,
            obs_keys=obs_keys,
            obsm_keys=obsm_keys,
            obs_filter=obs_filter,
            join=join,
            encode_labels=encode_labels,
            unknown_label=unknown_label,
            cache_categories=cache_categories,
            parallel=parallel,
            dtype=dtype,
        )
