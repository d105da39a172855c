"""Readable plain-text trees of records and registries, for ``describe()``.

A description is a header followed by sections. Each section is made by a *section
builder*: a function that takes the record and returns a :class:`Section` (or ``None``
to leave the section out). The builders run in the order of
:data:`ARTIFACT_SECTIONS` and :data:`COLLECTION_SECTIONS`; later features (labels,
features) add a section by appending a builder to these lists. The tree is drawn by
:func:`lamin_pipes.models._render.render_tree`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..orm._records import format_field_value
from ..orm._registry import set_describers
from ._render import Node, format_size, render_tree  # format_size: also imported from here

#: Branch ids with well-known names.
_BRANCHES = {1: "main", 0: "archive", -1: "trash"}

#: One line of a section: ``(name, value)`` for a field, a plain string for an item.
Row = tuple[str, str] | str


@dataclass
class Section:
    """A titled group of lines in a description.

    Examples:
        >>> print(render_tree(Section("General", [("uid", "abc"), ("size", "1 KB")]).node()))
        General
        ├── uid:  abc
        └── size: 1 KB
    """

    title: str
    rows: list[Row] = field(default_factory=list)

    def node(self) -> Node:
        """The section as a tree node: the title, with one child per row.

        Field names are padded so that the values line up.
        """
        width = max((len(row[0]) for row in self.rows if isinstance(row, tuple)), default=0)
        section = Node(self.title)
        for row in self.rows:
            if isinstance(row, tuple):
                name, value = row
                section.add(f"{name + ':':<{width + 1}} {value}")
            else:
                section.add(row)
        return section


SectionBuilder = Callable[[Any], Section | None]


def _when(value: Any) -> str | None:
    return format_field_value(value) if value is not None else None


def _add(rows: list[Row], name: str, value: Any) -> None:
    """Append ``(name, value)`` unless the value is ``None`` or empty."""
    if value is None or value == "":
        return
    rows.append((name, str(value)))


def _branch_name(record: Any) -> str:
    branch_id = record.__dict__.get("branch_id")
    if branch_id in _BRANCHES:
        return _BRANCHES[branch_id]
    branch = record.branch
    return str(branch.name) if branch is not None else str(branch_id)


def _version_rows(record: Any, rows: list[Row]) -> None:
    _add(rows, "version", record.version)
    _add(rows, "is_latest", record.is_latest)
    if record.id is not None:
        _add(rows, "versions", record.versions.count())


def _created_rows(record: Any, rows: list[Row]) -> None:
    user = record.created_by
    _add(rows, "created_by", user.handle if user is not None else None)
    _add(rows, "created_at", _when(record.created_at))


def _header(record: Any) -> str:
    name = record.key or record.description or record.uid
    return f"{type(record).__name__}: {name} ({record.version})\nuid: {record.uid}"


def render(record: Any, builders: list[SectionBuilder]) -> str:
    """The header of ``record`` and the sections its ``builders`` make, as text."""
    tree = Node(_header(record))
    for build in builders:
        section = build(record)
        if section is not None:
            tree.children.append(section.node())
    return render_tree(tree)


# --- artifact sections ------------------------------------------------------------------


def artifact_general(artifact: Any) -> Section:
    """Content, storage, creator and version of an artifact."""
    rows: list[Row] = []
    _add(rows, "uid", artifact.uid)
    _add(rows, "key", artifact.key)
    _add(rows, "description", artifact.description)
    _add(rows, "kind", artifact.kind)
    _add(rows, "otype", artifact.otype)
    _add(rows, "suffix", artifact.suffix)
    _add(rows, "size", format_size(artifact.size))
    _add(rows, "hash", artifact.hash)
    _add(rows, "n_observations", artifact.n_observations)
    _add(rows, "n_files", artifact.n_files)
    if artifact.id is not None:
        storage = artifact.storage
        _add(rows, "storage", storage.root if storage is not None else None)
        _add(rows, "path", artifact.path)
    _created_rows(artifact, rows)
    _version_rows(artifact, rows)
    _add(rows, "branch", _branch_name(artifact))
    return Section("General", rows)


def provenance(record: Any) -> Section:
    """The creating run and its transform, and the runs that used the record."""
    rows: list[Row] = []
    run = record.run
    if run is None:
        rows.append("not created in a tracked run")
    else:
        transform = run.transform
        _add(rows, "run", run.uid)
        if transform is not None:
            _add(rows, "transform", f"{transform.key} ({transform.kind})")
        _add(rows, "status", run.status)
        _add(rows, "started_at", _when(run.started_at))
        _add(rows, "finished_at", _when(run.finished_at))
        if run.reference:
            _add(rows, run.reference_type or "reference", run.reference)
    if record.id is not None:
        _add(rows, "input_of_runs", record.input_of_runs.count())
        recreated = record.recreating_runs.count()
        if recreated:
            _add(rows, "recreating_runs", recreated)
    return Section("Provenance", rows)


#: The section builders of :func:`describe_artifact`, in order. Append one to add a
#: section (for example labels or features).
ARTIFACT_SECTIONS: list[SectionBuilder] = [artifact_general, provenance]


def describe_artifact(artifact: Any) -> str:
    """A readable tree of an artifact: general information, then provenance.

    Examples:
        >>> import lamin_pipes as ln
        >>> import pandas as pd
        >>> with ln.flow(key="describe-example"):
        ...     artifact = ln.Artifact(pd.DataFrame({"a": [1, 2]}), key="df.parquet").save()
        >>> print(describe_artifact(artifact))  # doctest: +ELLIPSIS
        Artifact: df.parquet (0000)
        uid: ...
        ├── General
        │   ├── uid:            ...
        │   ├── key:            df.parquet
        │   ├── otype:          DataFrame
        │   ├── suffix:         .parquet
        │   ├── size:           ... KB
        │   ├── hash:           ...
        │   ├── n_observations: 2
        │   ├── storage:        ...
        │   ├── path:           ....parquet
        ...
        └── Provenance
            ├── run:           ...
            ├── transform:     describe-example (function)
            ├── status:        completed
        ...
    """
    return render(artifact, ARTIFACT_SECTIONS)


# --- collection sections ----------------------------------------------------------------


def collection_general(collection: Any) -> Section:
    """Key, hash, reference, creator and version of a collection."""
    rows: list[Row] = []
    _add(rows, "uid", collection.uid)
    _add(rows, "key", collection.key)
    _add(rows, "description", collection.description)
    _add(rows, "hash", collection.hash)
    if collection.reference:
        _add(rows, "reference", f"{collection.reference} ({collection.reference_type or '?'})")
    meta = collection.meta_artifact
    if meta is not None:
        _add(rows, "meta_artifact", f"{meta.key or meta.description or ''} ({meta.uid})".strip())
    _created_rows(collection, rows)
    _version_rows(collection, rows)
    _add(rows, "branch", _branch_name(collection))
    return Section("General", rows)


def collection_artifacts(collection: Any) -> Section:
    """The member artifacts in order: position, key (or description), uid, size."""
    members = collection.ordered_artifacts if collection.id is not None else []
    total = sum(a.size or 0 for a in members)
    names = [a.key or a.description or "(no key)" for a in members]
    width = max((len(name) for name in names), default=0)
    digits = len(str(len(members)))
    rows: list[Row] = []
    for position, (name, artifact) in enumerate(zip(names, members, strict=True), start=1):
        size = format_size(artifact.size) or "size unknown"
        rows.append(f"{position:>{digits}}. {name:<{width}}  {artifact.uid}  {size}")
    title = f"Artifacts ({len(members)}, {format_size(total)})"
    return Section(title, rows)


#: The section builders of :func:`describe_collection`, in order.
COLLECTION_SECTIONS: list[SectionBuilder] = [
    collection_general,
    provenance,
    collection_artifacts,
]


def describe_collection(collection: Any) -> str:
    """A readable tree of a collection: general information, provenance, artifacts.

    Examples:
        >>> import lamin_pipes as ln
        >>> a = ln.Artifact({"x": 1}, key="part/0.json").save()
        >>> b = ln.Artifact({"x": 2}, key="part/1.json").save()
        >>> collection = ln.Collection([a, b], key="parts").save()
        >>> print(describe_collection(collection))  # doctest: +ELLIPSIS
        Collection: parts (0000)
        uid: ...
        ├── General
        ...
        ├── Provenance
        │   ├── not created in a tracked run
        │   └── input_of_runs: 0
        └── Artifacts (2, ... B)
            ├── 1. part/0.json  ...  ... B
            └── 2. part/1.json  ...  ... B
    """
    return render(collection, COLLECTION_SECTIONS)


# --- any registry, any record -------------------------------------------------------------

#: Django's names of our column kinds, as lamindb prints them in ``Registry.describe()``.
_FIELD_CLASSES = {
    "char": "CharField",
    "text": "TextField",
    "int": "IntegerField",
    "bigint": "BigIntegerField",
    "float": "FloatField",
    "bool": "BooleanField",
    "datetime": "DateTimeField",
    "date": "DateField",
    "json": "JSONField",
}
_RELATIONS = ("fk", "m2m", "reverse_fk", "reverse_m2m")


def _shown(info: Any) -> bool:
    return info.name != "id" and not info.name.startswith("_")


def describe_registry(model: Any) -> str:
    """The fields of a registry: simple fields with their type, then relations.

    This is what ``ln.ULabel.describe()`` prints, in lamindb's layout.

    Examples:
        >>> import lamin_pipes as ln
        >>> print(describe_registry(ln.User))  # doctest: +ELLIPSIS
        User
          Simple fields
            .uid: CharField
            .handle: CharField
            .name: CharField
            .created_at: DateTimeField
            .updated_at: DateTimeField
          Relational fields
        ...
    """
    fields = [info for info in model._meta.fields.values() if _shown(info)]
    lines = [model.__name__, "  Simple fields"]
    for info in fields:
        if info.kind == "column":
            kind = _FIELD_CLASSES.get(info.spec.kind, info.spec.kind) if info.spec else "Field"
            lines.append(f"    .{info.name}: {kind}")
    relations = [info for info in fields if info.kind in _RELATIONS]
    if relations:
        lines.append("  Relational fields")
        lines.extend(f"    .{info.name}: {info.related_model.__name__}" for info in relations)
    return "\n".join(lines)


def _record_title(record: Any) -> str:
    model = type(record)
    name = record.__dict__.get(model._meta.name_field)
    if name is None:
        name = record.__dict__.get("uid") or f"id={record.__dict__.get('id')}"
    return f"{model.__name__}: {name}"


def record_general(record: Any) -> Section:
    """The values of a record's simple fields and the labels of its foreign keys."""
    rows: list[Row] = []
    meta = type(record)._meta
    for info in meta.fields.values():
        if not _shown(info) or info.name == meta.name_field:
            continue
        if info.kind == "column":
            value = record.__dict__.get(info.attname or info.name)
            if value is not None and value != "":
                text = value if isinstance(value, str) else str(format_field_value(value))
                rows.append((info.name, text))
        elif info.kind == "fk":
            if info.name == "branch":
                rows.append(("branch", _branch_name(record)))
            elif record.__dict__.get(info.attname) is not None:
                related = getattr(record, info.name)
                if related is not None:
                    rows.append((info.name, _record_title(related).split(": ", 1)[1]))
    return Section("General", rows)


def describe_record(record: Any) -> str:
    """A readable tree of any record: its registry and name, then its field values.

    Registries with a richer description (artifacts, collections) define their own.

    Examples:
        >>> import lamin_pipes as ln
        >>> label = ln.ULabel(name="describe-me", description="an example").save()
        >>> print(describe_record(label))  # doctest: +ELLIPSIS
        ULabel: describe-me
        └── General
            ├── uid:         ...
            ├── description: an example
        ...
    """
    tree = Node(_record_title(record))
    general = record_general(record)
    if general.rows:
        tree.children.append(general.node())
    for build in RECORD_SECTIONS:
        section = build(record)
        if section is not None:
            tree.children.append(section.node())
    return render_tree(tree)


#: Section builders that :func:`describe_record` runs after the general one; each
#: returns ``None`` for records it has nothing to say about (features of runs and
#: records are added this way).
RECORD_SECTIONS: list[SectionBuilder] = []


set_describers(describe_registry, describe_record)
