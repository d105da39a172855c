"""``SQLRecordList``: an ordered list of records that can be saved and shown together."""

from __future__ import annotations

from collections import UserList
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..errors import DoesNotExist, MultipleResultsFound

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


class SQLRecordList(UserList[T], Generic[T]):
    """Is ordered, can't be queried, but has ``.to_dataframe()`` and a bulk ``.save()``.

    Examples:
        >>> import lamin_pipes as ln
        >>> labels = ln.ULabel.from_values(["a-list", "b-list"], create=True)
        >>> labels.save().to_list("name")
        ['a-list', 'b-list']
    """

    def __init__(self, records: Iterable[T] = ()) -> None:
        if isinstance(records, list):
            self.data = records
        else:
            super().__init__(records)

    def to_dataframe(self) -> pd.DataFrame:
        """The records' column values as a DataFrame (one row per record)."""
        import pandas as pd

        if not self.data:
            return pd.DataFrame()
        names = type(self.data[0])._meta.attnames()  # type: ignore[attr-defined]
        rows = [[record.__dict__.get(n) for n in names] for record in self.data]
        return pd.DataFrame(rows, columns=names)

    def df(self) -> pd.DataFrame:
        return self.to_dataframe()

    def to_list(self, field: str) -> list[Any]:
        """The values of ``field`` for each record."""
        return [getattr(record, field) for record in self.data]

    def list(self, field: str) -> list[Any]:
        return self.to_list(field)

    def one(self) -> T:
        """Exactly one record; raises if there are none or several."""
        if not self.data:
            raise DoesNotExist("The list is empty.")
        if len(self.data) > 1:
            raise MultipleResultsFound(f"The list has {len(self.data)} records, expected one.")
        return self.data[0]

    def save(self) -> SQLRecordList[T]:
        """Save all records: new ones with bulk inserts, in one transaction."""
        from .save import save

        save(self.data)
        return self
