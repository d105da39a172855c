"""Loading related data for fetched records: select_related, prefetch_related, only/defer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

if TYPE_CHECKING:
    from ..core._instance import Instance


def expire_unloaded(session: Any, records: list[Any]) -> None:
    """Mark columns left out by only()/defer() as expired: they load on first access."""
    for record in records:
        missing = [c.key for c in type(record).__table__.columns if c.key not in record.__dict__]
        if missing:
            session.expire(record, missing)


def fill_foreign_keys(model: Any, records: list[Any], name: str, inst: Instance) -> None:
    info = model._meta.fields[name]
    ids = {getattr(r, info.attname) for r in records} - {None}
    related = info.related_model
    with inst.read_session() as session:
        targets = {t.id: t for t in session.scalars(select(related).where(related.id.in_(ids)))}
    for record in records:
        target = targets.get(getattr(record, info.attname))
        if target is not None:
            record.__dict__[f"_lp_fk_{name}"] = target


def prefetch_many(model: Any, records: list[Any], name: str, inst: Instance) -> None:
    info = model._meta.fields[name]
    related = info.related_model
    table = related.__table__
    by_id = {r.id: r for r in records}
    if info.kind == "reverse_fk":
        owner_col = table.c[info.source_column]
        stmt = select(owner_col, related).where(owner_col.in_(list(by_id)))
    else:
        link = info.link_table
        owner_col = link.c[info.source_column]
        stmt = (
            select(owner_col, related)
            .join(link, link.c[info.target_column] == table.c.id)
            .where(owner_col.in_(list(by_id)))
        )
    grouped: dict[Any, list[Any]] = {rid: [] for rid in by_id}
    with inst.read_session() as session:
        for owner_id, target in session.execute(stmt):
            grouped[owner_id].append(target)
    for rid, targets in grouped.items():
        by_id[rid].__dict__[f"_lp_prefetch_{name}"] = targets
