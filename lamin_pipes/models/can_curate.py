"""Curation against a registry: ``validate``, ``inspect``, ``standardize``, ``from_values``.

:class:`CanCurate` gives a registry the class methods that check values against one of
its string fields and map synonyms and casing variants to the registry's spelling, plus
the instance methods that maintain a record's synonyms (``add_synonym``,
``remove_synonym``, ``set_abbr``). The module-level functions ``_validate``,
``_inspect`` and ``_standardize`` do the work for a query set, so that
``ULabel.filter(...).validate(...)`` checks against only those records.

Every call costs a fixed, small number of queries whatever the number of values: one
matches the field (the values travel as one array or JSON parameter), one more looks at
synonyms, and ``from_values`` loads the matched records with a third.

The work is done in private modules, one concept each:

- ``_curate_values``: resolving the ``field`` argument and normalizing ``values``;
- ``_curate_match``: the SQL matching of values and synonyms, and ``map_values``;
- ``_from_values``: loading and building records for ``from_values``;
- ``_curate_synonyms``: the synonyms of one record;
- ``_curate_log``: the log messages.

Messages go to the ``logging`` logger ``"lamin_pipes"``; ``mute=True`` silences them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..orm._extensions import implements
from ..orm.query_set import QuerySet
from . import _curate_synonyms
from ._curate_log import log_inspect_hints, log_standardized, log_stats, warn_if_empty
from ._curate_match import map_values, match_field, restrict, return_field_converter
from ._curate_values import (
    Keep,
    as_list,
    check_keep,
    column_field,
    field_name_of,
    is_empty,
    str_field,
    unique_strings,
)
from ._existing import existing_by_name
from ._from_values import records_from_values

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..orm.query_set import BasicQuerySet
    from ..orm.sqlrecord_list import SQLRecordList


# --- results -------------------------------------------------------------------------


class InspectResult:
    """Result of :meth:`CanCurate.inspect`: which values are validated.

    Args:
        validated_df: A DataFrame indexed by the input values with a boolean
            ``__validated__`` column.
        validated: Distinct validated values, in input order.
        nonvalidated: Distinct non-validated values, in input order.
        frac_validated: Percentage (0 to 100) of distinct values that are validated.
        n_empty: Number of empty or duplicated input values.
        n_unique: Number of distinct non-empty values.

    Examples:
        >>> import lamin_pipes as ln
        >>> _ = ln.ULabel.from_values(["A", "B"], create=True).save()
        >>> result = ln.ULabel.inspect(["A", "B", "a", "C"], mute=True)
        >>> result.validated, result.non_validated, result.frac_validated
        (['A', 'B'], ['a', 'C'], 50.0)
        >>> result.synonyms_mapper
        {'a': 'A'}
    """

    def __init__(
        self,
        validated_df: pd.DataFrame,
        validated: list[str],
        nonvalidated: list[str],
        frac_validated: float,
        n_empty: int,
        n_unique: int,
    ) -> None:
        self._df = validated_df
        self._validated = validated
        self._non_validated = nonvalidated
        self._frac_validated = frac_validated
        self._n_empty = n_empty
        self._n_unique = n_unique
        self._synonyms_mapper: dict[str, Any] = {}

    @property
    def df(self) -> pd.DataFrame:
        """A DataFrame indexed by the values with a boolean ``__validated__`` column."""
        return self._df

    @property
    def validated(self) -> list[str]:
        """Distinct values found in the registry."""
        return self._validated

    @property
    def non_validated(self) -> list[str]:
        """Distinct values not found in the registry (use them to drop or fix values)."""
        return self._non_validated

    @property
    def frac_validated(self) -> float:
        """Percentage of distinct values that were validated."""
        return self._frac_validated

    @property
    def n_empty(self) -> int:
        """Number of empty or duplicated values."""
        return self._n_empty

    @property
    def n_unique(self) -> int:
        """Number of distinct non-empty values."""
        return self._n_unique

    @property
    def synonyms_mapper(self) -> dict[str, Any]:
        """Non-validated values that map to a record via casing or a synonym.

        Pass them to ``standardize`` (or rename with this mapper) to validate them.
        """
        return self._synonyms_mapper

    def __getitem__(self, key: str) -> list[str]:
        if key in ("validated", "mapped"):
            return self.validated
        if key in ("non_validated", "not_mapped"):
            return self.non_validated
        msg = f"Invalid key {key!r}. Valid keys: 'validated', 'non_validated'"
        raise KeyError(msg)

    def __repr__(self) -> str:
        return (
            f"InspectResult(validated={len(self._validated)}, "
            f"non_validated={len(self._non_validated)}, "
            f"frac_validated={self._frac_validated:.2f})"
        )


class ValidateFields:
    """Marker base for registries whose field values are validated on construction."""


def _stats(items: list[Any], matches: list[bool]) -> InspectResult:
    import pandas as pd

    df = pd.DataFrame({"__validated__": matches}, index=pd.Index(items, dtype="object"))
    validated: dict[str, None] = {}
    non_validated: dict[str, None] = {}
    for value, ok in zip(items, matches, strict=True):
        if is_empty(value):
            continue
        (validated if ok else non_validated)[value] = None
    n_unique = len(validated) + len(non_validated)
    if n_unique == 0:
        return InspectResult(df, [], [], 0.0, len(items), 0)
    frac = 100 - round(len(non_validated) / n_unique * 100, 1)
    return InspectResult(
        df, list(validated), list(non_validated), frac, len(items) - n_unique, n_unique
    )


# --- the query-set level functions ---------------------------------------------------


@implements("validate")
def _validate(
    qs: BasicQuerySet[Any],
    values: Any,
    field: Any = None,
    *,
    mute: bool = False,
    organism: Any = None,
    source: Any = None,
    strict_source: bool = False,
    **kwargs: Any,
) -> Any:
    """Which values exist verbatim in a string field of the query set's records.

    Returns a boolean array aligned with ``values`` (a single ``numpy.bool_`` for a
    single string). Matching is case-sensitive; empty values are ``False``.
    """
    import numpy as np

    model = qs.model
    if field is not None and _is_int_field(model, field):
        return _validate_ints(qs, values, field_name_of(field), mute=mute)
    name = str_field(model, field)
    scalar = isinstance(values, str)
    items = as_list(values)
    unique = unique_strings(items, model, name)
    qs = restrict(qs, organism, source, strict_source)
    attname = model._meta.fields[name].attname
    rows = match_field(qs, attname, unique, case_sensitive=True)
    present = {r[1] for r in rows}
    matches = np.array([not is_empty(v) and v in present for v in items], dtype=bool)
    if not mute and not (items and not present and warn_if_empty(qs)):
        log_stats(_stats(items, matches.tolist()), name, len(items))
    if scalar:
        return matches[0]
    return matches


def _is_int_field(model: Any, field: Any) -> bool:
    info = model._meta.fields.get(field_name_of(field))
    return info is not None and info.spec is not None and info.spec.kind in ("int", "bigint")


def _validate_ints(qs: Any, values: Any, name: str, *, mute: bool) -> Any:
    """``validate()`` on an integer field (``ln.User.validate([1, 2], field=ln.User.id)``)."""
    import numpy as np

    scalar = not isinstance(values, list | tuple | set) and not hasattr(values, "__array__")
    items = [values] if scalar else list(values)
    numbers = [v for v in items if type(v) is int]
    present = set(qs.filter(**{f"{name}__in": numbers}).values_list(name, flat=True))
    matches = np.array([type(v) is int and v in present for v in items], dtype=bool)
    if not mute:
        log_stats(_stats(items, matches.tolist()), name, len(items))
    return matches[0] if scalar else matches


@implements("inspect")
def _inspect(
    qs: BasicQuerySet[Any],
    values: Any,
    field: Any = None,
    *,
    mute: bool = False,
    organism: Any = None,
    source: Any = None,
    from_source: bool = True,
    strict_source: bool = False,
    **kwargs: Any,
) -> InspectResult:
    """Inspect which values are validated; suggest casing and synonym fixes.

    Values are validated by exact match. For the name field, non-validated values
    that match in another casing or via a synonym land in ``synonyms_mapper``.
    """
    model = qs.model
    name = str_field(model, field)
    items = as_list(values)
    unique = unique_strings(items, model, name)
    qs = restrict(qs, organism, source, strict_source)
    on_name = name == model._meta.name_field
    mapping = map_values(
        qs, name, unique, case_sensitive=not on_name, synonyms_field="synonyms" if on_name else None
    )
    matches = [not is_empty(v) and v in mapping.exact for v in items]
    result = _stats(items, matches)
    mapper = {v: mapping.targets[v] for v in result.non_validated if v in mapping.targets}
    result._synonyms_mapper = mapper
    if mute:
        return result
    log_stats(result, name, len(items))
    log_inspect_hints(model, result.non_validated, mapper, casing=mapping.casing)
    return result


@implements("standardize")
def _standardize(
    qs: BasicQuerySet[Any],
    values: Any,
    field: Any = None,
    *,
    return_field: Any = None,
    return_mapper: bool = False,
    case_sensitive: bool = False,
    mute: bool = False,
    source_aware: bool = True,
    from_source: bool = True,
    keep: Keep = "first",
    synonyms_field: str | None = "synonyms",
    organism: Any = None,
    source: Any = None,
    strict_source: bool = False,
    **kwargs: Any,
) -> Any:
    """Map values to the registry's spelling (casing and synonyms); see ``CanCurate``."""
    check_keep(keep)
    model = qs.model
    name = str_field(model, field)
    ret_attname = None if return_field is None else column_field(model, return_field)
    if ret_attname == model._meta.fields[name].attname:
        ret_attname = None
    scalar = isinstance(values, str)
    items = as_list(values)
    unique = unique_strings(items, model, name)
    qs = restrict(qs, organism, source, strict_source)
    extra = (ret_attname,) if ret_attname else ()
    mapping = map_values(
        qs,
        name,
        unique,
        case_sensitive=case_sensitive,
        keep=keep,
        synonyms_field=synonyms_field,
        extra=extra,
    )
    targets = mapping.targets
    if not mute:
        n_changed = sum(1 for v in items if not is_empty(v) and targets.get(v, v) != v)
        log_standardized(n_changed, len(items), keep=keep, return_mapper=return_mapper)
    convert = return_field_converter(mapping, keep) if ret_attname else None
    if return_mapper:
        if convert is None:
            return {v: t for v, t in targets.items() if t != v}
        return {v: convert(t) for v, t in targets.items()}
    result: list[Any] = []
    for value in items:
        if is_empty(value) or value not in targets:
            result.append(value)
        else:
            target = targets[value]
            result.append(convert(target) if convert is not None else target)
    if scalar and len(result) == 1:
        return result[0]
    return result


# --- the mixin -----------------------------------------------------------------------


class _ClassOnly(classmethod):  # type: ignore[type-arg]
    """A class method that refuses to be called on a record, as lamindb's curation API.

    ``ln.ULabel.validate(...)`` works; ``label.validate(...)`` raises ``TypeError``.
    """

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return super().__get__(instance, owner)
        cls = type(instance)
        name = self.__func__.__name__

        def refuse(*args: Any, **kwargs: Any) -> Any:
            msg = (
                f"{cls.__name__}.{name}() is a class method and must be called on the "
                f"{cls.__name__} class, not on a {cls.__name__} record"
            )
            raise TypeError(msg)

        return refuse


if TYPE_CHECKING:  # type checkers see a plain classmethod
    class_only = classmethod
else:
    class_only = _ClassOnly


class CanCurate:
    """Mixin: validate, inspect and standardize values against a registry's records.

    Examples:
        >>> import lamin_pipes as ln
        >>> labels = ln.ULabel.from_values(["Label1", "Label2"], create=True).save()
        >>> ln.ULabel.validate(["Label1", "label2", "Label3"], mute=True)
        array([ True, False, False])
        >>> ln.ULabel.standardize(["label2"], mute=True)
        ['Label2']
    """

    #: Constructing a record by an existing name returns that record (``_existing``).
    _existing_on_init = classmethod(existing_by_name)

    @class_only
    def inspect(
        cls,
        values: Any,
        field: Any = None,
        *,
        mute: bool = False,
        organism: Any = None,
        source: Any = None,
        from_source: bool = True,
        strict_source: bool = False,
    ) -> InspectResult:
        """Inspect which values exist in a string field.

        Being validated means that an exact (case-sensitive) match exists. For the
        name field, non-validated values that match in another casing or via a synonym
        are collected in ``result.synonyms_mapper``.

        Args:
            values: A string or a list-like of strings (list, array, Series, Index).
            field: The string field, as a name or attribute (``ULabel.name``);
                defaults to the registry's name field.
            mute: Whether to silence logging.
            organism: Restrict to this organism, for registries with an ``organism``.
            source: A source record (used with ``strict_source``).
            from_source: Kept for lamindb compatibility (there are no public sources).
            strict_source: Restrict to records of ``source``, for registries with one.

        Returns:
            An :class:`InspectResult`.

        Raises:
            FieldError: If ``field`` is not a string field.

        Examples:
            >>> import lamin_pipes as ln
            >>> _ = ln.ULabel.from_values(["A1CF", "A1BG", "BRCA2"], create=True).save()
            >>> result = ln.ULabel.inspect(["A1CF", "A1BG", "FANCD1", "FANCD20"], mute=True)
            >>> result.validated
            ['A1CF', 'A1BG']
            >>> result.non_validated
            ['FANCD1', 'FANCD20']
        """
        return _inspect(
            QuerySet(cls),
            values,
            field,
            mute=mute,
            organism=organism,
            source=source,
            from_source=from_source,
            strict_source=strict_source,
        )

    @class_only
    def validate(
        cls,
        values: Any,
        field: Any = None,
        *,
        mute: bool = False,
        organism: Any = None,
        source: Any = None,
        strict_source: bool = False,
    ) -> np.ndarray:
        """Validate values against the existing values of a string field.

        Only exact (case-sensitive) matches validate.

        Args:
            values: A string or a list-like of strings.
            field: The string field; defaults to the registry's name field.
            mute: Whether to silence logging.
            organism: Restrict to this organism, for registries with an ``organism``.
            source: A source record (used with ``strict_source``).
            strict_source: Restrict to records of ``source``, for registries with one.

        Returns:
            A boolean array, one entry per value (a single ``numpy.bool_`` when
            ``values`` is one string).

        Raises:
            FieldError: If ``field`` is not a string field.

        Examples:
            >>> import lamin_pipes as ln
            >>> _ = ln.ULabel.from_values(["A1CF", "A1BG", "BRCA2"], create=True).save()
            >>> ln.ULabel.validate(["A1CF", "A1BG", "FANCD1", "FANCD20"], mute=True)
            array([ True,  True, False, False])
        """
        return _validate(
            QuerySet(cls),
            values,
            field,
            mute=mute,  # type: ignore[no-any-return]
            organism=organism,
            source=source,
            strict_source=strict_source,
        )

    @class_only
    def from_values(
        cls,
        values: Any,
        field: Any = None,
        create: bool = False,
        organism: Any = None,
        source: Any = None,
        mute: bool = False,
    ) -> SQLRecordList[Any]:
        """Records for values of a field: existing ones, and new ones with ``create``.

        Values match records by exact value, then by another casing, then (on the name
        field) by synonym. Duplicated and empty values are dropped; the order of the
        values is kept.

        Args:
            values: A string or a list-like of strings, e.g. ``["name1", "name2"]``.
            field: The string field to match; defaults to the registry's name field.
            create: Whether to build unsaved records for values that match nothing;
                ``.save()`` on the result inserts them in bulk.
            organism: Restrict to this organism, for registries with an ``organism``.
            source: Kept for lamindb compatibility.
            mute: Whether to silence logging.

        Returns:
            A :class:`~lamin_pipes.models.SQLRecordList`.

        Examples:
            >>> import lamin_pipes as ln
            >>> len(ln.ULabel.from_values(["benchmark", "prediction", "test"], mute=True))
            0
            >>> labels = ln.ULabel.from_values(["benchmark", "prediction", "test"], create=True)
            >>> len(labels.save())
            3
            >>> [label.name for label in ln.ULabel.from_values(["Test", "benchmark"])]
            ['test', 'benchmark']
        """
        return records_from_values(
            cls, values, field, create=create, organism=organism, source=source, mute=mute
        )

    @class_only
    def standardize(
        cls,
        values: Iterable[Any],
        field: Any = None,
        *,
        return_field: Any = None,
        return_mapper: bool = False,
        case_sensitive: bool = False,
        mute: bool = False,
        source_aware: bool = True,
        keep: Keep = "first",
        synonyms_field: str = "synonyms",
        organism: Any = None,
        source: Any = None,
        strict_source: bool = False,
    ) -> Any:
        """Map values to the registry's spelling: other casings and synonyms.

        A value found verbatim stays; otherwise a value matching in another casing
        (unless ``case_sensitive``) maps to the stored spelling, and a value matching a
        synonym (on the name field) maps to the record's name. Others stay as they are.

        Args:
            values: A string or a list-like of strings.
            field: The field holding the standardized names; defaults to the name field.
            return_field: Return this field's values (e.g. ``"uid"``) instead.
            return_mapper: Return ``{value: standardized}`` for the values that change
                (with ``return_field``: for every value that maps to a record).
            case_sensitive: Whether casing must match.
            mute: Whether to silence logging.
            source_aware: Kept for lamindb compatibility.
            keep: When a synonym belongs to several records: ``"first"``, ``"last"``,
                or ``False`` for a list of all their names (so the result can hold
                nested lists). With ``return_field``, also picks among records that share
                a name.
            synonyms_field: The field with ``"|"``-separated synonyms.
            organism: Restrict to this organism, for registries with an ``organism``.
            source: A source record (used with ``strict_source``).
            strict_source: Restrict to records of ``source``, for registries with one.

        Returns:
            A list of standardized values (one value for one string), or a dictionary
            with ``return_mapper=True``.

        Raises:
            FieldError: If ``field`` is not a string field.
            InvalidArgument: If ``keep`` is not ``"first"``, ``"last"`` or ``False``.

        Examples:
            >>> import lamin_pipes as ln
            >>> _ = ln.ULabel.from_values(["A1CF", "A1BG", "BRCA2"], create=True).save()
            >>> ln.ULabel.get(name="BRCA2").add_synonym("FANCD1")
            >>> ln.ULabel.standardize(["A1CF", "a1bg", "FANCD1", "FANCD20"], mute=True)
            ['A1CF', 'A1BG', 'BRCA2', 'FANCD20']
            >>> ln.ULabel.standardize(["a1bg", "FANCD1", "A1CF"], return_mapper=True, mute=True)
            {'a1bg': 'A1BG', 'FANCD1': 'BRCA2'}
        """
        return _standardize(
            QuerySet(cls),
            values,
            field,
            return_field=return_field,
            return_mapper=return_mapper,
            case_sensitive=case_sensitive,
            mute=mute,
            source_aware=source_aware,
            keep=keep,
            synonyms_field=synonyms_field,
            organism=organism,
            source=source,
            strict_source=strict_source,
        )

    def add_synonym(self, synonym: Any, force: bool = False, save: bool | None = None) -> None:
        """Add synonyms to the record.

        Args:
            synonym: A string or a list-like of strings; empty values are ignored.
            force: Add even synonyms that other records of the registry already have.
            save: Whether to save the record; by default it is saved if it was saved
                before.

        Raises:
            ValidationError: If a synonym contains ``"|"`` or, unless ``force``, is
                already a synonym of another record (the message names it).
            FieldError: If the registry has no ``synonyms`` field.

        Examples:
            >>> import lamin_pipes as ln
            >>> record = ln.Record(name="T cell", synonyms="T-cell|T lymphocyte").save()
            >>> record.add_synonym("T cells")
            >>> record.synonyms
            'T-cell|T lymphocyte|T cells'
        """
        _curate_synonyms.add_synonyms(self, synonym, force=force, save=save)

    def remove_synonym(self, synonym: Any) -> None:
        """Remove synonyms from the record (saved if the record was saved before).

        Examples:
            >>> import lamin_pipes as ln
            >>> record = ln.Record(name="B cell", synonyms="B-cell|B lymphocyte").save()
            >>> record.remove_synonym("B-cell")
            >>> record.synonyms
            'B lymphocyte'
        """
        _curate_synonyms.remove_synonyms(self, synonym)

    def set_abbr(self, value: str) -> None:
        """Set the abbreviation and add it to the synonyms (unless it is the name).

        Examples:
            >>> import lamin_pipes as ln
            >>> record = ln.Record(name="single-cell RNA sequencing").save()
            >>> record.set_abbr("scRNA")
            >>> record.abbr, record.synonyms
            ('scRNA', 'scRNA')
        """
        _curate_synonyms.set_abbr(self, value)


__all__ = ["CanCurate", "InspectResult", "ValidateFields"]
