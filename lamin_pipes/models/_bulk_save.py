"""``ln.save(records)``: lamindb's bulk save of many records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import InvalidArgument
from ..orm._records import record_instance
from ..orm.save import bulk_insert
from ..orm.save import save as save_records
from ..orm.sqlrecord import BaseSQLRecord
from .artifact import Artifact


def save(
    records: Iterable[Any],
    ignore_conflicts: bool | None = False,
    batch_size: int = 10000,
) -> None:
    """Save many records with few statements, as lamindb's ``ln.save()``.

    New records are inserted in bulk and get their ids; saved records that changed are
    updated. Artifacts are saved one by one (their files are stored too). As in
    lamindb, bulk saving neither creates related records nor runs the duplicate checks
    of ``record.save()``.

    Args:
        records: Records of one or several registries.
        ignore_conflicts: Skip new records that violate a unique constraint instead of
            raising. The new records then do not get their ids: query them.
        batch_size: Records per INSERT statement group.

    Raises:
        InvalidArgument: If a single record is passed (call ``record.save()``).

    Examples:
        >>> import lamin_pipes as ln
        >>> labels = [ln.ULabel(name=f"bulk label {i}") for i in range(3)]
        >>> ln.save(labels)
        >>> all(label.id is not None for label in labels)
        True
        >>> clash = ln.ULabel(name="bulk label 0", uid=labels[0].uid)  # uid taken
        >>> ln.save([clash, ln.ULabel(name="bulk label 3")], ignore_conflicts=True)
        >>> ln.ULabel.filter(name__startswith="bulk label").count()
        4
    """
    if isinstance(records, BaseSQLRecord):
        msg = f"ln.save() takes a list of records; save a single one with .save(): {records!r}"
        raise InvalidArgument(msg)
    records = list(records)
    artifacts = [r for r in records if isinstance(r, Artifact)]
    others = [r for r in records if not isinstance(r, Artifact)]
    if others and ignore_conflicts:
        new = [r for r in others if r.id is None]
        bulk_insert(new, record_instance(others[0]), batch_size=batch_size, ignore_conflicts=True)
        save_records([r for r in others if r.id is not None], batch_size=batch_size)
    elif others:
        save_records(others, batch_size=batch_size)
    for artifact in artifacts:
        artifact.save()
