"""Bulk writes: insert or update many records with few statements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import attributes, make_transient

from ..errors import IntegrityError, InvalidArgument
from ._records import convert_integrity_error, make_saved, record_instance
from ._values import check_record, check_values

if TYPE_CHECKING:
    from ..core._instance import Instance

#: Rows per INSERT statement; SQLite allows 32,766 bound parameters per statement.
DEFAULT_BATCH = 500


def _table_rows(records: list[Any], table: Any) -> list[dict[str, Any]]:
    keys = [c.key for c in table.columns if c.key != "id"]
    return [{k: record.__dict__.get(k) for k in keys} for record in records]


def bulk_insert(
    records: list[Any],
    instance: Instance,
    *,
    batch_size: int | None = None,
    ignore_conflicts: bool = False,
) -> None:
    """Insert new records of one or several registries; sets their ids.

    All rows are written in one transaction: either every record is saved or none.
    """
    if not records:
        return
    if instance.read_only:
        records[0]._check_writable()
    by_model: dict[type, list[Any]] = {}
    for record in records:
        if record.__dict__.get("id") is not None:
            msg = f"{type(record).__name__} {record._ident()} is already saved."
            raise InvalidArgument(msg)
        # Types before the hooks (they may look values up); a missing required value
        # is refused by the database, as one IntegrityError for the whole batch.
        check_record(record, required=False)
        record._prepare_save()
        by_model.setdefault(type(record), []).append(record)
    try:
        with instance.atomic() as session:
            for model, group in by_model.items():
                _insert_group(session, model, group, batch_size, ignore_conflicts)
    except sa_exc.IntegrityError as error:
        for record in records:
            if record.__dict__.get("_lp_instance") is None:
                record.__dict__["id"] = None
        raise convert_integrity_error(error) from None
    for record in records:
        if record.__dict__.get("id") is not None:
            make_saved(record, instance)


def _insert_group(
    session: Any, model: type, records: list[Any], batch_size: int | None, ignore_conflicts: bool
) -> None:
    table = model.__table__  # type: ignore[attr-defined]
    size = batch_size or DEFAULT_BATCH
    if not ignore_conflicts and session.get_bind().dialect.name == "postgresql":
        _copy_into_postgres(session, table, records)
        return
    rows = _table_rows(records, table)
    if ignore_conflicts:
        stmt: Any = insert(table)
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            stmt = stmt.prefix_with("OR IGNORE")
        else:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(table).on_conflict_do_nothing()
        for start in range(0, len(rows), size):
            session.execute(stmt, rows[start : start + size])
        return
    if "uid" in table.c:
        # RETURNING order is not guaranteed; the unique uid maps rows back to records
        # and lets SQLAlchemy batch many rows per INSERT statement on every backend.
        stmt = insert(table).returning(table.c.uid, table.c.id)
        for start in range(0, len(rows), size):
            batch = records[start : start + size]
            id_of_uid = dict(session.execute(stmt, rows[start : start + size]).all())
            for record in batch:
                record.__dict__["id"] = id_of_uid[record.__dict__["uid"]]
        return
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), size):
        batch = records[start : start + size]
        ids = [row[0] for row in session.execute(stmt, rows[start : start + size])]
        for record, new_id in zip(batch, ids, strict=True):
            record.__dict__["id"] = new_id


def _copy_into_postgres(session: Any, table: Any, records: list[Any]) -> None:
    """Insert rows with PostgreSQL's COPY, ids drawn from the table's sequence first.

    Parsing multi-row INSERT statements dominates bulk saves on PostgreSQL; COPY sends
    the rows as one stream. Values pass through each column type's bind processor
    (UTC datetimes, JSON serialization) exactly as in an INSERT.
    """
    connection = session.connection()
    dialect = connection.dialect
    name = table.name
    ids = (
        connection.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(records)},
        )
        .scalars()
        .all()
    )
    columns = list(table.columns)
    assert columns[0].key == "id", "registries' first column is the id"
    # a TypeDecorator's processor includes its process_bind_param
    processors = [c.type._cached_bind_processor(dialect) for c in columns]
    keys = [c.key for c in columns]
    quoted = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    import psycopg

    statement = f"COPY {dialect.identifier_preparer.quote(name)} ({quoted}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            converters = list(zip(keys[1:], processors[1:], strict=True))
            for record, new_id in zip(records, ids, strict=True):
                state = record.__dict__  # values straight from the records: no row dicts
                values = [new_id]
                for key, processor in converters:
                    value = state.get(key)
                    if value is not None and processor is not None:
                        value = processor(value)
                    values.append(value)
                copy.write_row(values)
    except psycopg.errors.IntegrityError as error:
        # the driver error surfaces raw here; wrap it as SQLAlchemy would
        raise sa_exc.IntegrityError(statement, None, error) from error
    for record, new_id in zip(records, ids, strict=True):
        record.__dict__["id"] = new_id


def bulk_update(
    records: list[Any], fields: list[str], instance: Instance, *, batch_size: int | None = None
) -> int:
    """Write ``fields`` of saved records with executemany ``UPDATE`` statements."""
    if not records:
        return 0
    model = type(records[0])
    meta = model._meta  # type: ignore[attr-defined]
    attnames = [meta.get_field(f).attname for f in fields]
    if any(not a for a in attnames):
        raise InvalidArgument(f"bulk_update() takes column fields, got {fields!r}")
    if "updated_at" in meta.fields and "updated_at" not in attnames:
        attnames.append("updated_at")  # set by TracksUpdates when records are prepared
    for record in records:
        if record.id is None:
            raise InvalidArgument(f"bulk_update() needs saved records; {record!r} is not saved.")
        record._check_not_locked("save")
        record._prepare_save()
        check_values(model, {a: getattr(record, a) for a in attnames})
    table = model.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("_lp_id"))
        .values({a: bindparam(f"_v_{a}") for a in attnames})
    )
    rows = [{"_lp_id": r.id, **{f"_v_{a}": getattr(r, a) for a in attnames}} for r in records]
    size = batch_size or DEFAULT_BATCH
    try:
        with instance.atomic() as session:
            connection = session.connection()
            for start in range(0, len(rows), size):
                connection.execute(stmt, rows[start : start + size])
    except sa_exc.IntegrityError as error:
        raise convert_integrity_error(error) from None
    for record in records:
        for a in attnames:
            attributes.set_committed_value(record, a, getattr(record, a))
    return len(records)


def save(records: Iterable[Any], *, batch_size: int | None = None) -> None:
    """Save many records: new ones in bulk, changed ones one by one, in one transaction.

    Examples:
        >>> import lamin_pipes as ln
        >>> from lamin_pipes.orm.save import save
        >>> labels = [ln.ULabel(name=f"bulk-{i}") for i in range(3)]
        >>> save(labels)
        >>> all(label.id is not None for label in labels)
        True
    """
    records = list(records)
    if not records:
        return
    instance = record_instance(records[0])
    # Registries whose save() does more than an INSERT (an artifact stores its content)
    # mark themselves with _saves_one_by_one; their new records are saved one by one.
    own = [r for r in records if r.id is None and getattr(type(r), "_saves_one_by_one", False)]
    own_ids = {id(r) for r in own}
    new = [r for r in records if r.id is None and id(r) not in own_ids]
    # saved records without changes need no UPDATE (record.save() skips them too)
    existing = [r for r in records if r.id is not None and sa_inspect(r).modified]
    try:
        with instance.atomic():
            bulk_insert(new, instance, batch_size=batch_size)
            for record in [*own, *existing]:
                record.save()
    except BaseException:
        # The transaction was rolled back: the new records are not in the database.
        for record in new:
            _forget_saved(record)
        raise


def _forget_saved(record: Any) -> None:
    """Make a record whose insert was rolled back new (unsaved) again."""
    make_transient(record)
    record.__dict__["id"] = None
    record.__dict__.pop("_lp_instance", None)


__all__ = ["IntegrityError", "bulk_insert", "bulk_update", "save"]
