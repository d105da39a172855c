"""Features: the dimensions that annotate artifacts, runs and records; and their values.

A :class:`Feature` has a name and a ``dtype`` (see :mod:`~lamin_pipes.models._dtypes`).
Values of simple dtypes are stored once per feature in :class:`FeatureValue` (JSON,
de-duplicated by the hash of the value) and linked to the annotated records;
categorical values are records of their registry (``ULabel``, ``Record``,
``Project``), linked with the feature on the link row (see
:mod:`~lamin_pipes.models._annotation_links`).

A feature compared with a value is a predicate for ``filter()``, as in lamindb::

    n_cells = ln.Feature.get(name="n_cells")
    ln.Artifact.filter(n_cells > 1000)
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import UniqueConstraint

from ..core._uid import base62_12
from ..errors import FieldValidationError, ValidationError
from ..orm import fields
from ..orm._records import record_instance
from ..orm.sqlrecord import BaseSQLRecord, SQLRecord
from ._dtypes import parse_dtype, serialize_dtype
from ._existing import existing_by_name
from .can_curate import CanCurate
from .has_type import HasType
from .run import TracksRun, TracksUpdates

logger = logging.getLogger("lamin_pipes")

_UNSET: Any = object()


@dataclass(frozen=True)
class FeaturePredicate:
    """A condition on a feature's values: ``feature > 3``, ``feature == "T cell"``.

    Pass it to ``filter()`` of ``Artifact``, ``Run`` or ``Record``.

    Attributes:
        feature: The feature.
        comparator: The lookup (``""`` for equality, ``"__gt"``, ``"__isnull"``, …).
        value: The value compared with.
    """

    feature: Feature
    comparator: str
    value: Any

    def __bool__(self) -> bool:
        msg = "Feature predicates cannot be used as booleans. Pass them into `.filter(...)`."
        raise TypeError(msg)


class Feature(SQLRecord, HasType, CanCurate, TracksRun, TracksUpdates):
    """Dimensions of datasets and annotations: a name with a data type.

    Args:
        name: The name, typically a column name or an annotation key.
        dtype: ``"int"``, ``"float"``, ``"num"``, ``"str"``, ``"bool"``, ``"date"``,
            ``"datetime"``, ``"dict"``, ``"path"``, ``"url"``, a categorical such as
            ``"cat[ULabel]"`` or ``"cat[Record[<type>]]"``, a list such as
            ``"list[int]"``; or a Python type, a registry (``ln.ULabel``), a type record,
            or ``list[...]`` of these. Required unless ``is_type=True``.
        type: A feature type (a feature with ``is_type=True``) grouping this one.
        is_type: Whether this feature is a type of features.
        unit: A unit of measure (``"m"``, ``"s"``, ``"normalized"``).
        description: A description.
        synonyms: Bar-separated synonyms.
        nullable: Whether values may be missing (``None`` for types).
        default_value: A value that replaces missing values when standardizing.
        coerce: Whether values are coerced to the dtype during validation.

    Raises:
        ValidationError: For a missing or invalid ``dtype`` (listing the valid ones),
            or a ``dtype`` that differs from the saved feature of that name.

    Examples:
        >>> import lamin_pipes as ln
        >>> ln.Feature(name="n_cells", dtype=int).save().dtype_as_str
        'int'
        >>> ln.Feature(name="cell_type", dtype=ln.ULabel).save().dtype_as_str
        'cat[ULabel]'
        >>> ln.Feature(name="n_cells", dtype=int) == ln.Feature.get(name="n_cells")
        True
        >>> ln.Feature(name="n_cells", dtype=float)
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.ValidationError: Feature 'n_cells' already exists with dtype 'int', you passed 'float'.
    """

    _name_field = "name"

    uid: str = fields.CharField(
        max_length=12,
        unique=True,
        editable=False,
        default=base62_12,
        doc="A universal random id, valid across instances.",
    )
    name: str = fields.CharField(max_length=150, db_index=True, doc="Name of the feature.")
    _dtype_str: str | None = fields.CharField(
        null=True, db_index=True, doc="The data type as a string (see dtype_as_str)."
    )
    type: Any = fields.ForeignKey(
        "self",
        fields.PROTECT,
        null=True,
        related_name="features",
        doc="The type of the feature (a Feature with is_type=True) ← features.",
    )
    is_type: bool = fields.BooleanField(
        default=False, db_index=True, doc="Whether the feature is a type of features."
    )
    unit: str | None = fields.CharField(
        max_length=30, null=True, db_index=True, doc="Unit of measure, ideally SI."
    )
    description: str | None = fields.TextField(null=True, doc="A description.")
    synonyms: str | None = fields.TextField(null=True, doc="Synonyms, separated by '|'.")
    default_value: Any = fields.JSONField(
        null=True, doc="A value that replaces missing values when standardizing."
    )
    nullable: bool | None = fields.BooleanField(
        null=True, default=None, doc="Whether values may be missing; None for types."
    )
    coerce: bool | None = fields.BooleanField(
        null=True, default=None, doc="Whether values are coerced to the dtype when validated."
    )

    # Comparisons build predicates (below); records still hash as records.
    __hash__ = SQLRecord.__hash__

    def __init__(
        self,
        name: str | None = None,
        dtype: Any = None,
        *,
        type: Feature | None = _UNSET,
        is_type: bool = False,
        unit: str | None = None,
        description: str | None = None,
        synonyms: str | None = None,
        nullable: bool | None = None,
        default_value: Any = None,
        coerce: bool | None = None,
        **kwargs: Any,
    ) -> None:
        if "_dtype_str" in kwargs:  # a stored feature's columns (from_values, copies)
            dtype_str = kwargs.pop("_dtype_str")
        elif dtype is None:
            if not is_type:
                msg = f"Please pass dtype to Feature(name={name!r}, ...). Valid dtypes: {_forms()}."
                raise ValidationError(msg)
            dtype_str = None
        else:
            dtype_str = serialize_dtype(dtype)
        if nullable is None and not is_type:
            nullable = True
        values: dict[str, Any] = {
            "name": name,
            "_dtype_str": dtype_str,
            "is_type": is_type,
            "unit": unit,
            "description": description,
            "synonyms": synonyms,
            "nullable": nullable,
            "default_value": default_value,
            "coerce": coerce,
        }
        if type is not _UNSET:
            values["type"] = type
        super().__init__(**values, **kwargs)

    @classmethod
    def _existing_on_init(cls, kwargs: dict[str, Any]) -> Feature | None:
        existing = existing_by_name(cls, kwargs)
        if existing is None:
            return None
        passed = kwargs.get("_dtype_str")
        if existing._dtype_str != passed and not (passed is None and kwargs.get("is_type")):
            msg = (
                f"Feature {existing.name!r} already exists with dtype "
                f"{existing._dtype_str!r}, you passed {passed!r}."
            )
            raise ValidationError(msg)
        return existing  # type: ignore[no-any-return]

    def _check_init(self, kwargs: dict[str, Any]) -> None:
        name = kwargs.get("name")
        if not isinstance(name, str) or not name:
            msg = f"Feature() needs a name (a non-empty string), got {name!r}."
            raise FieldValidationError(msg)

    # --- the data type --------------------------------------------------------------

    @property
    def dtype_as_str(self) -> str | None:
        """The dtype as stored: ``"int"``, ``"cat[ULabel]"``, ``"cat[Record[<uid>]]"``.

        ``None`` for a feature type (``is_type=True``).
        """
        return self._dtype_str

    @property
    def dtype(self) -> str | None:
        """The dtype with type names instead of uids (``cat[ULabel[Perturbation]]``).

        Examples:
            >>> import lamin_pipes as ln
            >>> perturbation = ln.ULabel(name="Perturbation", is_type=True).save()
            >>> ln.Feature(name="perturbation", dtype=perturbation).save().dtype
            'cat[ULabel[Perturbation]]'
        """
        text = self._dtype_str
        if text is None or "[" not in text.replace("cat[", "").replace("list[", ""):
            return text
        parsed = parse_dtype(text)
        for target in parsed.targets:
            if target.type_uid is None:
                continue
            record = target.model.filter(uid=target.type_uid).one_or_none()
            if record is None:
                continue
            nested = f"[{record.name}]"
            for parent in record.query_types():
                nested = f"[{parent.name}{nested}]"
            text = text.replace(f"[{target.type_uid}]", nested)
        return text

    @property
    def dtype_as_object(self) -> Any:
        """The dtype as an object: a Python type, a registry, or a type record.

        Examples:
            >>> import lamin_pipes as ln
            >>> ln.Feature(name="temperature", dtype=float).dtype_as_object
            <class 'float'>
        """
        text = self._dtype_str
        if text is None:
            return None
        parsed = parse_dtype(text)
        if not parsed.is_cat:
            import datetime as dt

            simple = {
                "int": int,
                "float": float,
                "num": float,
                "str": str,
                "url": str,
                "path": str,
                "bool": bool,
                "dict": dict,
                "date": dt.date,
                "datetime": dt.datetime,
            }[parsed.base]
            return list[simple] if parsed.is_list else simple  # type: ignore[valid-type]
        objects = []
        for target in parsed.targets:
            obj: Any = target.model
            if target.type_uid is not None:
                obj = target.model.get(target.type_uid)
            objects.append(list[obj] if parsed.is_list else obj)  # type: ignore[valid-type]
        return objects[0] if len(objects) == 1 else objects

    # --- predicates -----------------------------------------------------------------

    def __eq__(self, other: object) -> Any:
        if isinstance(other, Feature) or other is None:
            return super().__eq__(other)
        if isinstance(other, BaseSQLRecord) and not self._takes_record(other):
            return False
        return FeaturePredicate(self, "", other)

    def __ne__(self, other: object) -> Any:
        if isinstance(other, Feature) or other is None:
            return not super().__eq__(other)
        if isinstance(other, BaseSQLRecord) and not self._takes_record(other):
            return True
        return FeaturePredicate(self, "__ne", other)

    def __gt__(self, value: Any) -> FeaturePredicate:
        return FeaturePredicate(self, "__gt", value)

    def __ge__(self, value: Any) -> FeaturePredicate:
        return FeaturePredicate(self, "__gte", value)

    def __lt__(self, value: Any) -> FeaturePredicate:
        return FeaturePredicate(self, "__lt", value)

    def __le__(self, value: Any) -> FeaturePredicate:
        return FeaturePredicate(self, "__lte", value)

    def is_null(self, value: bool = True) -> FeaturePredicate:
        """A predicate: the feature has no value (``True``) or has one (``False``).

        Examples:
            >>> import lamin_pipes as ln
            >>> feature = ln.Feature(name="stage", dtype=str).save()
            >>> ln.Artifact.filter(feature.is_null(False)).count()
            0
        """
        if not isinstance(value, bool):
            msg = "Feature.is_null() expects a bool value."
            raise TypeError(msg)
        return FeaturePredicate(self, "__isnull", value)

    def _takes_record(self, record: BaseSQLRecord) -> bool:
        text = self._dtype_str
        if text is None:
            return False
        return type(record).__name__ in parse_dtype(text).registries

    def with_config(self, optional: bool | None = None) -> tuple[Feature, dict[str, bool]]:
        """This feature with its configuration in a schema (``optional``), as lamindb.

        Examples:
            >>> import lamin_pipes as ln
            >>> ln.Feature(name="note", dtype=str).with_config(optional=True)[1]
            {'optional': True}
        """
        config: dict[str, bool] = {}
        if optional is not None:
            config["optional"] = optional
        return self, config


def _forms() -> str:
    from ._dtypes import VALID_FORMS

    return VALID_FORMS


def value_hash(value: Any) -> str:
    """The hash that de-duplicates a feature's values: 22 url-safe base64 characters.

    The hash is over canonical JSON, so ``1``, ``1.0`` and ``"1"`` differ and dict key
    order does not matter.

    Examples:
        >>> value_hash({"a": 1, "b": 2}) == value_hash({"b": 2, "a": 1})
        True
        >>> value_hash(1) != value_hash("1")
        True
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.md5(text.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:22]


class FeatureValue(SQLRecord, TracksRun):
    """Values of non-categorical features (numbers, strings, dates, dicts, lists).

    Each value is stored once per feature (de-duplicated by ``hash``) and linked to
    the artifacts, runs and records it annotates. Categorical values are records of
    their registries (``ULabel``, ``Record``, ``Project``), not feature values.
    The table is lamindb 2.x's ``lamindb_jsonvalue``.

    Examples:
        >>> import lamin_pipes as ln
        >>> feature = ln.Feature(name="temperature", dtype=float).save()
        >>> value, existed = ln.models.FeatureValue.get_or_create(feature, 37.5)
        >>> value.value, existed
        (37.5, False)
        >>> ln.models.FeatureValue.get_or_create(feature, 37.5)[0] == value
        True
    """

    __tablename__ = "lamindb_jsonvalue"
    __table_args__ = (UniqueConstraint("feature_id", "hash"),)
    _name_field = "value"

    feature: Any = fields.ForeignKey(
        "Feature", fields.PROTECT, related_name="values", doc="The feature ← values."
    )
    value: Any = fields.JSONField(doc="The JSON-like value.")
    hash: str = fields.CharField(max_length=22, doc="Value hash (unique per feature).")

    @classmethod
    def get_or_create(cls, feature: Feature, value: Any) -> tuple[FeatureValue, bool]:
        """The value of ``feature``, created if absent; and whether it existed.

        Args:
            feature: A saved feature.
            value: A JSON value (checked against the feature's dtype).
        """
        from ._feature_values import check_value, json_value_ids

        stored = check_value(feature, value)
        inst = record_instance(feature)
        ids, created = json_value_ids(inst, [(feature.id, stored)])
        found = cls.get(ids[0])
        return found, not created[0]


__all__ = ["Feature", "FeaturePredicate", "FeatureValue", "value_hash"]
