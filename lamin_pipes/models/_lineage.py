"""The upstream lineage of an artifact or collection, as a text tree or Graphviz DOT.

:func:`view_lineage` walks upstream from a record, level by level:

- an artifact or collection → the run that created it (``record.run``);
- a collection → its member artifacts (``ordered_artifacts``);
- a run → its input artifacts and collections (``run.input_artifacts``,
  ``run.input_collections``) and the run that initiated it (``run.initiated_by_run``);
- and again from every record reached, until nothing new turns up or
  :data:`MAX_DEPTH` levels were walked.

Each record is visited once (cycles end the walk instead of looping). Every level
costs a handful of queries, one per kind of link or record, whatever its width.
Trashed records are followed too; their labels say ``[trash]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..errors import InvalidArgument
from ..orm._records import format_field_value, record_instance
from ..orm.query_set import QuerySet
from ._graph import _NODE_COLOR, _NODE_FILL, _ROOT_FILL, _dot_string
from ._render import Node as TreeNode
from ._render import render_tree
from .run import Run, Transform

#: How many levels (links) the walk goes upstream at most.
MAX_DEPTH = 50
#: The values ``return_format`` accepts.
RETURN_FORMATS = ("text", "dot")

_CHUNK = 500
_RUN_FILL = "#e0e7ff"
_RUN_COLOR = "#3730a3"
_NO_RUN = "not created in a tracked run"

#: A node of the lineage graph: ``("artifact" | "collection" | "run", id)``.
Node = tuple[str, int]


def _data_registries() -> tuple[Any, Any]:
    """``Artifact`` and ``Collection``, reached through the runs that create them.

    Both call :func:`view_lineage`; reaching them through ``Run``'s relations keeps
    this module free of an import of theirs.
    """
    fields = Run._meta.fields  # type: ignore[attr-defined]
    return fields["output_artifacts"].related_model, fields["output_collections"].related_model


# How a link reads in the text tree, seen from the downstream record.
_EDGE_WORDS = {
    "output": "created by",
    "member": "member",
    "input": "input",
    "initiated": "initiated by",
}
# Children order in the text tree: creating run, members, inputs, initiating run.
_EDGE_ORDER = {"output": 0, "member": 1, "input": 2, "initiated": 3}


@dataclass(frozen=True)
class Edge:
    """A link from an upstream node to a downstream node.

    ``kind`` is ``"output"`` (run → the record it created), ``"input"`` (record → the
    run that used it), ``"member"`` (artifact → its collection) or ``"initiated"``
    (run → the run it initiated); ``rank`` orders members.
    """

    source: Node
    target: Node
    kind: str
    rank: int = 0


@dataclass
class Lineage:
    """The records upstream of one record and the links between them.

    Attributes:
        root: The node the lineage is drawn for.
        labels: A one-line label for each node.
        details: Extra lines shown under a node's label in the DOT drawing.
        edges: The links found.
        truncated: Nodes at the depth limit that have further upstream records.
        depth: The depth limit that was used.

    Examples:
        >>> lineage = Lineage(
        ...     root=("artifact", 2),
        ...     labels={("artifact", 2): "Artifact 'b'", ("run", 1): "Run r1",
        ...             ("artifact", 1): "Artifact 'a'"},
        ...     edges={Edge(("run", 1), ("artifact", 2), "output"),
        ...            Edge(("artifact", 1), ("run", 1), "input")},
        ... )
        >>> print(lineage.text())
        Artifact 'b'
        └── created by: Run r1
            └── input: Artifact 'a'
        >>> "a1 -> r1" in lineage.dot()
        True
    """

    root: Node
    labels: dict[Node, str]
    details: dict[Node, list[str]] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)
    truncated: set[Node] = field(default_factory=set)
    depth: int = MAX_DEPTH

    def upstream_of(self, node: Node) -> list[Edge]:
        """The links into ``node``, in display order."""
        return self._index().get(node, [])

    def _index(self) -> dict[Node, list[Edge]]:
        index: dict[Node, list[Edge]] = {}
        for edge in self.edges:
            index.setdefault(edge.target, []).append(edge)
        for links in index.values():
            links.sort(
                key=lambda e: (_EDGE_ORDER[e.kind], e.rank, self.labels.get(e.source, ""), e.source)
            )
        return index

    def _label(self, node: Node) -> str:
        return self.labels.get(node, f"{node[0]} {node[1]}").replace("\n", " ")

    def text(self) -> str:
        """An indented tree rooted at the record, upstream records below their users.

        A record reached along several paths is drawn in full once; later it is marked
        ``(see above)``. A record at the depth limit with more upstream is marked ``…``.
        The tree is drawn by :func:`~lamin_pipes.models._render.render_tree`.
        """
        index = self._index()
        root = TreeNode(self._label(self.root))
        if _NO_RUN in self.details.get(self.root, []):
            root.label += f": {_NO_RUN}"
        if not index.get(self.root) and self.root in self.truncated:
            root.label += " …"
        expanded = {self.root}
        # Depth-first without recursion: a stack of (links still to draw, their node).
        stack: list[tuple[list[Edge], TreeNode]] = [(list(index.get(self.root, [])), root)]
        while stack:
            links, parent = stack[-1]
            if not links:
                stack.pop()
                continue
            edge = links.pop(0)
            upstream = edge.source
            child = parent.add(f"{_EDGE_WORDS[edge.kind]}: {self._label(upstream)}")
            further = index.get(upstream)
            if not further:
                if upstream in self.truncated:
                    child.label += " …"
            elif upstream in expanded:
                child.label += " (see above)"
            else:
                expanded.add(upstream)
                stack.append((list(further), child))
        text = render_tree(root)
        if self.truncated:
            text += f"\n(… more upstream beyond depth {self.depth})"
        return text

    def dot(self) -> str:
        """Graphviz DOT source: boxes for records, run nodes in blue, data flowing down."""
        out = [
            "digraph lineage {",
            "  rankdir=TB;",
            f'  node [shape=box, style="rounded,filled", fillcolor="{_NODE_FILL}", '
            f'color="{_NODE_COLOR}", fontname="Helvetica", fontsize=10];',
            '  edge [arrowsize=0.5, color="dimgrey"];',
        ]
        for node in sorted(self.labels):
            lines = [self.labels[node], *self.details.get(node, [])]
            if node in self.truncated:
                lines.append("… more upstream")
            attrs = [f"label={_dot_string(chr(10).join(lines))}"]
            if node[0] == "run":
                attrs.append(f'fillcolor="{_RUN_FILL}", color="{_RUN_COLOR}"')
            elif node[0] == "collection":
                attrs.append("shape=box3d")
            if node == self.root:
                attrs.append(f'fillcolor="{_ROOT_FILL}", penwidth=2')
            out.append(f"  {_dot_id(node)} [{', '.join(attrs)}];")
        for edge in sorted(self.edges, key=lambda e: (e.source, e.target, e.kind)):
            style = ""
            if edge.kind == "member":
                style = ' [style=dashed, label="member", fontsize=8]'
            elif edge.kind == "initiated":
                style = ' [style=dotted, label="initiated", fontsize=8]'
            out.append(f"  {_dot_id(edge.source)} -> {_dot_id(edge.target)}{style};")
        out.append("}")
        return "\n".join(out)


def _dot_id(node: Node) -> str:
    return f"{node[0][0]}{node[1]}"


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _version_part(record: Any) -> str:
    try:
        return f", v{record.version}"
    except (ValueError, KeyError, IndexError):  # an unusual uid: leave the version out
        return ""


def _trash(record: Any) -> str:
    return " [trash]" if record.__dict__.get("branch_id") == -1 else ""


def data_label(record: Any) -> str:
    """``Artifact 'key' (uid …, v2)``: a one-line label of an artifact or collection.

    Examples:
        >>> import lamin_pipes as ln
        >>> artifact = ln.Artifact({"a": 1}, key="label.json").save()
        >>> data_label(artifact) == f"Artifact 'label.json' (uid {artifact.uid}, v0000)"
        True
    """
    name = record.key or record.description
    named = f" {name!r}" if name else ""
    return (
        f"{type(record).__name__}{named} (uid {record.uid}{_version_part(record)}){_trash(record)}"
    )


def run_label(run: Any, transform: Any) -> str:
    """``Run <uid> of Transform 'clean' (function, completed)``.

    Examples:
        >>> import lamin_pipes as ln
        >>> with ln.flow(key="label-run") as run:
        ...     pass
        >>> run_label(run, run.transform) == (
        ...     f"Run {run.uid} of Transform 'label-run' (function, completed)"
        ... )
        True
    """
    if transform is None:
        of = " of an unknown transform"
    else:
        name = transform.key or transform.description or transform.uid
        of = f" of Transform {name!r} ({transform.kind}, {run.status or 'no status'})"
    return f"Run {run.uid}{of}{_trash(run)}"


def _run_details(run: Any) -> list[str]:
    lines = []
    if run.started_at is not None:
        lines.append(f"started {format_field_value(run.started_at)}")
    if run.reference:
        lines.append(f"{run.reference_type or 'reference'}: {run.reference}")
    return lines


class _Walker:
    """Collects the lineage of one record, loading each level in batches."""

    def __init__(self, record: Any) -> None:
        self.inst = record_instance(record)
        self.records: dict[Node, Any] = {}
        self.transforms: dict[int, Any] = {}
        self.edges: set[Edge] = set()

    # --- loading --------------------------------------------------------------------

    def _load(self, model: Any, ids: Iterable[int]) -> list[Any]:
        found: list[Any] = []
        for chunk in _chunks(ids):
            qs = QuerySet(model, instance=self.inst, include_trash=True).filter(id__in=chunk)
            found.extend(qs.to_list())
        return found

    def load(self, nodes: set[Node]) -> None:
        """Load the records of ``nodes`` (and the transforms of runs) not loaded yet."""
        artifact, collection = _data_registries()
        kinds = {"artifact": artifact, "collection": collection, "run": Run}
        for kind, model in kinds.items():
            ids = {i for k, i in nodes if k == kind and (k, i) not in self.records}
            if ids:
                for record in self._load(model, ids):
                    self.records[(kind, record.id)] = record
        transform_ids = {
            run.transform_id
            for (kind, _), run in self.records.items()
            if kind == "run" and run.transform_id not in self.transforms
        }
        if transform_ids:
            for transform in self._load(Transform, transform_ids):
                self.transforms[transform.id] = transform

    def _links(self, model: Any, name: str, ids: list[int], by: str) -> list[tuple[int, int]]:
        """``(record id, related id)`` pairs of the link table of ``model.name``.

        ``by`` is ``"source"`` or ``"target"``: the side ``ids`` are matched against.
        The pairs come in link order (the order the links were made).
        """
        info = model._meta.fields[name]
        link = info.link_table
        source, target = link.c[info.source_column], link.c[info.target_column]
        where = source if by == "source" else target
        pairs: list[tuple[int, int]] = []
        with self.inst.read_session() as session:
            for chunk in _chunks(ids):
                stmt = select(source, target).where(where.in_(chunk)).order_by(link.c.id)
                pairs.extend((s, t) for s, t in session.execute(stmt))
        return pairs

    # --- walking --------------------------------------------------------------------

    def upstream(self, frontier: set[Node]) -> set[Edge]:
        """The links into the nodes of ``frontier`` (whose records are loaded)."""
        edges: set[Edge] = set()
        collection_ids: list[int] = []
        run_ids: list[int] = []
        for node in frontier:
            kind, rid = node
            record = self.records.get(node)
            if record is None:
                continue
            if kind in ("artifact", "collection"):
                if record.run_id is not None:
                    edges.add(Edge(("run", record.run_id), node, "output"))
                if kind == "collection":
                    collection_ids.append(rid)
            else:
                run_ids.append(rid)
                if record.initiated_by_run_id is not None:
                    edges.add(Edge(("run", record.initiated_by_run_id), node, "initiated"))
        artifact, collection = _data_registries()
        if collection_ids:
            for rank, (cid, aid) in enumerate(
                self._links(collection, "artifacts", collection_ids, "source")
            ):
                edges.add(Edge(("artifact", aid), ("collection", cid), "member", rank))
        if run_ids:
            for model, kind in ((artifact, "artifact"), (collection, "collection")):
                for rid, run_id in self._links(model, "input_of_runs", run_ids, "target"):
                    edges.add(Edge((kind, rid), ("run", run_id), "input"))
        return edges

    def walk(self, root: Node, depth: int) -> tuple[set[Node], set[Node]]:
        """Walk up to ``depth`` levels; returns the nodes reached and the truncated ones."""
        seen = {root}
        frontier = {root}
        for _ in range(depth):
            edges = self.upstream(frontier)
            self.edges |= edges
            frontier = {edge.source for edge in edges} - seen
            if not frontier:
                return seen, set()
            seen |= frontier
            self.load(frontier)
        # At the limit: mark the records that have further upstream records.
        beyond = self.upstream(frontier)
        return seen, {edge.target for edge in beyond}


def build_lineage(record: Any, *, depth: int = MAX_DEPTH) -> Lineage:
    """Collect the lineage of a saved artifact or collection up to ``depth`` levels.

    Args:
        record: A saved :class:`Artifact` or :class:`Collection`.
        depth: How many links to follow upstream at most.

    Raises:
        InvalidArgument: If the record is not a saved artifact or collection, or
            ``depth`` is negative.
    """
    artifact, collection = _data_registries()
    if isinstance(record, artifact):
        kind = "artifact"
    elif isinstance(record, collection):
        kind = "collection"
    else:
        msg = f"Lineage is shown for artifacts and collections, not {type(record).__name__}"
        raise InvalidArgument(msg)
    if record.id is None:
        msg = f"Save the {type(record).__name__.lower()} before viewing its lineage"
        raise InvalidArgument(msg)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        msg = f"depth must be a non-negative integer, got {depth!r}"
        raise InvalidArgument(msg)
    root: Node = (kind, record.id)
    walker = _Walker(record)
    walker.records[root] = record
    seen, truncated = walker.walk(root, depth)
    labels: dict[Node, str] = {}
    details: dict[Node, list[str]] = {}
    for node in seen:
        loaded = walker.records.get(node)
        if loaded is None:  # linked, but not visible (e.g. deleted concurrently)
            labels[node] = f"{node[0].capitalize()} id={node[1]}"
        elif node[0] == "run":
            labels[node] = run_label(loaded, walker.transforms.get(loaded.transform_id))
            details[node] = _run_details(loaded)
        else:
            labels[node] = data_label(loaded)
    if record.run_id is None:
        details[root] = [_NO_RUN]
    edges = {e for e in walker.edges if e.source in seen and e.target in seen}
    return Lineage(
        root=root,
        labels=labels,
        details=details,
        edges=edges,
        truncated=truncated,
        depth=depth,
    )


def view_lineage(record: Any, return_format: str = "text", *, depth: int = MAX_DEPTH) -> str:
    """The runs, transforms and records upstream of an artifact or collection.

    Walks from the record to the run that created it, that run's transform, input
    artifacts and collections and initiating run, then their creating runs and so on
    (members too, for a collection), for at most ``depth`` levels; each record is
    visited once, so cycles end the walk.

    Args:
        record: A saved :class:`Artifact` or :class:`Collection`.
        return_format: ``"text"`` for an indented tree, ``"dot"`` for Graphviz DOT
            source (edges run input → run → output).
        depth: How many links to follow upstream at most.

    Returns:
        The tree or the DOT source as a string.

    Raises:
        InvalidArgument: If ``return_format`` is not ``"text"`` or ``"dot"``.

    Examples:
        >>> import lamin_pipes as ln
        >>> with ln.flow(key="ingest"):
        ...     raw = ln.Artifact({"n": 1}, key="raw.json").save()
        >>> with ln.flow(key="clean"):
        ...     _ = raw.load()
        ...     clean = ln.Artifact({"n": 2}, key="clean.json").save()
        >>> print(view_lineage(clean))  # doctest: +ELLIPSIS
        Artifact 'clean.json' (uid ..., v0000)
        └── created by: Run ... of Transform 'clean' (function, completed)
            └── input: Artifact 'raw.json' (uid ..., v0000)
                └── created by: Run ... of Transform 'ingest' (function, completed)
        >>> view_lineage(clean, "dot").startswith("digraph lineage {")
        True
        >>> print(view_lineage(raw, depth=0))  # doctest: +ELLIPSIS
        Artifact 'raw.json' (uid ..., v0000) …
        (… more upstream beyond depth 0)
    """
    if return_format not in RETURN_FORMATS:
        options = " or ".join(repr(option) for option in RETURN_FORMATS)
        msg = f"return_format must be {options}, got {return_format!r}"
        raise InvalidArgument(msg)
    lineage = build_lineage(record, depth=depth)
    return lineage.text() if return_format == "text" else lineage.dot()
