"""``lookup()``: an auto-complete object over the values of a string field.

``ULabel.lookup()`` reads only the ids and the field's values (one query); a record is
loaded when its attribute is first accessed, so building a lookup over many thousands of
records stays cheap. Attribute names are the values normalized to Python identifiers:
lower case, runs of other characters replaced by ``_``, an ``ln_`` prefix where the key
would not start with a letter, and a ``_`` suffix for Python keywords.
"""

from __future__ import annotations

import difflib
import keyword
import logging
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import DoesNotExist
from ..orm._extensions import implements
from ..orm.query_set import QuerySet
from ._curate_match import IN_CHUNK, fetch, select_from
from ._curate_values import check_keep, column_field, str_field

if TYPE_CHECKING:
    from ..orm.query_set import BasicQuerySet
    from ._curate_values import Keep

logger = logging.getLogger("lamin_pipes")

#: Prefix for keys that would not start with a letter (lamindb uses ``ln`` as well).
PREFIX = "ln"
#: Attribute names of :class:`Lookup` itself; keys equal to them get a ``_`` suffix.
_RESERVED = ("dict",)
_SUFFIXED = frozenset([*keyword.kwlist, *_RESERVED])
# Keys are built one per line: runs of other characters become "_".
_OTHER_BUT_NEWLINE = re.compile(r"[^0-9a-zA-Z_\n]+")


def to_key(value: str) -> str:
    """The attribute name for a value (``""`` if the value gives none).

    Examples:
        >>> to_key("T cell"), to_key("CD4+ T-cell"), to_key("100% juice"), to_key("class")
        ('t_cell', 'cd4_t_cell', 'ln_100_juice', 'class_')
    """
    return to_keys([value])[0]


def to_keys(values: list[str]) -> list[str]:
    """``[to_key(v) for v in values]``, with a few regex passes over all of them at once."""
    if not values:
        return []
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:  # a value holds a newline
        return [to_keys([v.replace("\n", " ")])[0] for v in values]
    text = "\n" + _OTHER_BUT_NEWLINE.sub("_", joined).lower()
    for first in "0123456789_":  # a key must start with a letter
        text = text.replace(f"\n{first}", f"\n{PREFIX}_{first}")
    keys = text[1:].split("\n")
    return [f"{key}_" if key in _SUFFIXED else key for key in keys]


class Lookup:
    """Auto-complete access to records by the values of a field.

    ``lookup.t_cell`` returns the record whose value normalizes to ``t_cell`` (or its
    ``return_field`` value); ``lookup.dict()`` maps the original values. It behaves
    like lamindb's ``NamedTuple``: ``_fields``, ``_asdict()``, iteration, ``len()`` and
    indexing by position. ``key in lookup`` tests the keys.
    """

    def __init__(
        self,
        qs: BasicQuerySet[Any],
        field: str,
        return_field: str | None,
        keep: Keep,
        ids: list[int],
        values: list[str],
        returns: list[Any] | None,
    ) -> None:
        self._qs = qs
        self._field = field
        self._return_field = return_field
        self._keep = keep
        self._ids = ids
        self._values = values
        self._returns = returns
        self._records: dict[int, Any] = {}
        self._warned: set[str] = set()
        keys = to_keys(values)
        # the first position of each key (reversed, so that the first one is kept)
        first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
        first.pop("", None)
        self._first = first
        self._more: dict[str, list[int]] = {}  # every position of a repeated key
        if len(first) < len(keys):
            repeated = {k for k, n in Counter(keys).items() if n > 1 and k}
            for position, key in enumerate(keys):
                if key in repeated:
                    self._more.setdefault(key, []).append(position)
        self._order: tuple[str, ...] | None = None

    # --- the NamedTuple-like surface ------------------------------------------------

    @property
    def _fields(self) -> tuple[str, ...]:
        if self._order is None:
            self._order = tuple(sorted(self._first, key=self._first.__getitem__))
        return self._order

    def _asdict(self) -> dict[str, Any]:
        self._load(self._ids)
        return {key: self._resolve(key) for key in self._fields}

    def dict(self) -> dict[str, Any]:
        """The original values mapped to their records (or ``return_field`` values).

        A value shared by several records maps to the list of them.
        """
        self._load(self._ids)
        grouped: dict[str, list[Any]] = {}
        for position, value in enumerate(self._values):
            grouped.setdefault(value, []).append(self._value_at(position))
        return {value: items[0] if len(items) == 1 else items for value, items in grouped.items()}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._first:
            close = difflib.get_close_matches(name, self._fields, n=3)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            msg = f"Lookup of {self._qs.model.__name__}.{self._field} has no key '{name}'.{hint}"
            raise AttributeError(msg)
        return self._resolve(name)

    def __getitem__(self, index: int | str) -> Any:
        if isinstance(index, str):
            return getattr(self, index)
        return self._resolve(self._fields[index])

    def __iter__(self) -> Iterator[Any]:
        self._load(self._ids)
        return (self._resolve(key) for key in self._fields)

    def __len__(self) -> int:
        return len(self._first)

    def __contains__(self, key: object) -> bool:
        return key in self._first

    def __dir__(self) -> list[str]:
        return [*self._fields, "dict"]

    def __repr__(self) -> str:
        keys = self._fields
        shown = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
        return f"Lookup({self._qs.model.__name__}.{self._field}: {shown})"

    # --- resolution -----------------------------------------------------------------

    def _resolve(self, key: str) -> Any:
        positions = self._more.get(key) or [self._first[key]]
        if len(positions) > 1 and self._keep is not False and key not in self._warned:
            self._warned.add(key)
            logger.warning(
                "%d records found for '%s'. Returning based on keep=%r.",
                len(positions),
                key,
                self._keep,
            )
        if self._keep == "first":
            positions = positions[:1]
        elif self._keep == "last":
            positions = positions[-1:]
        self._load([self._ids[p] for p in positions])
        items = [self._value_at(p) for p in positions]
        return items[0] if len(items) == 1 else items

    def _value_at(self, position: int) -> Any:
        if self._returns is not None:
            return self._returns[position]
        return self._records[self._ids[position]]

    def _load(self, ids: list[int]) -> None:
        """Load the records with these ids that are not loaded yet (one query per 900)."""
        if self._returns is not None:
            return
        missing = list(dict.fromkeys(i for i in ids if i not in self._records))
        if not missing:
            return

        model = self._qs.model
        table = model.__table__
        base = QuerySet(model, instance=self._qs.instance, include_trash=True)
        for start in range(0, len(missing), IN_CHUNK):
            chunk = missing[start : start + IN_CHUNK]
            for record in base._where_clause(table.c.id.in_(chunk)):
                self._records[record.id] = record
        gone = [i for i in missing if i not in self._records]
        if gone:
            msg = (
                f"{model.__name__} record(s) with id {gone[:10]} no longer exist; "
                "build the lookup again."
            )
            raise DoesNotExist(msg)


@implements("lookup")
def lookup(
    qs: BasicQuerySet[Any], field: Any = None, return_field: Any = None, keep: Keep = "first"
) -> Lookup:
    """Return an auto-complete object for the values of a string field.

    Args:
        qs: The records to look up.
        field: The string field whose values become the keys; defaults to the
            registry's name field.
        return_field: Return this field's values instead of the records.
        keep: For several records with the same key: ``"first"`` or ``"last"`` (in
            ``id`` order, or the query set's order), or ``False`` for a list of all.

    Returns:
        A :class:`Lookup`.

    Raises:
        FieldError: If ``field`` is not a string field.
        InvalidArgument: If ``keep`` is not ``"first"``, ``"last"`` or ``False``.

    Examples:
        >>> import lamin_pipes as ln
        >>> _ = ln.ULabel.from_values(["ADGB-DT", "T cell"], create=True).save()
        >>> labels = ln.ULabel.lookup()
        >>> labels.adgb_dt.name
        'ADGB-DT'
        >>> labels.dict()["T cell"] == labels.t_cell
        True
        >>> ln.ULabel.lookup(return_field="name").t_cell
        'T cell'
    """
    check_keep(keep)
    model = qs.model
    name = str_field(model, field)
    attname = model._meta.fields[name].attname
    ret_attname = None if return_field is None else column_field(model, return_field)
    table = model.__table__
    columns = [table.c.id, table.c[attname]]
    if ret_attname is not None:
        columns.append(table.c[ret_attname])
    column = table.c[attname]
    stmt = select_from(qs, *columns).where(column.is_not(None), column != "")
    stmt = stmt.order_by(*qs._order, table.c.id)
    rows = fetch(qs, stmt)
    ids = [row[0] for row in rows]
    values = [row[1] for row in rows]
    returns = [row[2] for row in rows] if ret_attname is not None else None
    return Lookup(qs, name, ret_attname, keep, ids, values, returns)


__all__ = ["Lookup", "lookup", "to_key", "to_keys"]
