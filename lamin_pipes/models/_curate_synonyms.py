"""The synonyms of one record: ``add_synonym``, ``remove_synonym``, ``set_abbr``.

A record's synonyms live in one ``"|"``-separated string field, ``synonyms``. Adding a
synonym checks, with one query, that no other record of the registry has it already
(unless ``force``), since ``standardize`` could not tell the records apart otherwise.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, InvalidArgument, ValidationError
from ..orm._records import record_instance
from ..orm.query_set import QuerySet
from ._curate_match import SYNONYM_SEP, match_synonyms, split_synonyms
from ._curate_values import as_list, format_values, is_empty


def synonym_list(synonym: Any) -> list[str]:
    """Distinct non-empty synonyms from a string or a list-like of strings.

    Raises:
        InvalidArgument: If a synonym is not a string.
        ValidationError: If a synonym contains the separator ``"|"``.
    """
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


def require_field(record: Any, name: str, method: str) -> None:
    """Raise :class:`FieldError` unless the record's registry has the field ``name``."""
    if name not in type(record)._meta.fields:
        msg = f"{type(record).__name__} has no '{name}' field, so it has no {method}()."
        raise FieldError(msg)


def check_synonym_owners(record: Any, synonyms: list[str]) -> None:
    """Raise if another record of the registry already has one of ``synonyms``."""
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


def add_synonyms(record: Any, synonym: Any, *, force: bool, save: bool | None) -> None:
    """Append synonyms to ``record.synonyms``; see ``CanCurate.add_synonym``."""
    require_field(record, "synonyms", "add_synonym")
    new = synonym_list(synonym)
    if not new:
        return
    if not force:
        check_synonym_owners(record, new)
    current = split_synonyms(getattr(record, "synonyms", None))
    merged = current + [s for s in new if s not in current]
    setattr(record, "synonyms", SYNONYM_SEP.join(merged) if merged else None)  # noqa: B010
    if save is None:
        save = getattr(record, "id", None) is not None
    if save:
        record.save()


def remove_synonyms(record: Any, synonym: Any) -> None:
    """Drop synonyms from ``record.synonyms``; see ``CanCurate.remove_synonym``."""
    require_field(record, "synonyms", "remove_synonym")
    drop = set(synonym_list(synonym))
    if not drop:
        return
    kept = [s for s in split_synonyms(getattr(record, "synonyms", None)) if s not in drop]
    setattr(record, "synonyms", SYNONYM_SEP.join(kept) if kept else None)  # noqa: B010
    if getattr(record, "id", None) is not None:
        record.save()


def set_abbr(record: Any, value: str) -> None:
    """Set ``record.abbr`` and add it to the synonyms; see ``CanCurate.set_abbr``."""
    require_field(record, "abbr", "set_abbr")
    setattr(record, "abbr", value)  # noqa: B010
    meta = type(record)._meta
    name = getattr(record, meta.name_field, None)
    if "synonyms" in meta.fields and value != name:
        record.add_synonym(value, save=False)
    if getattr(record, "id", None) is not None:
        record.save()
