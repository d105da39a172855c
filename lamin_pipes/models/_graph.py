"""Render the parents and children of ``HasParents`` records as text trees and DOT.

:func:`build_graph` collects the records within a distance of one record, level by
level (one query per level); :class:`Graph` renders them:

- ``str(graph)`` is a text tree per direction, rooted at the record and drawn by
  :func:`~lamin_pipes.models._render.render_tree`. A record with several parents
  shows up once under each path that reaches it; when its own relatives were already
  drawn above, it is marked ``(see above)`` instead of being drawn again. A record at the distance limit with more relatives beyond is marked
  ``…``.
- ``graph.dot`` is Graphviz DOT source with one node per record and one edge per
  link, from parent to child.
- ``graph._repr_svg_()`` renders the DOT with the ``dot`` executable (notebooks call
  it); it returns ``None`` where Graphviz is not installed, and notebooks then show
  the text.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..orm._records import record_instance
from ._render import Node, render_tree

#: The branch whose records are shown.
_MAIN_BRANCH = 1
_ROOT_FILL = "#10b981"
_NODE_FILL = "honeydew"
_NODE_COLOR = "#065f46"


def _dot_string(text: str) -> str:
    """``text`` as a double-quoted DOT string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@dataclass
class Graph:
    """Records around one record and the parent → child links between them.

    Attributes:
        root: The id of the record the graph is drawn around.
        title: How the record is named in headings (``ULabel 'dog'``).
        labels: The label of each record by id.
        edges: The links as ``(parent id, child id)`` pairs.
        up: How many levels of parents were collected (``None``: parents not shown).
        down: How many levels of children were collected (``None``: not shown).
        more_up: Records at the parents' distance limit that have further parents.
        more_down: Records at the children's distance limit that have further
            children.

    Examples:
        >>> graph = Graph(root=1, title="ULabel 'b'", labels={1: "b", 2: "a", 3: "c"},
        ...               edges={(2, 1), (1, 3)}, up=1, down=1)
        >>> print(graph)
        Parents of ULabel 'b' (distance ≤ 1):
        b
        └── a
        <BLANKLINE>
        Children of ULabel 'b' (distance ≤ 1):
        b
        └── c
        >>> "n2 -> n1;" in graph.dot
        True
    """

    root: int
    title: str
    labels: dict[int, str]
    edges: set[tuple[int, int]] = field(default_factory=set)
    up: int | None = None
    down: int | None = None
    more_up: set[int] = field(default_factory=set)
    more_down: set[int] = field(default_factory=set)

    def _sort(self, nodes: set[int]) -> list[int]:
        return sorted(nodes, key=lambda n: (self.labels.get(n, ""), n))

    def parents_of(self, node: int) -> list[int]:
        """The parents of ``node`` within the graph, sorted by label."""
        return self._sort({p for p, c in self.edges if c == node})

    def children_of(self, node: int) -> list[int]:
        """The children of ``node`` within the graph, sorted by label."""
        return self._sort({c for p, c in self.edges if p == node})

    def _label(self, node: int) -> str:
        return self.labels.get(node, str(node)).replace("\n", " ")

    def _tree(
        self, heading: str, distance: int, step: Callable[[int], list[int]], more: set[int]
    ) -> str:
        """The heading line, the tree rooted at the record and, if needed, the legend."""
        title = f"{heading} of {self.title} (distance ≤ {distance}):"
        root = Node(self._label(self.root))
        if distance > 0 and not step(self.root):
            root.label += f" (no {heading.lower()})"
            return f"{title}\n{render_tree(root)}"
        marked = distance == 0 and self.root in more
        if marked:
            root.label += " …"
        expanded: dict[int, int] = {}

        def walk(node: int, parent: Node, remaining: int) -> None:
            nonlocal marked
            for kid in step(node):
                child = parent.add(self._label(kid))
                next_kids = step(kid)
                if remaining == 1:
                    if next_kids or kid in more:
                        child.label += " …"
                        marked = True
                    continue
                if next_kids and expanded.get(kid, 0) >= remaining - 1:
                    child.label += " (see above)"
                    continue
                if next_kids:
                    expanded[kid] = remaining - 1
                    walk(kid, child, remaining - 1)

        if distance > 0:
            walk(self.root, root, distance)
        lines = [title, render_tree(root)]
        if marked:
            lines.append(f"(… more beyond distance {distance})")
        return "\n".join(lines)

    def text(self) -> str:
        """The parents (and/or children) as text trees rooted at the record."""
        sections: list[str] = []
        if self.up is not None:
            sections.append(self._tree("Parents", self.up, self.parents_of, self.more_up))
        if self.down is not None:
            sections.append(self._tree("Children", self.down, self.children_of, self.more_down))
        return "\n\n".join(sections)

    @property
    def dot(self) -> str:
        """Graphviz DOT source: one box per record, one edge per link (parent → child)."""
        out = [
            "digraph {",
            "  rankdir=TB;",
            f'  node [shape=box, style="rounded,filled", fillcolor="{_NODE_FILL}", '
            f'color="{_NODE_COLOR}", fontname="Helvetica", fontsize=10];',
            '  edge [arrowsize=0.5, color="dimgrey"];',
        ]
        for node in sorted(self.labels):
            fill = f', fillcolor="{_ROOT_FILL}"' if node == self.root else ""
            out.append(f"  n{node} [label={_dot_string(self.labels[node])}{fill}];")
        for parent, child in sorted(self.edges):
            out.append(f"  n{parent} -> n{child};")
        out.append("}")
        return "\n".join(out)

    def _repr_svg_(self) -> str | None:
        """An SVG drawing made by Graphviz's ``dot``, or ``None`` if it is not installed."""
        executable = shutil.which("dot")
        if executable is None:
            return None
        try:
            result = subprocess.run(
                [executable, "-Tsvg"],
                input=self.dot.encode(),
                capture_output=True,
                check=False,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return result.stdout.decode() if result.returncode == 0 else None

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()


def _walk(
    session: Any, model: Any, start: int, distance: int, direction: str
) -> tuple[set[tuple[int, int]], set[int], set[int]]:
    """Links within ``distance`` of ``start`` going ``"up"`` or ``"down"``.

    Returns the ``(parent, child)`` edges, the records reached and the records at the
    limit that have relatives beyond it. Only records on the main branch are followed.
    """
    info = model._meta.fields["parents"]
    link = info.link_table
    child_col, parent_col = link.c[info.source_column], link.c[info.target_column]
    here, there = (child_col, parent_col) if direction == "up" else (parent_col, child_col)
    table = model.__table__
    stmt = (
        select(here, there)
        .join(table, table.c.id == there)
        .where(table.c.branch_id == _MAIN_BRANCH)
    )
    edges: set[tuple[int, int]] = set()
    seen = {start}
    frontier = {start}
    for _ in range(distance):
        rows = session.execute(stmt.where(here.in_(sorted(frontier)))).all()
        for near, far in rows:
            edges.add((far, near) if direction == "up" else (near, far))
        frontier = {far for _, far in rows} - seen
        seen.update(frontier)
        if not frontier:
            break
    more: set[int] = set()
    if frontier:
        more = set(
            session.scalars(
                stmt.with_only_columns(here).where(here.in_(sorted(frontier))).distinct()
            )
        )
    return edges, seen, more


def build_graph(record: Any, field_name: str, *, up: int | None, down: int | None) -> Graph:
    """Collect the records up to ``up`` levels above and ``down`` levels below ``record``.

    Args:
        record: A saved record of a ``HasParents`` registry.
        field_name: The column whose values label the records.
        up: Levels of parents to collect; ``None`` leaves the parents out.
        down: Levels of children to collect; ``None`` leaves the children out.
    """
    model = type(record)
    edges: set[tuple[int, int]] = set()
    nodes = {record.id}
    more_up: set[int] = set()
    more_down: set[int] = set()
    with record_instance(record).read_session() as session:
        if up is not None:
            found, reached, more_up = _walk(session, model, record.id, up, "up")
            edges |= found
            nodes |= reached
        if down is not None:
            found, reached, more_down = _walk(session, model, record.id, down, "down")
            edges |= found
            nodes |= reached
        table = model.__table__
        column = table.c[field_name]
        uid = table.c.uid if "uid" in table.c else table.c.id
        labels: dict[int, str] = {}
        ordered = sorted(nodes)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            for rid, value, fallback in session.execute(
                select(table.c.id, column, uid).where(table.c.id.in_(chunk))
            ):
                labels[rid] = str(value if value is not None else fallback)
    return Graph(
        root=record.id,
        title=record._label(),
        labels=labels,
        edges=edges,
        up=up,
        down=down,
        more_up=more_up,
        more_down=more_down,
    )
