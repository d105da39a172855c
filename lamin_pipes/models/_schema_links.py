"""How schemas take part in feature annotation: an artifact's schemas by slot.

An artifact validated against a schema points to it (``artifact.schema``) and has one
schema per slot that describes what it holds (:class:`~lamin_pipes.models.schema.ArtifactSchema`
rows): ``{"columns": ...}`` for a DataFrame, ``{"obs": ..., "var.T": ...}`` for an
AnnData. :class:`~lamin_pipes.models.FeatureManager` reaches them through its
``SCHEMA_HOOKS``, which this module fills: ``features.slots``, the internal features
that ``get_values(external_only=True)`` leaves out, and ``add_values(schema=...)``.

Examples:
    >>> import lamin_pipes as ln
    >>> import pandas as pd
    >>> n = ln.Feature(name="n", dtype=int).save()
    >>> schema = ln.Schema([n]).save()
    >>> artifact = ln.Artifact(pd.DataFrame({"n": [1]}), key="slots.parquet").save()
    >>> link_slots(artifact, {"columns": schema})
    >>> artifact.features.slots == {"columns": schema}
    True
    >>> artifact.features.add_values({"m": 1}, schema=schema)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lamin_pipes.errors.ValidationError: Values do not match schema ...: missing required features: 'n'
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from ..errors import InvalidArgument, ValidationError
from ..orm._records import record_instance
from ._describe import ARTIFACT_SECTIONS, Row, Section, provenance
from ._feature_manager import set_schema_hooks
from ._schema_itype import parse_itype
from .artifact import Artifact
from .feature import Feature
from .schema import ArtifactSchema, Schema, _member_link


def _slot_rows(host: Any) -> list[tuple[str, int]]:
    if not isinstance(host, Artifact) or host.id is None:
        return []
    table = ArtifactSchema.__table__  # type: ignore[attr-defined]
    with record_instance(host).read_session() as session:
        rows = session.execute(
            select(table.c.slot, table.c.schema_id)
            .where(table.c.artifact_id == host.id)
            .order_by(table.c.id)
        ).all()
    return [(slot, schema_id) for slot, schema_id in rows]


def artifact_slots(host: Any) -> dict[str, Schema]:
    """The schemas of an artifact by slot (empty for runs and records)."""
    rows = _slot_rows(host)
    if not rows:
        return {}
    by_id = {s.id: s for s in Schema.objects.filter(id__in=[r[1] for r in rows])}
    return {slot: by_id[sid] for slot, sid in rows if sid in by_id}


def internal_feature_ids(host: Any) -> set[int]:
    """The ids of the features of the artifact's slot schemas (its dataset's columns)."""
    rows = _slot_rows(host)
    if not rows:
        return set()
    link = _member_link()
    table = link.link_table
    with record_instance(host).read_session() as session:
        return set(
            session.scalars(
                select(table.c[link.target_column]).where(
                    table.c[link.source_column].in_([r[1] for r in rows])
                )
            )
        )


def link_slots(artifact: Any, slots: dict[str, Schema], session: Any = None) -> None:
    """Make ``slots`` the artifact's schemas by slot (replacing the links it had)."""
    if session is None:
        with record_instance(artifact).session() as own:
            link_slots(artifact, slots, own)
        return
    table: Any = ArtifactSchema.__table__  # type: ignore[attr-defined]
    session.execute(delete(table).where(table.c.artifact_id == artifact.id))
    rows = [
        {"artifact_id": artifact.id, "schema_id": schema.id, "slot": slot}
        for slot, schema in slots.items()
    ]
    if rows:
        session.execute(insert(table), rows)


def validate_values(host: Any, values: dict[Any, Any], schema: Any) -> None:
    """Check the keys of ``features.add_values(values, schema=...)`` against a schema.

    Raises:
        InvalidArgument: If ``schema`` is no saved Schema or a composite one.
        ValidationError: Naming missing required features and, for a ``maximal_set``,
            features the schema does not have.
    """
    del host
    if not isinstance(schema, Schema) or schema.id is None:
        msg = f"schema must be a saved ln.Schema, got {schema!r}"
        raise InvalidArgument(msg)
    if schema.slots:
        msg = f"add_values(schema=...) takes a schema of features, not the composite {schema._label()}"
        raise InvalidArgument(msg)
    names = [k.name if isinstance(k, Feature) else k for k in values]
    members = list(schema.members) if schema.n_members else []
    member_names = [f.name for f in members]
    optional = set(schema.optionals.get_uids())
    problems = []
    if schema.minimal_set:
        missing = [
            f.name
            for f in members
            if f.uid not in optional and (f.name not in names or values_missing(values, f))
        ]
        if missing:
            problems.append(f"missing required features: {', '.join(map(repr, missing))}")
    if schema.maximal_set:
        extra = [n for n in names if n not in member_names]
        if extra:
            problems.append(
                f"features not in the schema: {', '.join(map(repr, extra))} (the schema has "
                f"{', '.join(map(repr, member_names)) or 'none'})"
            )
    if problems:
        label = schema.name or schema.uid
        msg = f"Values do not match schema {label!r}: {'; '.join(problems)}"
        raise ValidationError(msg)


def values_missing(values: dict[Any, Any], feature: Feature) -> bool:
    """Whether the value given for ``feature`` (by name or object) is ``None``."""
    for key, value in values.items():
        if key == feature.name or (isinstance(key, Feature) and key.id == feature.id):
            return value is None
    return True


def schema_section(artifact: Any) -> Section | None:
    """The describe() section of an artifact's schema and its schemas by slot.

    Examples:
        >>> import lamin_pipes as ln
        >>> import pandas as pd
        >>> n = ln.Feature(name="n", dtype=int).save()
        >>> schema = ln.Schema([n], name="counts").save()
        >>> df = pd.DataFrame({"n": [1]})
        >>> artifact = ln.Artifact.from_dataframe(df, key="n.parquet", schema=schema).save()
        >>> from lamin_pipes.models._render import render_tree
        >>> print(render_tree(schema_section(artifact).node()))  # doctest: +ELLIPSIS
        Schema
        ├── schema:  counts (...)
        └── columns: counts: n (int)
    """
    if artifact.id is None:
        return None
    slots = artifact_slots(artifact)
    schema_id = artifact.__dict__.get("schema_id")
    if schema_id is None and not slots:
        return None
    rows: list[Row] = []
    if schema_id is not None:
        schema = Schema.objects.filter(id=schema_id).one()
        rows.append(("schema", f"{schema.name or schema.uid} ({schema.uid})"))
    for slot, slot_schema in slots.items():
        label = slot_schema.name or slot_schema.uid
        if slot_schema.n_members and slot_schema.itype == "Feature":
            members = [f"{f.name} ({f.dtype})" for f in slot_schema.members]
            shown = ", ".join(members[:_SHOWN]) + (", ..." if len(members) > _SHOWN else "")
            rows.append((slot, f"{label}: {shown}"))
        else:
            n = f"{slot_schema.n_members:,} identifiers" if slot_schema.n_members else "identifiers"
            rows.append((slot, f"{label}: {n} of {_itype_label(slot_schema.itype)}"))
    return Section("Schema", rows)


def _itype_label(itype: str | None) -> str:
    """``Record[Gene].name`` for the stored ``Record[<uid>]``."""
    if itype is None:
        return "?"
    parsed = parse_itype(itype)
    text = f"{parsed.registry}.{parsed.field}"
    if parsed.type_uid is not None:
        found = parsed.model.objects.filter(uid=parsed.type_uid).first()
        name = found.name if found is not None else parsed.type_uid
        text = f"{parsed.registry}[{name}].{parsed.field}"
    return text


set_schema_hooks(validate=validate_values, slots=artifact_slots, internal=internal_feature_ids)
# The section goes after General and Provenance, before the features and labels.
ARTIFACT_SECTIONS.insert(
    next((i + 1 for i, b in enumerate(ARTIFACT_SECTIONS) if b is provenance), 2), schema_section
)

#: Features shown per slot in ``describe()``.
_SHOWN = 10

__all__ = [
    "artifact_slots",
    "internal_feature_ids",
    "link_slots",
    "schema_section",
    "validate_values",
]
