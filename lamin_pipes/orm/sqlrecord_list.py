"""``SQLRecordList``: an ordered list of records that can be shown and saved together.

It is what methods return when the order of records matters or records are not saved
yet (``query_types()``, ``from_values()``): a plain list (``append``, ``insert``,
``pop``, slicing, …) with ``to_dataframe()``, ``to_list(field)``, ``one()`` and a bulk
``save()``.
"""

from __future__ import annotations

from collections import UserList
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import DoesNotExist, MultipleResultsFound
from .save import save

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


def _attnames(records: list[Any]) -> list[str]:
    """Column names of the records' registries, in table order, without repeats."""
    names: list[str] = []
    seen_models: set[type] = set()
    for record in records:
        model = type(record)
        if model in seen_models:
            continue
        seen_models.add(model)
        for name in model._meta.attnames():
            if name not in names:
                names.append(name)
    return names


class SQLRecordList(UserList[T]):
    """Is ordered, can't be queried, but has ``.to_dataframe()`` and a bulk ``.save()``.

    Args:
        records: The records; a ``list`` is wrapped without copying.

    Examples:
        >>> import lamin_pipes as ln
        >>> labels = ln.models.SQLRecordList([ln.ULabel(name="a-list"), ln.ULabel(name="b-list")])
        >>> labels.save().to_list("name")
        ['a-list', 'b-list']
        >>> all(label.id is not None for label in labels)
        True
    """

    def __init__(self, records: Iterable[T] = ()) -> None:
        if isinstance(records, list):
            self.data = records  # wrap, don't copy
        else:
            super().__init__(records)

    def to_dataframe(self) -> pd.DataFrame:
        """The records' column values as a DataFrame, one row per record, in order.

        Columns are the registry's table columns (``id``, ``uid``, …, foreign-key ids
        such as ``created_by_id``); unsaved records have ``id`` ``None``. An empty list
        gives an empty DataFrame.

        Examples:
            >>> import lamin_pipes as ln
            >>> records = ln.models.SQLRecordList([ln.Record(name="r1"), ln.Record(name="r2")])
            >>> records.to_dataframe()["name"].tolist()
            ['r1', 'r2']
        """
        import pandas as pd

        if not self.data:
            return pd.DataFrame()
        names = _attnames(self.data)
        rows = [[record.__dict__.get(name) for name in names] for record in self.data]
        return pd.DataFrame(rows, columns=names)

    def df(self) -> pd.DataFrame:
        """Alias of :meth:`to_dataframe` kept from older lamindb releases."""
        return self.to_dataframe()

    def to_list(self, field: Any = None) -> Any:
        """The records as a plain list, or the values of ``field`` for each record.

        Args:
            field: A field name (``"name"``, ``"created_by"``) or a class attribute
                (``ln.ULabel.name``); ``None`` returns the records themselves.

        Examples:
            >>> import lamin_pipes as ln
            >>> records = ln.models.SQLRecordList([ln.ULabel(name="x"), ln.ULabel(name="y")])
            >>> records.to_list(ln.ULabel.name)
            ['x', 'y']
        """
        if field is None:
            return list(self.data)
        name = field if isinstance(field, str) else getattr(field, "key", field)
        return [getattr(record, name) for record in self.data]

    def one(self) -> T:
        """Exactly one record.

        Raises:
            DoesNotExist: If the list is empty.
            MultipleResultsFound: If the list holds more than one record.

        Examples:
            >>> import lamin_pipes as ln
            >>> ln.models.SQLRecordList([ln.ULabel(name="only")]).one().name
            'only'
        """
        if not self.data:
            msg = "The list is empty; expected exactly one record."
            raise DoesNotExist(msg)
        if len(self.data) > 1:
            msg = f"The list holds {len(self.data)} records; expected exactly one."
            raise MultipleResultsFound(msg)
        return self.data[0]

    def save(self) -> SQLRecordList[T]:
        """Save all records in one transaction and return the list.

        New records are inserted with a few bulk ``INSERT`` statements and get their
        ids; records that are already saved are updated. If one write fails (e.g. a
        unique constraint), none of them is saved.

        Raises:
            lamin_pipes.errors.IntegrityError: If the database refuses a record.
        """
        save(self.data)
        return self
