"""Links between records and runs: the runs that used or re-created a record.

Loading an artifact or collection inside a run records it as an input of that run
(:func:`track_inputs`); saving content that already exists records the run as a
re-creating run. Each call is one write that adds only the missing links.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from ..core._context import active_run
from ..errors import InvalidArgument
from ..orm._records import record_instance

# (instance, run uid, record uid) already linked as run inputs in this process.
_LINKED: set[tuple[Any, str, str]] = set()


def link_run(inst: Any, records: list[Any], field: str, run: Any) -> None:
    """Link ``run`` to every record through ``field``: one transaction, missing links only."""
    if not records:
        return
    info = type(records[0])._meta.fields[field]
    link = info.link_table
    source, target = link.c[info.source_column], link.c[info.target_column]
    ids = list({r.id for r in records})
    with inst.session() as session:
        linked = set(
            session.execute(select(source).where(source.in_(ids), target == run.id)).scalars()
        )
        rows = [{info.source_column: i, info.target_column: run.id} for i in ids if i not in linked]
        if rows:
            try:
                with session.begin_nested():
                    session.execute(link.insert(), rows)
            except sa_exc.IntegrityError:  # a concurrent writer linked some first
                for row in rows:
                    with contextlib.suppress(sa_exc.IntegrityError), session.begin_nested():
                        session.execute(link.insert(), [row])


def track_input(record: Any, is_run_input: bool | None) -> None:
    """Link the current run as a consumer of ``record`` (see :func:`track_inputs`)."""
    track_inputs([record], is_run_input)


def track_inputs(records: list[Any], is_run_input: bool | None) -> None:
    """Link the current run as a consumer of artifacts or collections, in one write.

    ``is_run_input``: ``None`` links when a run is current (except a run's own
    outputs), ``True`` requires a run, ``False`` links nothing.
    """
    if is_run_input is False or not records:
        return
    run = active_run()
    if run is None or run.id is None:
        if is_run_input is True:
            msg = (
                "is_run_input=True but no run is current; start one with ln.track() or "
                "`@ln.flow()` / `with ln.flow(...)`"
            )
            raise InvalidArgument(msg)
        return
    inst = record_instance(records[0])
    # Keyed by uids: SQLite may reuse a deleted row's id.
    todo = [
        r
        for r in records
        if (r.run_id != run.id or is_run_input is True) and (inst, run.uid, r.uid) not in _LINKED
    ]
    link_run(inst, todo, "input_of_runs", run)
    _LINKED.update((inst, run.uid, r.uid) for r in todo)
