"""Artifacts: versioned files, folders and in-memory objects in a storage location.

An artifact's content lives at ``{storage.root}/.lamindb/{uid}{suffix}``; its ``key`` is a
virtual path that groups versions into a family. ``save()`` streams the content to
storage while hashing it, returns the existing artifact if the hash is known, and
otherwise writes the record and moves the staged content onto its final name in one
transaction (see :mod:`lamin_pipes.models._artifact_save`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import attributes

from ..core._context import active_run
from ..core._settings import settings
from ..errors import FieldValidationError, InvalidArgument
from ..orm import fields
from ..orm._values import check_key as check_path_key
from ..orm.sqlrecord import SQLRecord
from ..orm.sqlrecord_list import SQLRecordList
from ..storage import _serializers
from ._artifact_by_path import is_path_like, path_text, storage_of_path
from ._artifact_data import artifact_path, cache_artifact, load_artifact
from ._artifact_delete import delete_artifact, restore_artifact
from ._artifact_family import check_key_has_latest
from ._artifact_in_place import in_place_fields, in_place_source, is_in_place, locate
from ._artifact_open import open_artifact
from ._artifact_save import (
    become,
    existing_with_content,
    lazy_staging_path,
    return_existing,
    save_artifact,
    stage_artifact,
)
from ._artifact_store import check_key, format_from_key, prepare_source
from ._curation_hook import curate
from ._describe import describe_artifact
from ._is_versioned import IsVersioned, check_revises_tag, family_indexes, new_uid_16
from ._lineage import view_lineage
from .artifact_set import ArtifactSet
from .run import Run, TracksRun, TracksUpdates

logger = logging.getLogger("lamin_pipes")


class Artifact(SQLRecord, IsVersioned, TracksRun, TracksUpdates):
    """Datasets and models: files, folders, DataFrames, AnnData objects, arrays, dicts.

    Args:
        data: A path (file or folder; a str, ``Path`` or ``UPath``), an ``s3://`` URL, a
            ``pandas.DataFrame``, an ``anndata.AnnData``, a ``numpy.ndarray`` or a
            ``dict``. A path inside a registered storage location is registered in place,
            not copied (see :mod:`lamin_pipes.models._artifact_in_place`); other local
            paths are copied into the default storage on ``save()``.
        key: A relative virtual path such as ``"datasets/iris.parquet"``; saving under an
            existing key creates a new version of that family.
        description: A description.
        kind: ``"dataset"``, ``"model"`` or another string.
        revises: An artifact whose family gets the new version.
        overwrite_versions: Whether the family's versions share one stored object
            (default: ``True`` for folders, ``False`` for files, as lamindb).
        run: The creating run (default: the current run).
        version: A version tag, unique within the family (``version_tag``).
        skip_hash_lookup: Do not return an existing artifact with the same content
            (default: ``False``; ``True`` for content registered in place, as lamindb).
        format: Storage format for in-memory objects (``".zarr"`` for AnnData, ``".csv"``
            for a DataFrame); defaults to the key's AnnData suffix, else the type's
            canonical suffix.
        to_disk_kwargs: Options of the writer of an in-memory object (see
            :meth:`from_dataframe` and :meth:`from_anndata`).

    Examples:
        >>> import lamin_pipes as ln
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1, 2]})
        >>> artifact = ln.Artifact(df, key="examples/df.parquet").save()
        >>> artifact.otype, artifact.suffix, artifact.n_observations, artifact.version
        ('DataFrame', '.parquet', 2, '0000')
        >>> artifact.load().equals(df)
        True
        >>> df2 = pd.DataFrame({"a": [1, 2, 3]})
        >>> v2 = ln.Artifact(df2, key="examples/df.parquet").save()
        >>> v2.stem_uid == artifact.stem_uid, v2.version, v2.is_latest
        (True, '0001', True)
        >>> [a.version for a in v2.versions]
        ['0000', '0001']
    """

    _name_field = "key"
    #: SQLRecordList.save() / ln.save() save artifacts one by one: their content moves too.
    _saves_one_by_one = True
    _len_stem = 16
    _family_key = ("storage_id", "key")
    _queryset_mixin = ArtifactSet
    _delete_one_by_one = True
    #: ``get(path=...)`` finds artifacts by where their content is stored.
    _queries_by_path = True

    uid: str = fields.CharField(
        max_length=20,
        unique=True,
        editable=False,
        default=new_uid_16,
        doc="A universal id: 16-character stem plus a 4-character version counter.",
    )
    key: str | None = fields.CharField(
        max_length=1024, null=True, db_index=True, doc="A virtual relative path, e.g. 'a/b.csv'."
    )
    description: str | None = fields.TextField(null=True, db_index=True, doc="A description.")
    storage: Any = fields.ForeignKey(
        "Storage", fields.PROTECT, related_name="artifacts", doc="The storage location."
    )
    suffix: str = fields.CharField(
        max_length=30, db_index=True, editable=False, default="", doc="File suffix, e.g. '.csv'."
    )
    kind: str | None = fields.CharField(
        max_length=20, null=True, db_index=True, doc="'dataset', 'model' or another string."
    )
    otype: str | None = fields.CharField(
        max_length=64,
        null=True,
        db_index=True,
        editable=False,
        doc="The Python type of the object: 'DataFrame', 'AnnData', …",
    )
    size: int | None = fields.BigIntegerField(
        null=True, db_index=True, editable=False, doc="Size in bytes."
    )
    hash: str | None = fields.CharField(
        max_length=22, null=True, db_index=True, editable=False, doc="Content hash."
    )
    n_files: int | None = fields.BigIntegerField(
        null=True, db_index=True, editable=False, doc="Number of files of a folder."
    )
    n_observations: int | None = fields.BigIntegerField(
        null=True, db_index=True, editable=False, doc="Number of observations (rows)."
    )
    _hash_type: str | None = fields.CharField(
        max_length=30, null=True, db_index=True, editable=False, doc="md5, sha1-fl or md5-d."
    )
    _key_is_virtual: bool = fields.BooleanField(
        default=True,
        doc="Whether key is virtual; False: the content is stored at the key (in place).",
    )
    _real_key: str | None = fields.CharField(
        max_length=1024,
        null=True,
        db_index=True,
        doc="Where content registered in place under another (virtual) key is stored.",
    )
    _overwrite_versions: bool | None = fields.BooleanField(
        null=True, default=None, doc="Whether new versions overwrite the stored content."
    )
    run: Any = fields.ForeignKey(
        "Run",
        fields.PROTECT,
        null=True,
        related_name="output_artifacts",
        doc="The run that created the artifact.",
    )
    created_by: Any = fields.ForeignKey(
        "User", fields.PROTECT, null=True, related_name="created_artifacts", doc="Creator."
    )
    input_of_runs: Any = fields.ManyToManyField(
        "Run", related_name="input_artifacts", doc="Runs that used the artifact as input."
    )
    recreating_runs: Any = fields.ManyToManyField(
        "Run", related_name="recreated_artifacts", doc="Runs that re-created the artifact."
    )
    schema: Any = fields.ForeignKey(
        "Schema",
        fields.PROTECT,
        null=True,
        related_name="validated_artifacts",
        doc="The schema the artifact was validated against ← validated_artifacts.",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        key: str | None = None,
        description: str | None = None,
        kind: str | None = None,
        revises: Artifact | None = None,
        overwrite_versions: bool | None = None,
        run: Run | None = None,
        version: str | None = None,
        version_tag: str | None = None,
        skip_hash_lookup: bool | None = None,
        format: str | None = None,
        to_disk_kwargs: dict[str, Any] | None = None,
        _consume: bool = False,
        _is_internal_call: bool = False,
        **kwargs: Any,
    ) -> None:
        valid = type(self)._meta.valid_init_names()
        if "schema" in kwargs or "schema_id" in kwargs:  # lamindb: curate on the way in
            msg = (
                "A schema validates dataset content, which Artifact() does not do: use "
                "Artifact.from_dataframe(df, key=..., schema=...) or "
                "Artifact.from_anndata(adata, key=..., schema=...)"
            )
            raise InvalidArgument(msg)
        unknown = [k for k in kwargs if k not in valid and k != "_search_names"]
        if unknown:  # arguments are checked before the data is looked at, as lamindb
            msg = (
                f"{unknown[0]!r} is not a valid argument of Artifact(). Valid fields: "
                f"{', '.join(valid)}"
            )
            raise FieldValidationError(msg)
        if data is None:
            msg = (
                "Artifact() needs data: a path (file or folder), a DataFrame, an AnnData, "
                "a numpy array or a dict; got None"
            )
            raise InvalidArgument(msg)
        if version is not None and version_tag is not None and version != version_tag:
            msg = f"Pass version or version_tag, not both (got {version!r} and {version_tag!r})"
            raise InvalidArgument(msg)
        if revises is not None and not isinstance(revises, Artifact):
            msg = f"revises must be an Artifact, not {type(revises).__name__}: {revises!r}"
            raise InvalidArgument(msg)
        if run is not None and not isinstance(run, Run):
            msg = f"run must be a Run, not {type(run).__name__}: {run!r}"
            raise InvalidArgument(msg)
        check_revises_tag(revises, version if version is not None else version_tag)
        place = None
        if is_path_like(data) and not (_consume or _is_internal_call):
            place = locate(data, settings.instance, Artifact)
        if place is not None and place.existing is not None:  # a managed s3:// path
            super().__init__()
            become(self, place.existing, settings.instance)
            return
        in_place: dict[str, Any] = {}
        if place is not None:
            if format is not None or to_disk_kwargs:
                msg = f"format and to_disk_kwargs apply to in-memory objects, not to {data!r}"
                raise InvalidArgument(msg)
            source = in_place_source(place)
            if key is not None:
                check_key(key, source.suffix)
            in_place = in_place_fields(place, key)
            key = in_place["key"]
        else:
            source = prepare_source(data, key=key, format=format, write_kwargs=to_disk_kwargs)
        if key is None and revises is not None:
            key = revises.key
        if skip_hash_lookup is None:  # lamindb: content registered in place is not looked up
            skip_hash_lookup = place is not None
        if (
            source.kind != "object"
            and key is None
            and description is None
            and run is None
            and active_run() is None
        ):
            msg = (
                f"Pass one of key, run or description when registering the path "
                f"{str(source.path)!r} (or call ln.track() first), e.g. "
                f"ln.Artifact(path, key={source.path.name if source.path else 'name'!r})"
            )
            raise InvalidArgument(msg)
        super().__init__(
            key=key,
            description=description,
            kind=kind,
            suffix=source.suffix,
            otype=source.otype,
            n_observations=source.n_observations,
            version_tag=version if version is not None else version_tag,
            _overwrite_versions=overwrite_versions,
            **{name: value for name, value in in_place.items() if name != "key"},
            **kwargs,
        )
        if run is not None:
            self.run = run
        pending = self.__dict__
        if place is not None:
            pending["storage_id"] = place.storage.id
        pending["_lp_source"] = source
        pending["_lp_revises"] = revises
        pending["_lp_skip_hash_lookup"] = skip_hash_lookup
        source.consume = _consume
        # Hashed now, as in lamindb: the content streams to a staging name once, and
        # save() moves it into place. The same content saved before is returned.
        staged = stage_artifact(self)
        if overwrite_versions is None:  # lamindb: True for a folder, False for a file
            self._overwrite_versions = staged.is_dir
        if not skip_hash_lookup:
            existing = existing_with_content(self)
            if existing is not None:
                return_existing(self, existing)
                return
        if revises is None and key is not None:
            check_key_has_latest(self)

    # --- constructors ---------------------------------------------------------------

    @classmethod
    def from_dataframe(
        cls,
        df: Any,
        *,
        key: str | None = None,
        description: str | None = None,
        revises: Artifact | None = None,
        run: Run | None = None,
        schema: Any = None,
        parquet_kwargs: dict[str, Any] | None = None,
        csv_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Artifact:
        """An artifact for a ``pandas.DataFrame`` (stored as ``.parquet``).

        Args:
            df: The DataFrame.
            key: A key such as ``"tables/t.parquet"``.
            description: A description.
            revises: An artifact whose family gets the new version.
            run: The creating run.
            schema: A :class:`~lamin_pipes.models.Schema` to validate against now
                (``ValidationError`` if the frame does not match; coerced values are
                stored); ``save()`` then annotates the artifact with the frame's
                features and labels and links it to the schema.
            parquet_kwargs: Options of ``DataFrame.to_parquet``, e.g. ``{"compression":
                "gzip"}``.
            csv_kwargs: Options of ``DataFrame.to_csv`` (with ``format=".csv"``).
            **kwargs: Other arguments of :class:`Artifact` (``format``, ``version`` ...).

        Examples:
            >>> import lamin_pipes as ln
            >>> import pandas as pd
            >>> ln.Artifact.from_dataframe(pd.DataFrame({"x": [1]})).otype
            'DataFrame'
            >>> small = ln.Artifact.from_dataframe(
            ...     pd.DataFrame({"x": [1]}), parquet_kwargs={"compression": "gzip"}
            ... )
            >>> import pyarrow.parquet as pq
            >>> pq.ParquetFile(small.path).metadata.row_group(0).column(0).compression
            'GZIP'
        """
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            msg = f"from_dataframe() takes a pandas.DataFrame, not {type(df).__name__}"
            raise InvalidArgument(msg)
        curated = curate(df, schema, "DataFrame") if schema is not None else None
        if curated is not None:
            df = curated.dataset
        writes = _serializers.suffix_for(df, kwargs.get("format"))
        options = _writer_options(
            writes, {".parquet": parquet_kwargs, ".csv": csv_kwargs, ".tsv": csv_kwargs}
        )
        artifact = cls(
            df,
            key=key,
            description=description,
            revises=revises,
            run=run,
            kind="dataset",
            to_disk_kwargs=options,
            **kwargs,
        )
        if curated is not None:
            _attach_curation(artifact, schema, curated)
        return artifact

    @classmethod
    def from_df(cls, df: Any, **kwargs: Any) -> Artifact:
        """Alias of :meth:`from_dataframe` kept from older lamindb releases."""
        return cls.from_dataframe(df, **kwargs)

    @classmethod
    def from_anndata(
        cls,
        adata: Any,
        *,
        key: str | None = None,
        description: str | None = None,
        revises: Artifact | None = None,
        run: Run | None = None,
        schema: Any = None,
        format: str | None = None,
        h5ad_kwargs: dict[str, Any] | None = None,
        zarr_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Artifact:
        """An artifact for an ``anndata.AnnData``: ``.h5ad``, or a ``.zarr`` store (a folder).

        The format is ``format``, else the key's suffix (``key="x.zarr"`` writes zarr), else
        ``.h5ad``, as in lamindb.

        Args:
            adata: An AnnData, or the path of an ``.h5ad`` file or ``.zarr`` store.
            key: A key such as ``"scrna/x.h5ad"``.
            description: A description.
            revises: An artifact whose family gets the new version.
            run: The creating run.
            schema: A composite :class:`~lamin_pipes.models.Schema` (``otype="AnnData"``,
                slots ``obs``, ``var.T``) to validate against now; ``save()`` then
                annotates the artifact and links it to the schema and its slots.
            format: ``"h5ad"`` or ``"zarr"``.
            h5ad_kwargs: Options of ``AnnData.write_h5ad``, e.g. ``{"compression": "gzip"}``.
            zarr_kwargs: Options of ``AnnData.write_zarr``, e.g. ``{"chunks": [100, 100]}``.
            **kwargs: Other arguments of :class:`Artifact`.

        Examples:
            >>> import lamin_pipes as ln
            >>> import anndata as ad, numpy as np
            >>> adata = ad.AnnData(np.ones((2, 2), dtype="float32"))
            >>> store = ln.Artifact.from_anndata(adata, key="examples/x.zarr").save()
            >>> store.suffix, store.n_files > 1, store.overwrite_versions
            ('.zarr', True, True)
        """
        if type(adata).__name__ != "AnnData" and not (
            isinstance(adata, str | Path) and str(adata).endswith((".h5ad", ".zarr"))
        ):
            msg = (
                f"from_anndata() takes an AnnData or a path to .h5ad/.zarr, not "
                f"{type(adata).__name__}"
            )
            raise InvalidArgument(msg)
        curated = None
        if schema is not None:
            if type(adata).__name__ != "AnnData":
                msg = "from_anndata(schema=...) validates an in-memory AnnData, not a path"
                raise InvalidArgument(msg)
            curated = curate(adata, schema, "AnnData")
            adata = curated.dataset
        options = None
        if type(adata).__name__ == "AnnData":
            if format is None and key is not None:
                format = format_from_key(adata, key)
            writes = _serializers.suffix_for(adata, format)
            options = _writer_options(writes, {".h5ad": h5ad_kwargs, ".zarr": zarr_kwargs})
        elif h5ad_kwargs or zarr_kwargs:
            msg = "h5ad_kwargs and zarr_kwargs apply to an in-memory AnnData, not to a path"
            raise InvalidArgument(msg)
        artifact = cls(
            adata,
            key=key,
            description=description,
            revises=revises,
            run=run,
            kind="dataset",
            format=format,
            to_disk_kwargs=options,
            **kwargs,
        )
        artifact.otype = "AnnData"
        if curated is not None:
            _attach_curation(artifact, schema, curated)
        return artifact

    @classmethod
    def from_dir(
        cls, path: str | os.PathLike[str], *, key: str | None = None, run: Run | None = None
    ) -> SQLRecordList[Artifact]:
        """One unsaved artifact per file of a local folder, keyed by its place in it.

        Keys are ``<key>/<relative path>`` (``key`` defaults to the folder's name, or, for
        a folder in a registered storage location, its path there: its files are then
        registered in place), as in lamindb; files with the content of an earlier file in
        the folder are dropped with a warning. Save them all with ``.save()``.

        Examples:
            >>> import lamin_pipes as ln, pathlib, tempfile
            >>> folder = pathlib.Path(tempfile.mkdtemp()) / "sample_1"
            >>> (folder / "qc").mkdir(parents=True)
            >>> _ = (folder / "counts.csv").write_text("a,b\\n1,2\\n")
            >>> _ = (folder / "qc" / "report.txt").write_text("ok")
            >>> artifacts = ln.Artifact.from_dir(folder).save()
            >>> [a.key for a in artifacts]
            ['sample_1/counts.csv', 'sample_1/qc/report.txt']
        """
        from tqdm.auto import tqdm

        folder = Path(path).expanduser()
        if not folder.is_dir():
            msg = f"from_dir() takes the path of a local folder, got {str(path)!r}"
            raise InvalidArgument(msg)
        if key is None:  # lamindb: a folder in a registered storage keeps its place there
            found = storage_of_path(settings.instance, path_text(folder))
            key = found[1] if found is not None else folder.name
        prefix = key.rstrip("/")
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        artifacts: list[Artifact] = []
        seen: dict[str, str] = {}
        for file in tqdm(files, desc="hashing", unit="file", disable=len(files) < 100):
            relative = file.relative_to(folder).as_posix()
            artifact = cls(file, key=f"{prefix}/{relative}", run=run)
            first = seen.setdefault(artifact.hash or relative, relative)
            if first != relative:
                logger.warning("dropping %s: it has the same content as %s", relative, first)
                continue
            artifacts.append(artifact)
        return SQLRecordList(artifacts)

    @classmethod
    def from_lazy(cls, suffix: str, overwrite_versions: bool, **kwargs: Any) -> LazyArtifact:
        """A :class:`LazyArtifact`: write to its ``path`` yourself, then ``save()`` it."""
        return LazyArtifact(suffix, overwrite_versions, **kwargs)

    # --- persistence ----------------------------------------------------------------

    def save(self, *args: Any, upload: bool | None = None, **kwargs: Any) -> Artifact:  # type: ignore[override]
        """Save the artifact: upload its content (hashed while streaming) and write it.

        If an artifact with the same content hash exists, this record becomes that
        artifact (a log message says so) and the current run is recorded as one of
        its ``recreating_runs``; nothing is written twice.

        Returns:
            The saved artifact (this object).
        """
        self._check_key_change()
        curated = self.__dict__.pop("_lp_curated", None)
        if "_lp_source" in self.__dict__:
            save_artifact(self)
        else:
            super().save(*args, **kwargs)
        if curated is not None:  # from_dataframe/from_anndata(schema=...): annotate now
            curated.annotate(self)
        return self

    def _check_key_change(self) -> None:
        """A key set after construction is checked as the constructor checks one.

        lamindb refuses ``None`` for a saved artifact's key, ``.``/``..`` segments, and
        a suffix other than the content's.
        """
        state = self.__dict__
        key = state.get("key")
        if state.get("id") is not None:
            if not attributes.get_history(self, "key").has_changes():
                return
            if key is None:
                msg = f"Cannot update the key of artifact {self.uid} to None"
                raise InvalidArgument(msg)
        source = state.get("_lp_source")
        place = getattr(source, "in_place", None)
        moved = place.key != key if place is not None else state.get("id") is not None
        if state.get("_key_is_virtual") is False and moved:
            msg = (
                f"Cannot change the key of artifact {state.get('uid')} to {key!r}: it is "
                "registered in place, and its key is its path in storage; register the "
                "path again with ln.Artifact(path, key=...) for another (virtual) key"
            )
            raise InvalidArgument(msg)
        if key is not None:
            check_path_key(key, "Artifact")
            check_key(key, state.get("suffix") or "")

    def replace(self, data: Any, run: Run | None = None, format: str | None = None) -> None:
        """Replace the content; the next ``save()`` writes it as a new version.

        The object becomes the family's next version: ``save()`` gives it a new ``uid``
        and ``id``, and the previous version stays as it was. Its ``version_tag`` is
        cleared (set one before saving if you like). If the save fails, the object
        stays the unsaved next version and ``save()`` can be called again.
        """
        if self.id is None:
            msg = "replace() works on a saved artifact; for a new one pass the data to Artifact()"
            raise InvalidArgument(msg)
        if is_in_place(self):
            msg = (
                f"replace() does not support artifact {self.uid}, which is registered in place "
                f"at {str(self.path)!r}: write the new content there and register it again "
                "with ln.Artifact(path), which saves it as the next version"
            )
            raise InvalidArgument(msg)
        source = prepare_source(data, key=self.key, format=format)
        if self.key is not None and source.suffix != self.suffix:
            msg = (
                f"The new content's suffix {source.suffix!r} does not match the key "
                f"{self.key!r}; replace with content of the same format ({self.suffix!r})"
            )
            raise InvalidArgument(msg)
        self.__dict__["_lp_source"] = source
        self.__dict__["_lp_revises"] = self.__dict__.get("_lp_replaced_from") or _detached_copy(
            self
        )
        self.__dict__["_lp_skip_hash_lookup"] = False
        self.__dict__["_lp_replace_run"] = run
        self.version_tag = None  # a tag names one version; the new one has none yet

    def delete(  # type: ignore[override]
        self, permanent: bool | None = None, storage: bool | None = None, **kwargs: Any
    ) -> None:
        """Move to the trash; ``permanent=True`` deletes the record and its stored content.

        Deleting the latest version makes the newest remaining version the latest.

        Examples:
            >>> import lamin_pipes as ln
            >>> artifact = ln.Artifact({"a": 1}, key="examples/delete.json").save()
            >>> artifact.delete()
            >>> artifact.branch_id
            -1
            >>> artifact.restore()
            >>> artifact.branch_id
            1
        """
        delete_artifact(self, permanent=permanent, delete_storage=storage)

    def restore(self) -> None:
        """Bring the artifact back from the trash (it becomes latest if its family has none)."""
        restore_artifact(self)

    # --- data access ----------------------------------------------------------------

    @property
    def path(self) -> Any:
        """Where the content is stored: a ``pathlib.Path`` locally, else a ``upath.UPath``.

        A ``UPath`` works like a ``Path`` on the object store (``exists()``,
        ``read_bytes()``, ``open()``, ``name``, ``suffix``); ``str(path)`` is its URL.
        """
        return artifact_path(self)

    def cache(self, is_run_input: bool | None = None) -> Path:
        """A local path to the content (remote content is downloaded to the cache once)."""
        return cache_artifact(self, is_run_input=is_run_input)

    def load(self, is_run_input: bool | None = None, **kwargs: Any) -> Any:
        """Load the content into memory as the type it was saved from.

        Examples:
            >>> import lamin_pipes as ln
            >>> ln.Artifact({"lr": 0.1}, key="examples/params.json").save().load()
            {'lr': 0.1}
        """
        return load_artifact(self, is_run_input=is_run_input, **kwargs)

    def open(
        self,
        mode: str = "r",
        engine: str = "pyarrow",
        is_run_input: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Open the content for streaming access without loading it.

        Returns a ``pyarrow.dataset.Dataset`` (``engine="polars"``: a ``LazyFrame``) for
        tabular content, a backed ``AnnData`` for ``.h5ad`` and AnnData ``.zarr`` stores,
        a ``zarr.Group`` for other zarr stores and an ``h5py.File`` for ``.h5``. Each can
        be used as ``with artifact.open() as access:``, which closes its handles.

        ``mode="r+"`` (lamindb's rule: ``.zarr`` artifacts whose family overwrites
        versions, the default for folders) gives the stored ``zarr.Group`` to write to;
        closing it saves a changed store as the next version, which this object becomes.

        Examples:
            >>> import lamin_pipes as ln
            >>> import pandas as pd
            >>> artifact = ln.Artifact(pd.DataFrame({"a": [1, 2]}), key="examples/open.parquet")
            >>> with artifact.save().open() as dataset:
            ...     dataset.count_rows()
            2
        """
        return open_artifact(self, mode=mode, engine=engine, is_run_input=is_run_input, **kwargs)

    # --- display and lineage ----------------------------------------------------------

    def describe(self, return_str: bool = False) -> str | None:
        """Print (or return) a readable tree of the artifact: content, storage, provenance."""
        text = describe_artifact(self)
        if return_str:
            return text
        print(text)
        return None

    def view_lineage(self, return_format: str = "text") -> str:
        """Show the runs and artifacts that led to this artifact (``"text"`` or ``"dot"``)."""
        return view_lineage(self, return_format=return_format)

    @property
    def transform(self) -> Any:
        """The transform of the creating run (``None`` if not created in a run)."""
        run = self.run
        return None if run is None else run.transform


def _attach_curation(artifact: Artifact, schema: Any, curated: Any) -> None:
    """Point the artifact at its schema; its curator annotates it when it is saved."""
    artifact.schema = schema
    artifact.__dict__["_lp_curated"] = curated


def _writer_options(
    writes: str, by_format: dict[str, dict[str, Any] | None]
) -> dict[str, Any] | None:
    """The writer options for the format ``writes``; options for another one are refused."""
    for suffix, options in by_format.items():
        if options and suffix != writes and by_format.get(writes) is not options:
            name = {".parquet": "parquet_kwargs", ".csv": "csv_kwargs", ".tsv": "csv_kwargs"}
            name |= {".h5ad": "h5ad_kwargs", ".zarr": "zarr_kwargs"}
            msg = (
                f"{name[suffix]} applies to {suffix} content, but the data is written as "
                f"{writes!r}; pass the options of that format or choose format={suffix!r}"
            )
            raise InvalidArgument(msg)
    return by_format.get(writes) or None


def _detached_copy(record: Artifact) -> Artifact:
    """A lightweight stand-in for the saved version a replace() revises."""
    stand_in = Artifact.__new__(Artifact)
    for attr in ("id", "uid", "key", "storage_id", "suffix"):
        stand_in.__dict__[attr] = record.__dict__.get(attr)
    return stand_in


class LazyArtifact:
    """An artifact whose content you write yourself to an auto-generated path.

    ``path`` is a location inside the storage; write a file or a folder (e.g. a zarr
    store) there, then ``save()`` registers it and returns the :class:`Artifact`.

    Args:
        suffix: The suffix of the path, e.g. ``".zarr"``.
        overwrite_versions: Whether versions of the family share (overwrite) one path.
        **kwargs: Arguments for the artifact (``key``, ``description``, ``revises``, …).

    Examples:
        >>> import lamin_pipes as ln
        >>> lazy = ln.Artifact.from_lazy(".txt", overwrite_versions=False, key="examples/lazy.txt")
        >>> _ = lazy.path.write_text("streamed")
        >>> lazy.save().load()
        'streamed'
    """

    def __init__(self, suffix: str, overwrite_versions: bool, **kwargs: Any) -> None:
        if not isinstance(suffix, str) or (suffix and not suffix.startswith(".")):
            msg = f"suffix must be a string starting with '.', e.g. '.zarr'; got {suffix!r}"
            raise InvalidArgument(msg)
        key = kwargs.get("key")
        if key is not None and suffix and not key.endswith(suffix):
            msg = f"The key {key!r} must end with the suffix {suffix!r}"
            raise InvalidArgument(msg)
        self.suffix = suffix
        self.overwrite_versions = overwrite_versions
        self.kwargs = kwargs
        self._path = lazy_staging_path(suffix)

    @property
    def path(self) -> Path:
        """The local path to write the content to."""
        return self._path

    def __repr__(self) -> str:
        return f"LazyArtifact(path={str(self._path)!r}, suffix={self.suffix!r})"

    def save(self) -> Artifact:
        """Register what was written to :attr:`path` as an artifact and return it."""
        if not self._path.exists():
            msg = f"Nothing was written to {str(self._path)!r}; write the content there first"
            raise InvalidArgument(msg)
        artifact = Artifact(
            self._path, overwrite_versions=self.overwrite_versions, _consume=True, **self.kwargs
        )
        return artifact.save()


family_indexes(Artifact)
