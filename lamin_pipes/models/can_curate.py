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

Messages go to the ``logging`` logger ``"lamin_pipes"``; ``mute=True`` silences them.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..errors import FieldError, InvalidArgument, ValidationError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from .query_set import BasicQuerySet
    from .sqlrecord_list import SQLRecordList

logger = logging.getLogger("lamin_pipes")

Keep = Literal["first", "last", False]
KEEP_OPTIONS: tuple[Any, ...] = ("first", "last", False)

#: Values per ``IN (...)`` list where a list of values has to be spelled out.
IN_CHUNK = 900
#: Up to this many synonyms are looked up with ``LIKE`` filters; more scan the column.
SYNONYM_FILTER_MAX = 100
SYNONYM_SEP = "|"


# --- arguments -----------------------------------------------------------------------


def check_keep(keep: Any) -> None:
    """Raise :class:`InvalidArgument` unless ``keep`` is ``"first"``, ``"last"`` or ``False``."""
    if not any(
        keep is option or (isinstance(keep, str) and keep == option) for option in KEEP_OPTIONS
    ):
        msg = f"Invalid keep={keep!r}. Valid options: 'first', 'last', False"
        raise InvalidArgument(msg)


def field_name_of(field: Any) -> str:
    """The name of a field given as a string, a class attribute or a ``FieldInfo``."""
    if isinstance(field, str):
        return field
    for attribute in ("key", "name"):  # InstrumentedAttribute.key, FieldInfo.name
        value = getattr(field, attribute, None)
        if isinstance(value, str):
            return value
    info = getattr(field, "info", None)  # relation descriptors
    if info is not None and isinstance(getattr(info, "name", None), str):
        return info.name  # type: ignore[no-any-return]
    msg = f"Pass a field as a string or a registry attribute such as ULabel.name, got {field!r}"
    raise InvalidArgument(msg)


def str_field(model: Any, field: Any = None) -> str:
    """Resolve ``field`` (default: the registry's name field) to a string field name.

    Raises:
        FieldError: If the field does not exist or does not hold strings; the message
            lists the registry's string fields.

    Examples:
        >>> import lamin_pipes as ln
        >>> str_field(ln.ULabel), str_field(ln.User), str_field(ln.ULabel, ln.ULabel.abbr)
        ('name', 'handle', 'abbr')
    """
    meta = model._meta
    name = meta.name_field if field is None else field_name_of(field)
    info = meta.fields.get(name)
    if info is None or not info.is_str:
        what = "Unknown field" if info is None else "Not a string field:"
        msg = f"{what} '{name}' of {model.__name__}. String fields: {', '.join(meta.str_fields)}"
        raise FieldError(msg)
    return name


def column_field(model: Any, field: Any) -> str:
    """Resolve ``field`` to the attribute name of a column or foreign key (``type_id``)."""
    from ._options import COLUMN, FOREIGN_KEY

    name = field_name_of(field)
    info = model._meta.get_field(name)
    if info.kind not in (COLUMN, FOREIGN_KEY):
        columns = ", ".join(f.name for f in model._meta.concrete_fields)
        msg = f"'{name}' of {model.__name__} is a relation, not a column. Columns: {columns}"
        raise FieldError(msg)
    return info.attname  # type: ignore[no-any-return]


def is_empty(value: Any) -> bool:
    """Whether a value counts as missing: ``None``, ``""``, NaN, ``pd.NA`` or ``NaT``."""
    if value is None or (isinstance(value, str) and value == ""):
        return True
    if isinstance(value, float):
        return value != value
    return type(value).__name__ in ("NAType", "NaTType")


def as_list(values: Any) -> list[Any]:
    """Values as a list: a string, list, tuple, set, array, Series, Index or Categorical.

    A list of lists is concatenated, as lamindb does.
    """
    if values is None:
        msg = "values must be a string or a list-like of strings, got None"
        raise InvalidArgument(msg)
    if isinstance(values, str):
        return [values]
    if isinstance(values, dict):
        msg = "values must be a string or a list-like of strings, got a dict"
        raise InvalidArgument(msg)
    tolist = getattr(values, "tolist", None)
    items = list(tolist()) if callable(tolist) else list(values)
    if items and isinstance(items[0], list):
        items = [v for sub in items if isinstance(sub, list) for v in sub]
    return items


def unique_strings(items: list[Any], model: Any, field: str) -> list[str]:
    """Distinct non-empty values in input order, as plain ``str``.

    Raises:
        InvalidArgument: If a non-empty value is not a string.
    """
    seen: dict[str, None] = {}
    for value in items:
        if is_empty(value):
            continue
        if not isinstance(value, str):
            msg = (
                f"{model.__name__}.{field} holds strings; got {value!r} "
                f"({type(value).__name__}). Convert the values to strings first."
            )
            raise InvalidArgument(msg)
        seen[str(value)] = None
    return list(seen)


def format_values(values: Iterable[Any], n: int = 20) -> str:
    """``'a', 'b', ...``: at most ``n`` distinct values for a log message."""
    unique = list(dict.fromkeys(str(v) for v in values))
    text = ", ".join(f"'{v}'" for v in unique[:n])
    return text + (", ..." if len(unique) > n else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# --- SQL -----------------------------------------------------------------------------


def restrict(qs: Any, organism: Any = None, source: Any = None, strict_source: bool = False) -> Any:
    """Narrow a query set by ``organism`` / ``source`` where the registry has such fields.

    lamin_pipes' built-in registries have neither; the arguments exist for lamindb
    compatibility and for user-defined registries that add them.
    """
    fields = qs.model._meta.fields
    if organism is not None and "organism" in fields:
        qs = (
            qs.filter(organism__name=organism)
            if isinstance(organism, str)
            else qs.filter(organism=organism)
        )
    if source is not None and strict_source and "source" in fields:
        qs = qs.filter(source=source)
    return qs


def select_from(qs: Any, *columns: Any) -> Any:
    """``SELECT columns`` over the records of a query set (its filters and slice)."""
    from sqlalchemy import select

    table = qs.model.__table__
    stmt = select(*columns)
    if qs._limit is not None or qs._offset:
        ids = qs.id_subquery().subquery()
        return stmt.where(table.c.id.in_(select(ids.c.id)))
    return stmt.where(*qs._where())


def read_session(inst: Any) -> Any:
    """A session for reading: the instance's read-only session where it has one."""
    opener = getattr(inst, "read_session", None) or inst.session
    return opener()


def fetch(qs: Any, stmt: Any) -> list[Any]:
    """Run a statement in the query set's instance; returns the rows."""
    if qs._none:
        return []
    with read_session(qs.instance) as session:
        return session.execute(stmt).all()  # type: ignore[no-any-return]


def _ci_needs_scan(values: list[str]) -> bool:
    # SQL lower() may fold only ASCII letters (SQLite; PostgreSQL under the C locale):
    # match values in other scripts in Python.
    return not all(v.isascii() for v in values)


def in_values(expression: Any, values: list[Any], dialect: str) -> Any:
    """``expression IN values`` as one bound parameter, whatever the number of values.

    PostgreSQL: ``= ANY(:array)``; SQLite: ``IN (SELECT value FROM json_each(:json))``.
    Both use an index on the expression where there is one.
    """
    from sqlalchemy import Text, any_, bindparam, func, select

    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY
        from sqlalchemy.types import NullType

        element = Text() if isinstance(expression.type, NullType) else expression.type
        array = bindparam(None, list(values), type_=ARRAY(element), unique=True)
        return expression == any_(array)
    if dialect == "sqlite":
        import json

        items = func.json_each(bindparam(None, json.dumps(values), unique=True))
        return expression.in_(select(items.table_valued("value").c.value))
    return expression.in_(values)


def match_field(
    qs: Any, attname: str, values: list[str], *, case_sensitive: bool, extra: tuple[str, ...] = ()
) -> list[tuple[Any, ...]]:
    """Rows ``(id, value, *extra)`` whose field equals one of ``values``, by id.

    One query: the values travel as one array (PostgreSQL) or JSON list (SQLite).
    Case-insensitive matching compares ``str.lower()``; values outside ASCII are
    compared in Python after one read of the field.
    """
    from sqlalchemy import func, or_

    if not values:
        return []
    table = qs.model.__table__
    column = table.c[attname]
    columns = (table.c.id, column, *(table.c[e] for e in extra))
    dialect = qs.instance.dialect
    if dialect not in ("sqlite", "postgresql") and len(values) > IN_CHUNK:
        rows: list[Any] = []  # another backend: bounded IN lists
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            rows += match_field(qs, attname, chunk, case_sensitive=case_sensitive, extra=extra)
        return sorted(set(rows), key=lambda r: r[0])
    if case_sensitive:
        rows = fetch(qs, select_from(qs, *columns).where(in_values(column, values, dialect)))
    else:
        lowered = sorted({v.lower() for v in values})
        if _ci_needs_scan(values):
            condition = column.is_not(None)
        else:
            condition = or_(
                in_values(column, values, dialect),
                in_values(func.lower(column), lowered, dialect),
            )
        rows = fetch(qs, select_from(qs, *columns).where(condition))
        wanted = set(values)
        wanted_lower = set(lowered)
        rows = [r for r in rows if r[1] in wanted or (r[1] or "").lower() in wanted_lower]
    rows.sort(key=lambda r: r[0])
    return [tuple(r) for r in rows]


def match_synonyms(
    qs: Any,
    attname: str,
    synonyms_attname: str,
    terms: list[str],
    *,
    case_sensitive: bool,
    extra: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Rows ``(id, value, *extra, synonyms)`` of records that may hold one of ``terms``.

    Few terms are pre-filtered with ``LIKE``; callers split and compare exactly.
    """
    from sqlalchemy import func, or_

    table = qs.model.__table__
    synonyms = table.c[synonyms_attname]
    columns = (table.c.id, table.c[attname], *(table.c[e] for e in extra), synonyms)
    stmt = select_from(qs, *columns).where(synonyms.is_not(None), synonyms != "")
    if terms and len(terms) <= SYNONYM_FILTER_MAX and (case_sensitive or not _ci_needs_scan(terms)):
        target = synonyms if case_sensitive else func.lower(synonyms)
        stmt = stmt.where(or_(*(target.contains(t, autoescape=True) for t in terms)))
    rows = fetch(qs, stmt.order_by(table.c.id))
    return [tuple(r) for r in rows]


def split_synonyms(text: str | None) -> list[str]:
    """``"a|b"`` → ``["a", "b"]`` (empty parts dropped)."""
    if not text:
        return []
    return [s for s in text.split(SYNONYM_SEP) if s]


# --- mapping values to the registry's spelling ---------------------------------------


@dataclass
class Mapping:
    """How distinct input values map onto a field (the core of ``standardize``).

    Attributes:
        targets: Input value → field value (exact, other casing or via a synonym), or a
            list of field values when a synonym is ambiguous and ``keep=False``.
        exact: Inputs found verbatim in the field.
        via_synonym: Inputs mapped through a synonym.
        rows: Rows ``(id, value, *extra)`` that matched, by id; synonym owners included.
        casing: Whether some input matched only in another casing.
    """

    targets: dict[str, Any] = field(default_factory=dict)
    exact: set[str] = field(default_factory=set)
    via_synonym: set[str] = field(default_factory=set)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    casing: bool = False


def synonyms_attname(model: Any, field: str, synonyms_field: str | None) -> str | None:
    """The synonyms column to use when mapping values of ``field``, if any.

    Synonyms map onto the registry's name field only (as in lamindb).
    """
    if synonyms_field is None or field != model._meta.name_field:
        return None
    info = model._meta.fields.get(synonyms_field)
    if info is None:
        if synonyms_field != "synonyms":
            msg = (
                f"Unknown synonyms_field '{synonyms_field}' of {model.__name__}. "
                f"String fields: {', '.join(model._meta.str_fields)}"
            )
            raise FieldError(msg)
        return None
    if not info.is_str or synonyms_field == field:
        msg = f"synonyms_field must be a string field other than '{field}', got '{synonyms_field}'"
        raise FieldError(msg)
    return info.attname  # type: ignore[no-any-return]


def map_values(
    qs: Any,
    field: str,
    values: list[str],
    *,
    case_sensitive: bool = False,
    keep: Keep = "first",
    synonyms_field: str | None = "synonyms",
    extra: tuple[str, ...] = (),
) -> Mapping:
    """Map distinct values onto ``field``: exact match, then casing, then synonyms.

    One query matches the field; one more looks at synonyms for what is left.
    """
    model = qs.model
    attname = model._meta.fields[field].attname
    rows = match_field(qs, attname, values, case_sensitive=case_sensitive, extra=extra)
    result = Mapping(rows=rows)
    present = {r[1] for r in rows}
    by_lower: dict[str, str] = {}
    if not case_sensitive:
        for r in rows:
            by_lower.setdefault(r[1].lower(), r[1])
    left: list[str] = []
    for value in values:
        if value in present:
            result.targets[value] = value
            result.exact.add(value)
        elif value.lower() in by_lower:
            result.targets[value] = by_lower[value.lower()]
            result.casing = True
        else:
            left.append(value)
    syn_attname = synonyms_attname(model, field, synonyms_field)
    if not left or syn_attname is None:
        return result

    def key(text: str) -> str:
        return text if case_sensitive else text.lower()

    terms = sorted({key(v) for v in left})
    owners: dict[str, list[str]] = {}
    seen_ids = {r[0] for r in rows}
    wanted = set(terms)
    for row in match_synonyms(
        qs, attname, syn_attname, terms, case_sensitive=case_sensitive, extra=extra
    ):
        name, synonyms = row[1], row[-1]
        hit = False
        for synonym in split_synonyms(synonyms):
            if synonym == name or key(synonym) not in wanted:
                continue
            names = owners.setdefault(key(synonym), [])
            if name not in names:
                names.append(name)
            hit = True
        if hit and row[0] not in seen_ids:
            seen_ids.add(row[0])
            result.rows.append(row[:-1])
    result.rows.sort(key=lambda r: r[0])
    for value in left:
        found = owners.get(key(value))
        if not found:
            continue
        if keep == "first":
            result.targets[value] = found[0]
        elif keep == "last":
            result.targets[value] = found[-1]
        else:
            result.targets[value] = found if len(found) > 1 else found[0]
        result.via_synonym.add(value)
    return result


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


def _log_stats(result: InspectResult, field: str, n_items: int) -> None:
    if n_items == 0:
        logger.warning("input has zero length")
        return
    if result.n_empty > 0:
        empty = (
            "1 empty/duplicated term is"
            if result.n_empty == 1
            else (f"{result.n_empty} empty/duplicated terms are")
        )
        logger.warning("received %s, %s ignored", _plural(result.n_unique, "unique term"), empty)
    n_val = len(result.validated)
    if n_val:
        logger.info(
            "%s (%.2f%%) %s validated for %s",
            _plural(n_val, "unique term"),
            result.frac_validated,
            "is" if n_val == 1 else "are",
            field,
        )
    n_non = len(result.non_validated)
    if n_non:
        logger.warning(
            "%s (%.2f%%) %s not validated for %s: %s",
            _plural(n_non, "unique term"),
            100 - result.frac_validated,
            "is" if n_non == 1 else "are",
            field,
            format_values(result.non_validated, 10),
        )


def _warn_if_empty(qs: Any) -> bool:
    """Warn (and return ``True``) if the query set has no records at all."""
    if qs.exists():
        return False
    logger.warning("Your %s registry is empty, consider populating it first!", qs.model.__name__)
    return True


# --- the query-set level functions ---------------------------------------------------


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
    name = str_field(model, field)
    scalar = isinstance(values, str)
    items = as_list(values)
    unique = unique_strings(items, model, name)
    qs = restrict(qs, organism, source, strict_source)
    attname = model._meta.fields[name].attname
    rows = match_field(qs, attname, unique, case_sensitive=True)
    present = {r[1] for r in rows}
    matches = np.array([not is_empty(v) and v in present for v in items], dtype=bool)
    if not mute and not (items and not present and _warn_if_empty(qs)):
        _log_stats(_stats(items, matches.tolist()), name, len(items))
    if scalar:
        return matches[0]
    return matches


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
    _log_stats(result, name, len(items))
    if mapper:
        casing = "inconsistent casing/" if mapping.casing else ""
        logger.info(
            "   detected %s with %ssynonym%s: %s",
            _plural(len(mapper), "unique term"),
            casing,
            "" if len(mapper) == 1 else "s",
            format_values(mapper, 10),
        )
        logger.info("→  standardize terms via .standardize()")
    unmapped = [v for v in result.non_validated if v not in mapper]
    if unmapped:
        logger.info(
            "   couldn't validate %s: %s", _plural(len(unmapped), "term"), format_values(unmapped)
        )
        logger.info(
            "→  if you are sure, create new record%s via %s() and save to your registry",
            "" if len(unmapped) == 1 else "s",
            model.__name__,
        )
    return result


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
    n_changed = sum(1 for v in items if not is_empty(v) and targets.get(v, v) != v)
    if n_changed and not mute:
        logger.info(
            "standardized %d/%d term%s", n_changed, len(items), "" if n_changed == 1 else "s"
        )
    if keep is False and not mute:
        what = (
            "mapper might contain lists as values"
            if return_mapper
            else ("list might contain lists")
        )
        logger.warning("returning %s when 'keep=False'", what)
    convert = _converter(mapping, keep) if ret_attname else None
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


def _converter(mapping: Mapping, keep: Keep) -> Any:
    """A function mapping field values (or lists of them) to ``return_field`` values."""
    grouped: dict[str, list[Any]] = {}
    for row in mapping.rows:
        grouped.setdefault(row[1], []).append(row[2])

    def one(value: str) -> Any:
        found = grouped.get(value)
        if not found:
            return value
        if keep == "first":
            return found[0]
        if keep == "last":
            return found[-1]
        return found if len(found) > 1 else found[0]

    def convert(target: Any) -> Any:
        if not isinstance(target, list):
            return one(target)
        out: list[Any] = []
        for item in target:
            converted = one(item)
            out.extend(converted if isinstance(converted, list) else [converted])
        return out

    return convert


# --- building records ----------------------------------------------------------------


def _bulk_base62(count: int, n_char: int) -> list[str]:
    """``count`` random base62 strings, drawn like ``core._uid.base62`` but in bulk."""
    import secrets

    from ..core._uid import BASE62_CHARS

    table = bytes(ord(BASE62_CHARS[b % 62]) for b in range(248)) + bytes(8)
    reject = bytes(range(248, 256))
    need = count * n_char
    parts: list[bytes] = []
    have = 0
    while have < need:
        chunk = secrets.token_bytes(need - have + need // 30 + 16)
        accepted = chunk.translate(table, reject)  # bytes >= 248 are dropped: no bias
        parts.append(accepted)
        have += len(accepted)
    text = b"".join(parts)[:need].decode("ascii")
    return [text[i : i + n_char] for i in range(0, need, n_char)]


def _uid_lengths() -> dict[Any, int]:
    from ..core import _uid

    return {_uid.base62_8: 8, _uid.base62_12: 12, _uid.base62_16: 16, _uid.base62_20: 20}


def new_records(model: Any, field: str, values: list[str]) -> list[Any]:
    """Unsaved records of ``model`` with ``field`` set to each value.

    Equivalent to ``[model(**{field: v}) for v in values]``; for registries that keep
    the standard constructor it fills each record's state directly (defaults included),
    which is about twenty times faster.
    """
    from ._options import COLUMN, FOREIGN_KEY
    from .sqlrecord import BaseSQLRecord

    manager = model._sa_class_manager
    if manager.original_init is not BaseSQLRecord.__init__:
        return [model(**{field: value}) for value in values]
    constant: dict[str, Any] = {}
    generated: list[tuple[str, Any]] = []
    uid_lengths = _uid_lengths()
    bulk: list[tuple[str, list[str]]] = []
    attname = model._meta.fields[field].attname
    for info in model._meta.fields.values():
        if info.kind == COLUMN and info.name != "id":
            key = info.name
        elif info.kind == FOREIGN_KEY:
            key = info.attname
        else:
            continue
        if key == attname:
            continue
        default = info.default
        if callable(default):
            if default in uid_lengths:
                bulk.append((key, _bulk_base62(len(values), uid_lengths[default])))
            else:
                generated.append((key, default))
        else:
            constant[key] = default
    records = []
    new_instance = manager.new_instance
    collecting = gc.isenabled()
    gc.disable()  # allocating many tracked objects would trigger full collections
    try:
        for i, value in enumerate(values):
            record = new_instance()
            state = record.__dict__
            state.update(constant)
            for key, factory in generated:
                state[key] = factory()
            for key, uids in bulk:
                state[key] = uids[i]
            state[attname] = value
            records.append(record)
    finally:
        if collecting:
            gc.enable()
    return records


def _from_values(
    model: Any,
    values: Any,
    field: Any = None,
    create: bool = False,
    organism: Any = None,
    source: Any = None,
    mute: bool = False,
) -> SQLRecordList[Any]:
    from .query_set import QuerySet
    from .sqlrecord_list import SQLRecordList

    name = str_field(model, field)
    items = as_list(values)
    unique = unique_strings(items, model, name)
    qs = restrict(QuerySet(model), organism)
    attname = model._meta.fields[name].attname
    mapping = map_values(qs, name, unique)
    targets = mapping.targets
    wanted: set[str] = set()
    for target in targets.values():
        wanted.update(target if isinstance(target, list) else [target])
    by_value: dict[str, list[Any]] = {}
    ids = [r[0] for r in mapping.rows if r[1] in wanted]
    if ids:
        table = model.__table__
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            for record in qs._where_clause(table.c.id.in_(chunk)).order_by("id"):
                by_value.setdefault(getattr(record, attname), []).append(record)
    missing = [v for v in unique if v not in targets]
    created = iter(new_records(model, name, missing) if create else [])
    records: list[Any] = []
    seen: set[int] = set()
    for value in unique:
        if value not in targets:
            if create:
                records.append(next(created))
            continue
        target = targets[value]
        for target_value in target if isinstance(target, list) else [target]:
            for record in by_value.get(target_value, []):
                if record.id not in seen:
                    seen.add(record.id)
                    records.append(record)
    if not mute:
        _log_from_values(model, name, mapping, missing, create)
    return SQLRecordList(records)


def _log_from_values(
    model: Any, field: str, mapping: Mapping, missing: list[str], create: bool
) -> None:
    registry = model.__name__
    loaded = [v for v in mapping.targets if v not in mapping.via_synonym]
    if loaded:
        logger.info(
            "loaded %s matching %s: %s",
            _plural(len(loaded), f"{registry} record"),
            field,
            format_values(loaded),
        )
    if mapping.via_synonym:
        logger.info(
            "loaded %s matching synonyms: %s",
            _plural(len(mapping.via_synonym), f"{registry} record"),
            format_values(v for v in mapping.targets if v in mapping.via_synonym),
        )
    if missing and create:
        logger.info(
            "created %s (unsaved) for %s: %s",
            _plural(len(missing), f"{registry} record"),
            field,
            format_values(missing),
        )
    elif missing:
        logger.info(
            "did not create %s for %s: %s",
            _plural(len(missing), f"{registry} record"),
            _plural(len(missing), f"non-validated {field}"),
            format_values(missing),
        )


# --- synonyms of one record ----------------------------------------------------------


def _synonym_list(synonym: Any) -> list[str]:
    items = [synonym] if isinstance(synonym, str) else as_list(synonym)
    out: dict[str, None] = {}
    for item in items:
        if is_empty(item):
            continue
        if not isinstance(item, str):
            msg = f"Synonyms are strings; got {item!r} ({type(item).__name__})"
            raise InvalidArgument(msg)
        out[str(item)] = None
    bad = [s for s in out if SYNONYM_SEP in s]
    if bad:
        msg = (
            f"A synonym can't contain '{SYNONYM_SEP}' (it separates synonyms): {format_values(bad)}"
        )
        raise ValidationError(msg)
    return list(out)


def _require_field(record: Any, name: str, method: str) -> None:
    if name not in type(record)._meta.fields:
        msg = f"{type(record).__name__} has no '{name}' field, so it has no {method}()."
        raise FieldError(msg)


def _check_synonym_owners(record: Any, synonyms: list[str]) -> None:
    """Raise if another record of the registry already has one of ``synonyms``."""
    from .query_set import QuerySet
    from .sqlrecord import record_instance

    model = type(record)
    qs: Any = QuerySet(model, instance=record_instance(record))
    if record.id is not None:
        qs = qs.exclude(id=record.id)
    name_attname = model._meta.fields[model._meta.name_field].attname
    rows = match_synonyms(
        qs,
        name_attname,
        "synonyms",
        synonyms,
        case_sensitive=True,
        extra=("uid",) if "uid" in model._meta.fields else (),
    )
    wanted = set(synonyms)
    clashes = []
    for row in rows:
        shared = [s for s in split_synonyms(row[-1]) if s in wanted]
        if shared:
            ident = f" (uid '{row[2]}')" if len(row) > 3 else f" (id {row[0]})"
            clashes.append(f"{format_values(shared)} of {model.__name__} '{row[1]}'{ident}")
    if clashes:
        msg = (
            f"Cannot add synonyms to {model.__name__} '{getattr(record, model._meta.name_field)}': "
            f"already synonyms of other records: {'; '.join(clashes)}. Remove them there "
            "first, or pass force=True."
        )
        raise ValidationError(msg)


# --- the mixin -----------------------------------------------------------------------


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

    @classmethod
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
        from .query_set import QuerySet

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

    @classmethod
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
        from .query_set import QuerySet

        return _validate(
            QuerySet(cls),
            values,
            field,
            mute=mute,  # type: ignore[no-any-return]
            organism=organism,
            source=source,
            strict_source=strict_source,
        )

    @classmethod
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
        return _from_values(
            cls, values, field, create=create, organism=organism, source=source, mute=mute
        )

    @classmethod
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
        from .query_set import QuerySet

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
        _require_field(self, "synonyms", "add_synonym")
        new = _synonym_list(synonym)
        if not new:
            return
        if not force:
            _check_synonym_owners(self, new)
        current = split_synonyms(getattr(self, "synonyms", None))
        merged = current + [s for s in new if s not in current]
        setattr(self, "synonyms", SYNONYM_SEP.join(merged) if merged else None)  # noqa: B010
        if save is None:
            save = getattr(self, "id", None) is not None
        if save:
            self.save()  # type: ignore[attr-defined]

    def remove_synonym(self, synonym: Any) -> None:
        """Remove synonyms from the record (saved if the record was saved before).

        Examples:
            >>> import lamin_pipes as ln
            >>> record = ln.Record(name="B cell", synonyms="B-cell|B lymphocyte").save()
            >>> record.remove_synonym("B-cell")
            >>> record.synonyms
            'B lymphocyte'
        """
        _require_field(self, "synonyms", "remove_synonym")
        drop = set(_synonym_list(synonym))
        if not drop:
            return
        kept = [s for s in split_synonyms(getattr(self, "synonyms", None)) if s not in drop]
        setattr(self, "synonyms", SYNONYM_SEP.join(kept) if kept else None)  # noqa: B010
        if getattr(self, "id", None) is not None:
            self.save()  # type: ignore[attr-defined]

    def set_abbr(self, value: str) -> None:
        """Set the abbreviation and add it to the synonyms (unless it is the name).

        Examples:
            >>> import lamin_pipes as ln
            >>> record = ln.Record(name="single-cell RNA sequencing").save()
            >>> record.set_abbr("scRNA")
            >>> record.abbr, record.synonyms
            ('scRNA', 'scRNA')
        """
        _require_field(self, "abbr", "set_abbr")
        setattr(self, "abbr", value)  # noqa: B010
        name = getattr(self, type(self)._meta.name_field, None)  # type: ignore[attr-defined]
        if "synonyms" in type(self)._meta.fields and value != name:  # type: ignore[attr-defined]
            self.add_synonym(value, save=False)
        if getattr(self, "id", None) is not None:
            self.save()  # type: ignore[attr-defined]


__all__ = ["CanCurate", "InspectResult", "ValidateFields"]
