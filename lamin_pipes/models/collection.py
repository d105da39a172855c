"""Collections: ordered, versioned sets of artifacts."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import attributes

from ..errors import InvalidArgument
from ..orm import fields
from ..orm._records import record_instance
from ..orm.query_set import QuerySet
from ..orm.sqlrecord import SQLRecord
from ..storage._hashing import combine_hashes
from ._artifact_save import adopt
from ._describe import describe_collection
from ._is_versioned import (
    Duplicate,
    IsVersioned,
    check_revises_tag,
    family_indexes,
    insert_version,
    new_uid_16,
    promote_newest,
)
from ._lineage import view_lineage
from ._run_links import track_input
from .artifact import Artifact
from .run import Run, TracksRun, TracksUpdates

logger = logging.getLogger("lamin_pipes")


class Collection(SQLRecord, IsVersioned, TracksRun, TracksUpdates):
    """An ordered set of artifacts, e.g. the shards of a dataset, versioned by key.

    Its hash combines the member hashes, so the same artifacts make the same
    collection: saving it again returns the existing one.

    Args:
        artifacts: One saved artifact or an iterable of them (a list, a query set).
        key: A name for the collection; saving under an existing key makes a new version.
        description: A description.
        meta: An artifact holding metadata about the collection.
        reference: An external reference (e.g. a URL); ``reference_type`` says what it is.
        revises: A collection whose family gets the new version.
        run: The creating run (default: the current run).
        version: A version tag, unique within the family.
        skip_hash_lookup: Save even if a collection of the same artifacts exists.

    Examples:
        >>> import lamin_pipes as ln
        >>> import pandas as pd
        >>> a = ln.Artifact(pd.DataFrame({"x": [1]}), key="shards/0.parquet").save()
        >>> b = ln.Artifact(pd.DataFrame({"x": [2]}), key="shards/1.parquet").save()
        >>> collection = ln.Collection([a, b], key="shards").save()
        >>> [x.key for x in collection.ordered_artifacts]
        ['shards/0.parquet', 'shards/1.parquet']
        >>> collection.load()["x"].tolist()
        [1, 2]
    """

    _name_field = "key"
    #: SQLRecordList.save() / ln.save() save collections one by one: they link members.
    _saves_one_by_one = True
    _len_stem = 16
    _family_key = ("key",)
    _delete_one_by_one = True

    uid: str = fields.CharField(
        max_length=20,
        unique=True,
        editable=False,
        default=new_uid_16,
        doc="A universal id: 16-character stem plus a 4-character version counter.",
    )
    key: str = fields.CharField(max_length=255, db_index=True, doc="Name or path-like key.")
    description: str | None = fields.TextField(null=True, db_index=True, doc="A description.")
    hash: str | None = fields.CharField(
        max_length=22, null=True, db_index=True, editable=False, doc="Hash of the member hashes."
    )
    reference: str | None = fields.CharField(
        max_length=255, null=True, db_index=True, doc="An external reference such as a URL."
    )
    reference_type: str | None = fields.CharField(
        max_length=25, null=True, db_index=True, doc="What the reference is."
    )
    meta_artifact: Any = fields.ForeignKey(
        "Artifact",
        fields.PROTECT,
        null=True,
        related_name="_meta_of_collection",
        doc="An artifact with metadata about the collection.",
    )
    artifacts: Any = fields.ManyToManyField(
        "Artifact", related_name="collections", doc="The member artifacts."
    )
    run: Any = fields.ForeignKey(
        "Run",
        fields.PROTECT,
        null=True,
        related_name="output_collections",
        doc="The run that created the collection.",
    )
    created_by: Any = fields.ForeignKey(
        "User", fields.PROTECT, null=True, related_name="created_collections", doc="Creator."
    )
    input_of_runs: Any = fields.ManyToManyField(
        "Run", related_name="input_collections", doc="Runs that used the collection as input."
    )
    recreating_runs: Any = fields.ManyToManyField(
        "Run", related_name="recreated_collections", doc="Runs that re-created the collection."
    )

    def __init__(
        self,
        artifacts: Artifact | Iterable[Artifact] | None = None,
        key: str | None = None,
        *,
        description: str | None = None,
        meta: Artifact | None = None,
        reference: str | None = None,
        reference_type: str | None = None,
        run: Run | None = None,
        revises: Collection | None = None,
        version: str | None = None,
        skip_hash_lookup: bool = False,
        **kwargs: Any,
    ) -> None:
        members = _members(artifacts)
        if revises is not None and not isinstance(revises, Collection):
            msg = f"revises must be a Collection, not {type(revises).__name__}: {revises!r}"
            raise InvalidArgument(msg)
        check_revises_tag(revises, version)
        if key is None:
            key = revises.key if revises is not None else None
        if not isinstance(key, str) or not key:
            msg = f"Collection() needs a key (a non-empty string), got {key!r}"
            raise InvalidArgument(msg)
        if meta is not None and (not isinstance(meta, Artifact) or meta.id is None):
            msg = f"meta must be a saved Artifact, got {meta!r}"
            raise InvalidArgument(msg)
        digest = combine_hashes(a.hash or a.uid for a in members)  # order-independent
        super().__init__(
            key=key,
            description=description,
            reference=reference,
            reference_type=reference_type,
            hash=digest,
            version_tag=version,
            **kwargs,
        )
        if meta is not None:
            self.meta_artifact = meta
        if run is not None:
            self.run = run
        state = self.__dict__
        state["_lp_members"] = members
        state["_lp_revises"] = revises
        state["_lp_skip_hash_lookup"] = skip_hash_lookup
        if not skip_hash_lookup and all(a.id is not None for a in members):
            # lamindb returns the collection of the same artifacts at construction
            inst = self._check_writable()
            table = type(self).__table__
            with inst.read_session() as session:
                found = session.scalars(
                    select(table.c.id).where(table.c.hash == digest).order_by(table.c.id)
                ).first()
            if found is not None:
                _forget_members(state)
                adopt(self, inst.get_by_id(Collection, found), inst)
                if self.__dict__.get("branch_id") == -1:
                    self.restore()

    def save(self, *args: Any, **kwargs: Any) -> Collection:  # type: ignore[override]
        """Save the collection and link its artifacts in order.

        If a collection with the same member hash exists, this object becomes it.
        """
        state = self.__dict__
        if "_lp_members" not in state:
            return super().save(*args, **kwargs)  # type: ignore[return-value]
        inst = self._check_writable()
        members: list[Artifact] = state["_lp_members"]

        dedup_hash = None if state.get("_lp_skip_hash_lookup") else self.hash
        self._prepare_save()
        link = type(self)._meta.fields["artifacts"]

        def link_members(record: Any) -> None:
            table = link.link_table
            assert table is not None
            rows = [{link.source_column: record.id, link.target_column: a.id} for a in members]
            with inst.session() as session:
                session.execute(table.insert(), rows)

        # On failure the members stay pending, so that save() can be called again
        # (never a collection row without its links).
        try:
            insert_version(
                self,
                inst,
                revises=state.get("_lp_revises"),
                before_commit=link_members,
                dedup_hash=dedup_hash,
            )
        except Duplicate as duplicate:
            _forget_members(state)
            adopt(self, inst.get_by_id(Collection, duplicate.record_id), inst)
            return self
        _forget_members(state)
        self._lp_instance = inst
        return self

    @property
    def ordered_artifacts(self) -> QuerySet[Artifact]:
        """The member artifacts in the order they were given, as a query set (as lamindb).

        Filter it, slice it or call ``.to_list()``; its order is the order of the links.
        """
        info = type(self)._meta.fields["artifacts"]
        table = info.link_table
        assert table is not None
        inst = record_instance(self)
        qs: QuerySet[Artifact] = QuerySet(Artifact, instance=inst, include_trash=True)
        if self.id is None:
            return qs.none()  # type: ignore[return-value]
        artifact_id = Artifact.__table__.c.id
        source, target = table.c[info.source_column], table.c[info.target_column]
        members = select(target).where(source == self.id)
        position = (
            select(func.min(table.c.id))
            .where(source == self.id, target == artifact_id)
            .scalar_subquery()
        )
        qs = qs._where_clause(artifact_id.in_(members))  # type: ignore[assignment]
        qs._order = [position]
        return qs

    @property
    def data_artifact(self) -> Artifact | None:
        """The only artifact of a one-artifact collection (else ``None``)."""
        members = self.ordered_artifacts
        return members[0] if len(members) == 1 else None

    def append(self, artifact: Artifact) -> Collection:
        """A new (unsaved) version of this collection with ``artifact`` added at the end."""
        if not isinstance(artifact, Artifact) or artifact.id is None:
            msg = f"append() takes a saved Artifact, got {artifact!r}"
            raise InvalidArgument(msg)
        return Collection(
            [*self.ordered_artifacts, artifact],
            key=self.key,
            description=self.description,
            revises=self,
        )

    def _member_set(self) -> Any:
        ordered = list(self.ordered_artifacts)
        qs = QuerySet(Artifact, instance=record_instance(self)).filter(
            id__in=[a.id for a in ordered]
        )
        qs._cache = ordered
        return qs

    def _track(self, is_run_input: bool | None) -> None:
        track_input(self, is_run_input)

    def load(self, join: str = "outer", is_run_input: bool | None = None, **kwargs: Any) -> Any:
        """Load the members and concatenate them (DataFrames or AnnData objects)."""
        self._track(is_run_input)
        return self._member_set().load(join=join, is_run_input=False, **kwargs)

    def open(self, engine: str = "pyarrow", is_run_input: bool | None = None, **kwargs: Any) -> Any:
        """Stream the members as one pyarrow dataset (or polars LazyFrame)."""
        self._track(is_run_input)
        return self._member_set().open(engine=engine, is_run_input=False, **kwargs)

    def cache(self, is_run_input: bool | None = None) -> list[Path]:
        """Local paths of the members' content, in order."""
        self._track(is_run_input)
        return [a.cache(is_run_input=False) for a in self.ordered_artifacts.to_list()]

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
    ) -> Any:
        """A PyTorch map-style dataset over the member artifacts, in their order.

        The arguments are those of :meth:`ArtifactSet.mapped
        <lamin_pipes.models.artifact_set.ArtifactSet.mapped>`; the collection (not each
        artifact) is recorded as an input of the current run.
        """
        from ._mapped import mapped_collection

        return mapped_collection(
            self,
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

    def describe(self, return_str: bool = False) -> str | None:
        """Print (or return) a readable tree of the collection and its artifacts."""
        text = describe_collection(self)
        if return_str:
            return text
        print(text)
        return None

    def view_lineage(self, return_format: str = "text") -> str:
        """Show the runs and artifacts that led to this collection."""
        return view_lineage(self, return_format=return_format)

    def delete(self, permanent: bool | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Trash the collection (``permanent=True`` deletes it; artifacts are kept)."""
        inst = record_instance(self)
        was_latest = bool(self.is_latest)
        if self.id is not None and was_latest:
            with inst.atomic():
                super().delete(permanent=permanent)
                promote_newest(inst, Collection, self.stem_uid, exclude_id=self.id)
            attributes.set_committed_value(self, "is_latest", value=False)
            return
        super().delete(permanent=permanent)


def _forget_members(state: dict[str, Any]) -> None:
    for name in ("_lp_members", "_lp_revises", "_lp_skip_hash_lookup"):
        state.pop(name, None)


def _members(artifacts: Any) -> list[Artifact]:
    if artifacts is None:
        msg = "Collection() needs artifacts: one saved Artifact or an iterable of them"
        raise InvalidArgument(msg)
    items = [artifacts] if isinstance(artifacts, Artifact) else list(artifacts)
    if not items:
        msg = "Collection() needs at least one artifact"
        raise InvalidArgument(msg)
    for item in items:
        if not isinstance(item, Artifact):
            msg = f"Collections hold Artifacts, got {type(item).__name__}: {item!r}"
            raise InvalidArgument(msg)
        if item.id is None:
            msg = f"Save the artifact {item!r} before adding it to a collection"
            raise InvalidArgument(msg)
    return items


family_indexes(Collection)
