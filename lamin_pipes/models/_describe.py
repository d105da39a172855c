"""Readable plain-text trees of artifacts and collections, for ``describe()``.

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
    return f"{type(record).__name__}: {name} (v{record.version})\nuid: {record.uid}"


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
        Artifact: df.parquet (v1)
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
        Collection: parts (v1)
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
