"""Schemas: the features a dataset has, of which types, and which of them are required.

A :class:`Schema` is either a set of features (the columns of a DataFrame, ``obs`` of
an AnnData), an identifier type (``itype``: columns named by a registry field, such as
gene symbols in ``var.T``), or a composite of such schemas by *slot* (``{"obs": ...,
"var.T": ...}`` for an AnnData). Constraints (``minimal_set``, ``maximal_set``,
``ordered_set``, ``coerce``, ``flexible``) and optional features refine it.

Every schema but a schema type has a content *hash* over what defines it (the
members and which of them are optional, the constraints, the itype and dtype, the
slots' hashes) — not its name, description or otype. Constructing a schema whose hash
a saved schema has returns that schema, as lamindb does; a partial unique index keeps
two writers from saving the same schema twice.

The member links (``lamindb_schema_features``), the composite's slots
(:class:`SchemaComponent`) and an artifact's schemas by slot (:class:`ArtifactSchema`,
``artifact.features.slots``) are tables of their own.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Index, UniqueConstraint, and_, delete, insert, select

from ..core._uid import base62_16
from ..errors import FieldValidationError, IntegrityError, InvalidArgument, ValidationError
from ..orm import fields
from ..orm._indexes import declare_later
from ..orm._records import become_existing, record_instance
from ..orm.sqlrecord import BaseSQLRecord, SQLRecord
from ..orm.sqlrecord_list import SQLRecordList
from ._dtypes import parse_dtype, serialize_dtype
from ._existing import existing_by_name
from ._render import Node, render_tree
from ._schema_itype import parse_itype, serialize_itype
from .can_curate import CanCurate
from .feature import Feature
from .has_type import HasType
from .run import TracksRun, TracksUpdates

logger = logging.getLogger("lamin_pipes")

_UNSET: Any = object()
#: Keys of ``Schema._aux["af"]`` (lamindb's layout): optional feature uids.
_OPTIONALS = "1"
#: The keyword arguments ``Schema()`` takes besides the fields it computes itself.
_KEYWORDS = (
    "features",
    "name",
    "description",
    "itype",
    "otype",
    "slots",
    "type",
    "is_type",
    "dtype",
    "minimal_set",
    "maximal_set",
    "ordered_set",
    "coerce",
    "flexible",
    "optionals",
    "n_members",
)


def _digest(text: str) -> str:
    digest = hashlib.md5(text.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:22]


def schema_hash(
    *,
    dtype: str | None,
    itype: str | None,
    minimal_set: bool,
    ordered_set: bool,
    maximal_set: bool,
    flexible: bool,
    coerce: bool,
    n_members: int | None,
    member_uids: list[str],
    optional_uids: Iterable[str] = (),
    slot_hashes: dict[str, str] | None = None,
) -> str:
    """The content hash of a schema (22 url-safe base64 characters).

    Members count in order only for an ``ordered_set``; ``flexible`` counts where it
    differs from its default (flexible exactly when there are no members).

    Examples:
        >>> args = dict(dtype=None, itype="Feature", minimal_set=True, ordered_set=False,
        ...     maximal_set=False, flexible=False, coerce=False, n_members=2)
        >>> schema_hash(**args, member_uids=["a", "b"]) == schema_hash(**args, member_uids=["b", "a"])
        True
        >>> schema_hash(**args, member_uids=["a", "b"]) == schema_hash(
        ...     **args, member_uids=["a", "b"], optional_uids=["b"])
        False
    """
    parts = [
        f"{code}={value}"
        for code, value in (
            ("a", dtype),
            ("b", itype),
            ("c", minimal_set),
            ("d", ordered_set),
            ("e", maximal_set),
        )
        if value is not None
    ]
    if flexible != (n_members is None):
        parts.append(f"f={flexible}")
    if coerce:
        parts.append("g=True")
    if n_members is not None:
        parts.append(f"h={n_members}")
    if member_uids:
        optional = set(optional_uids)
        marked = [f"{uid}(i)" if uid in optional else uid for uid in member_uids]
        if not ordered_set:
            marked.sort()
        parts.append(f"j={_digest(':'.join(marked))}")
    if slot_hashes:
        parts.append(f"l={_digest(':'.join(sorted(f'{k}={v}' for k, v in slot_hashes.items())))}")
    return _digest(":".join(sorted(parts)))


def _feature_list(features: Any) -> tuple[list[Feature], list[Feature]]:
    """Members and the optional ones from ``[feature, feature.with_config(optional=True)]``."""
    if isinstance(features, (Feature, str, bytes, dict)):
        msg = (
            "Schema(features=...) takes a list of Feature records, e.g. "
            f"ln.Schema([feature1, feature2]); got {type(features).__name__} {features!r}"
        )
        raise InvalidArgument(msg)
    members: list[Feature] = []
    optional: list[Feature] = []
    for item in features:
        config: dict[str, Any] = {}
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], dict):
            item, config = item
        if not isinstance(item, Feature):
            msg = (
                "Schema members are Feature records; got "
                f"{type(item).__name__} {item!r}. To validate identifiers of another "
                "registry (such as gene symbols), pass itype=... instead."
            )
            raise InvalidArgument(msg)
        if item.id is None:
            msg = f"Save feature {item.name!r} before using it in a schema."
            raise InvalidArgument(msg)
        if item.is_type:
            msg = f"Feature {item.name!r} is a feature type (is_type=True), not a feature."
            raise InvalidArgument(msg)
        unknown = set(config) - {"optional"}
        if unknown:
            msg = (
                f"Unknown feature config {sorted(unknown)} for {item.name!r}: valid is 'optional'."
            )
            raise InvalidArgument(msg)
        members.append(item)
        if config.get("optional"):
            optional.append(item)
    names = [f.name for f in members]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        msg = f"A schema takes each feature once; repeated: {', '.join(map(repr, repeated))}."
        raise InvalidArgument(msg)
    return members, optional


def _as_features(features: Any, method: str) -> list[Feature]:
    if isinstance(features, Feature):
        return [features]
    if isinstance(features, list) and all(isinstance(f, Feature) for f in features):
        return list(features)
    msg = f"{method} takes a Feature or a list of Feature records, got {features!r}"
    raise TypeError(msg)


class SchemaOptionals:
    """The optional features of a schema: ``schema.optionals``.

    A feature of a schema with ``minimal_set=True`` is required unless it is optional.
    Changes are kept on the schema object; ``schema.save()`` stores them (the hash
    changes with them).

    Examples:
        >>> import lamin_pipes as ln
        >>> sample_id = ln.Feature(name="sample_id", dtype=str).save()
        >>> sample_name = ln.Feature(name="sample_name", dtype=str).save()
        >>> schema = ln.Schema([sample_id, sample_name.with_config(optional=True)]).save()
        >>> schema.optionals.get().to_list("name")
        ['sample_name']
        >>> schema.optionals.remove(sample_name)
        >>> schema.optionals.get_uids()
        []
        >>> schema.optionals.set(sample_name)
        Traceback (most recent call last):
        ...
        TypeError: optionals.set() takes a list of Feature records, got Feature(...)
    """

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def __repr__(self) -> str:
        return f"SchemaOptionals({self.get_uids()!r})"

    def get_uids(self) -> list[str]:
        """The uids of the optional features (no database query)."""
        aux = self.schema._aux or {}
        return list(aux.get("af", {}).get(_OPTIONALS, []))

    def get(self) -> Any:
        """The optional features, as a query set in member order."""
        uids = self.get_uids()
        members = self.schema.members
        if isinstance(members, SQLRecordList):
            return SQLRecordList([f for f in members if f.uid in uids])
        return members.filter(uid__in=uids) if uids else members.none()

    def set(self, features: list[Feature]) -> None:
        """Make exactly these features optional (the others of the schema required).

        Raises:
            TypeError: If ``features`` is not a list of Feature records.
        """
        if not isinstance(features, list) or not all(isinstance(f, Feature) for f in features):
            shown = repr(features)
            if isinstance(features, Feature):
                shown = "Feature(...)"
            msg = f"optionals.set() takes a list of Feature records, got {shown}"
            raise TypeError(msg)
        self._store([f.uid for f in features])

    def add(self, features: Feature | list[Feature]) -> None:
        """Make features of the schema optional (nothing changes when ``minimal_set=False``).

        Raises:
            TypeError: If ``features`` is no Feature or list of them.
            InvalidArgument: If a feature is not a member (use ``schema.add()``).
        """
        items = _as_features(features, "optionals.add()")
        if not items or self.schema.minimal_set is False:
            return
        member_uids = {f.uid for f in self.schema.members}
        outside = [f.name for f in items if f.uid not in member_uids]
        if outside:
            msg = (
                f"Features {outside} are not part of the schema; use schema.add(...) to add "
                "them (optional by default)."
            )
            raise InvalidArgument(msg)
        current = self.get_uids()
        self._store(current + [f.uid for f in items if f.uid not in current])

    def remove(self, features: Feature | list[Feature]) -> None:
        """Make optional features required again.

        Raises:
            TypeError: If ``features`` is no Feature or list of them.
        """
        drop = {f.uid for f in _as_features(features, "optionals.remove()")}
        self._store([uid for uid in self.get_uids() if uid not in drop])

    def _store(self, uids: list[str]) -> None:
        aux = dict(self.schema._aux or {})
        af = dict(aux.get("af", {}))
        if uids:
            af[_OPTIONALS] = list(dict.fromkeys(uids))
        else:
            af.pop(_OPTIONALS, None)
        if af:
            aux["af"] = af
        else:
            aux.pop("af", None)
        self.schema._aux = aux or None  # a new object: the JSON column sees the change


class Schema(SQLRecord, HasType, CanCurate, TracksRun, TracksUpdates):
    """Data models that constrain the content of datasets: features, identifiers, slots.

    Pass at least one of ``features``, ``itype``, ``slots`` or ``is_type=True``.

    Args:
        features: Saved Feature records, e.g. ``[cell_type, n_counts]``; a feature can be
            marked optional with ``feature.with_config(optional=True)``.
        name: A name.
        description: A description.
        itype: What names the columns: ``ln.Feature`` (default when ``features`` are
            given), a feature type, or another registry's field such as ``ln.Record``
            (names), a Record type (names of its records), ``Gene.symbol``.
        otype: The object type, ``"DataFrame"`` or ``"AnnData"``; required with ``slots``.
        slots: Saved schemas by slot, e.g. ``{"obs": obs_schema, "var.T": var_schema}``.
        type: A schema type grouping this schema.
        is_type: Whether this is a schema type.
        dtype: The dtype of all values where ``itype`` is not Feature (default ``"num"``).
        minimal_set: Whether every feature is required unless optional (default).
        maximal_set: Whether columns beyond the schema's are refused.
        ordered_set: Whether the features must come in this order.
        coerce: Whether values are coerced to their features' dtypes when validated.
        flexible: Whether columns that are other registered features are validated and
            annotated, too (default: ``True`` exactly when no ``features`` are given).
        optionals: Features of ``features`` that are optional (or use ``with_config``).
        n_members: The number of identifiers, for an itype-only schema.

    Raises:
        InvalidArgument: Nothing to define the schema with, unsaved features or slot
            schemas, non-Feature members, repeated feature names, a composite without
            ``otype``, an invalid ``itype``.
        FieldValidationError: An unknown keyword argument.

    Examples:
        >>> import lamin_pipes as ln
        >>> cell_type = ln.Feature(name="cell_type", dtype=ln.ULabel).save()
        >>> n_counts = ln.Feature(name="n_counts", dtype=float).save()
        >>> schema = ln.Schema([cell_type, n_counts], name="cells").save()
        >>> schema.members.to_list("name"), schema.itype, schema.flexible
        (['cell_type', 'n_counts'], 'Feature', False)
        >>> ln.Schema([n_counts, cell_type], name="cells again") == schema  # same hash
        True
        >>> var = ln.Schema(itype=ln.Record.name, name="genes").save()
        >>> adata = ln.Schema(otype="AnnData", slots={"obs": schema, "var.T": var}).save()
        >>> sorted(adata.slots)
        ['obs', 'var.T']
    """

    _name_field = "name"
    __table_args__ = ()

    uid: str = fields.CharField(
        max_length=16, unique=True, editable=False, default=base62_16, doc="A universal id."
    )
    name: str | None = fields.CharField(max_length=150, null=True, db_index=True, doc="A name.")
    description: str | None = fields.TextField(null=True, doc="A description.")
    n_members: int | None = fields.IntegerField(
        null=True, doc="Number of features (identifiers); None for flexible or type schemas."
    )
    coerce: bool | None = fields.BooleanField(
        null=True, doc="Whether values are coerced to the features' dtypes when validated."
    )
    flexible: bool | None = fields.BooleanField(
        null=True, doc="Whether other registered features are validated and annotated, too."
    )
    type: Any = fields.ForeignKey(
        "self",
        fields.PROTECT,
        null=True,
        related_name="schemas",
        doc="The type of the schema (a Schema with is_type=True) ← schemas.",
    )
    is_type: bool = fields.BooleanField(
        default=False, db_index=True, doc="Whether the schema is a type of schemas."
    )
    itype: str | None = fields.CharField(
        max_length=120,
        null=True,
        db_index=True,
        editable=False,
        doc="The registry field naming the columns, e.g. 'Feature' or 'Record[<type uid>]'.",
    )
    otype: str | None = fields.CharField(
        max_length=64, null=True, db_index=True, doc="The object type: 'DataFrame', 'AnnData'."
    )
    _dtype_str: str | None = fields.CharField(
        max_length=64, null=True, editable=False, doc="The dtype of all values (non-Feature)."
    )
    hash: str | None = fields.CharField(
        max_length=22, null=True, db_index=True, editable=False, doc="The content hash."
    )
    minimal_set: bool = fields.BooleanField(
        default=True, db_index=True, doc="Whether all features are required unless optional."
    )
    ordered_set: bool = fields.BooleanField(
        default=False, db_index=True, doc="Whether features must come in the schema's order."
    )
    maximal_set: bool = fields.BooleanField(
        default=False, db_index=True, doc="Whether columns beyond the schema's are refused."
    )
    features: Any = fields.ManyToManyField(
        "Feature", related_name="schemas", doc="The member features ← schemas."
    )

    def __init__(
        self,
        features: Any = None,
        *,
        name: str | None = None,
        description: str | None = None,
        itype: Any = None,
        otype: str | None = None,
        slots: dict[str, Schema] | None = None,
        type: Schema | None = _UNSET,
        is_type: bool = False,
        dtype: Any = None,
        minimal_set: bool = True,
        maximal_set: bool = False,
        ordered_set: bool = False,
        coerce: bool | None = False,
        flexible: bool | None = None,
        optionals: list[Feature] | None = None,
        n_members: int | None = None,
        **kwargs: Any,
    ) -> None:
        allowed = {"uid", "branch", "branch_id", "space", "space_id", "run", "_search_names"}
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            msg = (
                f"{unknown[0]!r} is not a valid argument of Schema(). Valid arguments: "
                f"{', '.join(_KEYWORDS)}"
            )
            raise FieldValidationError(msg)
        members, optional = _feature_list(features) if features is not None else ([], [])
        if optionals is not None:
            if not isinstance(optionals, list) or not all(
                isinstance(f, Feature) for f in optionals
            ):
                msg = f"optionals takes a list of Feature records, got {optionals!r}"
                raise TypeError(msg)
            outside = [f.name for f in optionals if f not in members]
            if outside:
                msg = f"optionals {outside} are not among the schema's features."
                raise InvalidArgument(msg)
            optional += [f for f in optionals if f not in optional]
        slots = dict(slots or {})
        for slot, component in slots.items():
            if not isinstance(component, Schema):
                msg = f"slots takes Schema records; slot {slot!r} got {component!r}"
                raise InvalidArgument(msg)
            if component.id is None:
                msg = f"Save the schema of slot {slot!r} before using it in a composite schema."
                raise InvalidArgument(msg)
        if not members and not slots and not is_type and itype is None:
            msg = "Please pass features, slots or itype to Schema(), or set is_type=True."
            raise InvalidArgument(msg)
        if slots and otype is None:
            msg = "Please pass otype ('DataFrame', 'AnnData') for a composite schema (slots)."
            raise InvalidArgument(msg)
        itype_str = serialize_itype(itype) if itype is not None else None
        if members:
            if itype_str is None:
                itype_str = "Feature"
            elif parse_itype(itype_str).registry != "Feature":
                msg = (
                    f"Schema features are Feature records, which itype {itype_str!r} does not name."
                )
                raise InvalidArgument(msg)
            n_members = len(members)
        if dtype is not None:
            dtype_str: str | None = serialize_dtype(dtype)
            if parse_dtype(dtype_str).is_cat:
                msg = f"A schema's dtype is a simple dtype such as 'num' or 'float', got {dtype_str!r}"
                raise InvalidArgument(msg)
        elif itype_str is not None and not itype_str.startswith("Feature"):
            dtype_str = "num"
        else:
            dtype_str = None
        if flexible is None:
            flexible = n_members is None
        values: dict[str, Any] = {
            "name": name,
            "description": description,
            "is_type": is_type,
            "itype": itype_str,
            "otype": otype,
            "_dtype_str": dtype_str,
            "n_members": n_members,
            "minimal_set": minimal_set,
            "maximal_set": maximal_set,
            "ordered_set": ordered_set,
            "coerce": True if coerce else None,
            "flexible": flexible,
        }
        if not is_type:
            values["hash"] = schema_hash(
                dtype=dtype_str,
                itype=itype_str,
                minimal_set=minimal_set,
                ordered_set=ordered_set,
                maximal_set=maximal_set,
                flexible=flexible,
                coerce=bool(coerce),
                n_members=n_members,
                member_uids=[f.uid for f in members],
                optional_uids=[f.uid for f in optional],
                slot_hashes={k: v.hash or v.uid for k, v in slots.items()},
            )
        if type is not _UNSET:
            values["type"] = type
        super().__init__(**values, **kwargs)
        if self.id is not None:  # the saved schema with this hash
            return
        if optional:
            self._aux = {"af": {_OPTIONALS: [f.uid for f in optional]}}
        state = self.__dict__
        state["_lp_members"] = members
        state["_lp_slots"] = slots

    @classmethod
    def _existing_on_init(cls, kwargs: dict[str, Any]) -> Schema | None:
        if kwargs.get("is_type"):
            return existing_by_name(cls, kwargs)  # type: ignore[no-any-return]
        found = _saved_with_hash(kwargs.get("hash"))
        if found is not None:
            logger.info("returning schema with same hash: %s", found._label())
        return found  # type: ignore[no-any-return]

    # --- members, slots, optionals ---------------------------------------------------

    @property
    def members(self) -> Any:
        """The member features in schema order: a query set, or a list while unsaved."""
        state = self.__dict__
        if self.id is None or "_lp_members" in state:
            return SQLRecordList(list(state.get("_lp_members", [])))
        link = _member_link()
        features = Feature.__table__  # type: ignore[attr-defined]
        position = (
            select(link.link_table.c.id)
            .where(
                link.link_table.c[link.source_column] == self.id,
                link.link_table.c[link.target_column] == features.c.id,
            )
            .scalar_subquery()
        )
        ids = select(link.link_table.c[link.target_column]).where(
            link.link_table.c[link.source_column] == self.id
        )
        return Feature.filter()._where_clause(features.c.id.in_(ids)).order_by(position)  # type: ignore[arg-type]

    @property
    def slots(self) -> dict[str, Schema]:
        """The schemas of a composite by slot (``{"obs": ..., "var.T": ...}``)."""
        state = self.__dict__
        if self.id is None or state.get("_lp_slots"):
            return dict(state.get("_lp_slots", {}))
        table = SchemaComponent.__table__  # type: ignore[attr-defined]
        with record_instance(self).read_session() as session:
            rows = session.execute(
                select(table.c.slot, table.c.component_id)
                .where(table.c.composite_id == self.id)
                .order_by(table.c.id)
            ).all()
        if not rows:
            return {}
        by_id = {s.id: s for s in Schema.objects.filter(id__in=[r[1] for r in rows])}
        return {slot: by_id[cid] for slot, cid in rows if cid in by_id}

    @property
    def optionals(self) -> SchemaOptionals:
        """The optional features (see :class:`SchemaOptionals`)."""
        return SchemaOptionals(self)

    @property
    def dtype(self) -> str | None:
        """The dtype of all values for a non-Feature itype (``"num"``), else ``None``."""
        return self._dtype_str

    @property
    def coerce_dtype(self) -> bool | None:
        """Alias of ``coerce`` kept from older lamindb releases."""
        return self.coerce

    def query_schemas(self, depth: int | None = None) -> Any:
        """The schemas below this schema type (sub-types included)."""
        return self.query_records(depth=depth)

    def add(self, features: Feature | list[Feature], optional: bool = True) -> None:
        """Add features to a saved schema, optional by default, and save it.

        Raises:
            NotImplementedError: For ``optional=False`` (it could invalidate datasets
                validated before), as lamindb.
        """
        if not optional:
            msg = (
                "Schema.add(optional=False) is not supported: a new required feature could "
                "invalidate the datasets validated with this schema."
            )
            raise NotImplementedError(msg)
        items = _as_features(features, "Schema.add()")
        current = list(self.members)
        self.__dict__["_lp_members"] = current + [f for f in items if f not in current]
        if self.minimal_set:
            self.optionals._store(self.optionals.get_uids() + [f.uid for f in items])
        self.save()

    def remove(self, features: Feature | list[Feature]) -> None:
        """Remove features from a saved schema and save it.

        Raises:
            NotImplementedError: For a schema with ``maximal_set=True``, as lamindb.
        """
        if self.maximal_set:
            msg = "Removing features from a schema with maximal_set=True is not supported."
            raise NotImplementedError(msg)
        drop = {f.uid for f in _as_features(features, "Schema.remove()")}
        self.__dict__["_lp_members"] = [f for f in self.members if f.uid not in drop]
        self.optionals._store([u for u in self.optionals.get_uids() if u not in drop])
        self.save()

    # --- saving ----------------------------------------------------------------------

    def _current_hash(self, members: list[Feature]) -> str | None:
        if self.is_type:
            return None
        return schema_hash(
            dtype=self._dtype_str,
            itype=self.itype,
            minimal_set=self.minimal_set,
            ordered_set=self.ordered_set,
            maximal_set=self.maximal_set,
            flexible=bool(self.flexible),
            coerce=bool(self.coerce),
            n_members=self.n_members,
            member_uids=[f.uid for f in members],
            optional_uids=self.optionals.get_uids(),
            slot_hashes={k: v.hash or v.uid for k, v in self.slots.items()},
        )

    def save(self, *args: Any, **kwargs: Any) -> Schema:
        """Save the schema with its member links and slots, in one transaction.

        Saving a schema whose definition changed (members, optionals, constraints)
        stores its new hash; another saved schema with that hash is refused.

        Raises:
            ValidationError: If a saved schema is changed into one that exists already.
        """
        inst = self._check_writable()
        state = self.__dict__
        members: list[Feature] | None = state.get("_lp_members")
        was_new = self.id is None
        if not was_new and not self.is_type:
            if members is not None:
                self.n_members = len(members) or None
            new_hash = self._current_hash(members if members is not None else list(self.members))
            if new_hash != self.hash:
                clash = _saved_with_hash(new_hash, exclude_id=self.id)
                if clash is not None:
                    msg = (
                        f"Cannot save {self._label()}: its new definition is that of "
                        f"{clash._label()} (uid {clash.uid!r}), which exists already."
                    )
                    raise ValidationError(msg)
                self.hash = new_hash
        try:
            with inst.atomic():
                super().save(*args, **kwargs)
                self._write_links(inst, members, state.get("_lp_slots"))
        except IntegrityError:
            existing = _saved_with_hash(self.hash) if was_new else None
            if existing is None:
                raise
            # Another writer saved the same schema meanwhile: this one is that one.
            state["id"] = None
            become_existing(self, existing, {})
            return self
        state.pop("_lp_members", None)
        state.pop("_lp_slots", None)
        return self

    def _write_links(
        self, inst: Any, members: list[Feature] | None, slots: dict[str, Schema] | None
    ) -> None:
        link = _member_link()
        table = link.link_table
        source, target = link.source_column, link.target_column
        with inst.session() as session:
            if members is not None:
                wanted = [f.id for f in members]
                current = list(
                    session.scalars(
                        select(table.c[target])
                        .where(table.c[source] == self.id)
                        .order_by(table.c.id)
                    )
                )
                if current != wanted:
                    session.execute(delete(table).where(table.c[source] == self.id))
                    if wanted:
                        session.execute(
                            insert(table), [{source: self.id, target: fid} for fid in wanted]
                        )
            if slots:
                components: Any = SchemaComponent.__table__  # type: ignore[attr-defined]
                session.execute(delete(components).where(components.c.composite_id == self.id))
                session.execute(
                    insert(components),
                    [
                        {"composite_id": self.id, "component_id": s.id, "slot": slot}
                        for slot, s in slots.items()
                    ],
                )

    # --- display ---------------------------------------------------------------------

    def describe(self, return_str: bool = False) -> str | None:
        """The schema as a tree: constraints, features (with dtypes) and slots.

        Examples:
            >>> import lamin_pipes as ln
            >>> n = ln.Feature(name="n", dtype=int).save()
            >>> print(ln.Schema([n], name="counts").save().describe(return_str=True))  # doctest: +ELLIPSIS
            Schema: counts (...)
            ├── itype Feature · minimal_set · flexible=False · coerce=False
            └── Features (1)
                └── n  int
        """
        if self.id is None:
            msg = "Save the schema before describing it."
            raise InvalidArgument(msg)
        text = render_tree(_describe_node(self, None))
        if return_str:
            return text
        print(text)
        return None


def _saved_with_hash(value: str | None, exclude_id: int | None = None) -> Schema | None:
    """The saved schema (outside the trash) with this hash, as the unique index sees it."""
    if value is None:
        return None
    qs = Schema.objects.filter(hash=value).exclude(branch_id=-1)
    if exclude_id is not None:
        qs = qs.exclude(id=exclude_id)
    return qs.order_by("id").first()  # type: ignore[no-any-return]


def _describe_node(schema: Schema, slot: str | None) -> Node:
    label = schema.name or schema.uid
    head = f"{slot}: {label}" if slot else f"Schema: {label} ({schema.uid})"
    node = Node(head)
    flags = []
    if schema.itype:
        flags.append(f"itype {schema.itype}")
    if schema.otype:
        flags.append(f"otype {schema.otype}")
    if schema.dtype:
        flags.append(f"dtype {schema.dtype}")
    for name in ("minimal_set", "maximal_set", "ordered_set"):
        if getattr(schema, name):
            flags.append(name)
    flags.append(f"flexible={bool(schema.flexible)}")
    flags.append(f"coerce={bool(schema.coerce)}")
    if schema.is_type:
        flags = ["schema type"]
    node.add(" · ".join(flags))
    members = list(schema.members) if schema.n_members else []
    if members:
        optional = set(schema.optionals.get_uids())
        width = max(len(f.name) for f in members)
        section = node.add(f"Features ({len(members)})")
        for feature in members:
            extra = "  optional" if feature.uid in optional else ""
            section.add(f"{feature.name.ljust(width)}  {feature.dtype}{extra}")
    elif schema.n_members:
        node.add(f"{schema.n_members} identifiers")
    for name, component in schema.slots.items():
        node.children.append(_describe_node(component, name))
    return node


class SchemaComponent(BaseSQLRecord):
    """A slot of a composite schema: which schema constrains ``obs``, ``var.T``, …."""

    __table_args__ = (UniqueConstraint("composite_id", "slot"),)

    composite: Any = fields.ForeignKey(
        "Schema", fields.CASCADE, related_name="links_component", doc="The composite schema."
    )
    component: Any = fields.ForeignKey(
        "Schema", fields.PROTECT, related_name="links_composite", doc="The slot's schema."
    )
    slot: str | None = fields.CharField(max_length=100, null=True, doc="The slot.")


class ArtifactSchema(BaseSQLRecord):
    """The schema of one slot of an artifact (``artifact.features.slots``)."""

    __table_args__ = (UniqueConstraint("artifact_id", "slot"),)

    artifact: Any = fields.ForeignKey(
        "Artifact", fields.CASCADE, related_name="links_schema", doc="The artifact."
    )
    schema: Any = fields.ForeignKey(
        "Schema", fields.PROTECT, related_name="links_artifact", doc="The slot's schema."
    )
    slot: str | None = fields.CharField(max_length=100, null=True, doc="The slot.")


@functools.cache
def _member_link() -> Any:
    return Schema._meta.fields["features"]


def _declare_hash_index() -> None:
    table = Schema.__table__  # type: ignore[attr-defined]
    where = and_(table.c.hash.isnot(None), table.c.branch_id != -1)
    Index(
        "uq_lamindb_schema_hash",
        table.c.hash,
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


declare_later(_declare_hash_index)

__all__ = ["ArtifactSchema", "Schema", "SchemaComponent", "SchemaOptionals", "schema_hash"]
