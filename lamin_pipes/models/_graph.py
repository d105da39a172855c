"""Render parent/child graphs of ``HasParents`` records as text trees and DOT."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select


def _node_id(node: int) -> str:
    return f"n{node}" if node >= 0 else f"m{-node}"


@dataclass
class Graph:
    """A small directed graph of records: edges point from parent to child.

    ``str(graph)`` is a text tree; ``graph.dot`` is Graphviz DOT source.
    """

    root: int
    labels: dict[int, str]
    edges: set[tuple[int, int]] = field(default_factory=set)

    def _children(self, node: int) -> list[int]:
        return sorted((c for p, c in self.edges if p == node), key=lambda n: self.labels[n])

    def _parents(self, node: int) -> list[int]:
        return sorted((p for p, c in self.edges if c == node), key=lambda n: self.labels[n])

    def text(self) -> str:
        """Ancestors above the record (indented upwards), descendants below it."""
        lines: list[str] = []

        def down(node: int, depth: int, seen: frozenset[int]) -> None:
            for child in self._children(node):
                if child in seen:
                    continue
                lines.append("    " * depth + f"└── {self.labels[child]}")
                down(child, depth + 1, seen | {child})

        ancestors: list[str] = []
        frontier = [self.root]
        seen = {self.root}
        while frontier:
            level = sorted({p for n in frontier for p in self._parents(n)} - seen,
                           key=lambda n: self.labels[n])
            if not level:
                break
            ancestors.insert(0, ", ".join(self.labels[n] for n in level))
            seen.update(level)
            frontier = level
        for i, names in enumerate(ancestors):
            lines.append("    " * i + (f"└── {names}" if i else names))
        indent = len(ancestors)
        prefix = "    " * indent + ("└── " if indent else "")
        lines.append(f"{prefix}{self.labels[self.root]} ●")
        for child in self._children(self.root):
            lines.append("    " * (indent + 1) + f"└── {self.labels[child]}")
            down(child, indent + 2, frozenset({self.root, child}))
        return "\n".join(lines)

    @property
    def dot(self) -> str:
        """Graphviz DOT source of the graph."""
        out = ["digraph {", '  node [shape=box, style="rounded,filled", fillcolor="#f3f3f3"];']
        for node, label in sorted(self.labels.items()):
            color = ', fillcolor="#a5d8ff"' if node == self.root else ""
            escaped = label.replace('"', '\\"')
            out.append(f'  {_node_id(node)} [label="{escaped}"{color}];')
        for parent, child in sorted(self.edges):
            out.append(f"  {_node_id(parent)} -> {_node_id(child)};")
        out.append("}")
        return "\n".join(out)

    def _repr_svg_(self) -> str | None:
        executable = shutil.which("dot")
        if executable is None:
            return None
        result = subprocess.run([executable, "-Tsvg"], input=self.dot.encode(),
                                capture_output=True, check=False, timeout=30)
        return result.stdout.decode() if result.returncode == 0 else None

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()


def build_graph(record: Any, field: str, *, up: int, down: int) -> Graph:
    """Collect the records ``up`` levels above and ``down`` levels below ``record``."""
    model = type(record)
    info = model._meta.fields["parents"]
    link = info.link_table
    child_col, parent_col = link.c[info.source_column], link.c[info.target_column]
    from .sqlrecord import record_instance

    edges: set[tuple[int, int]] = set()
    nodes = {record.id}
    with record_instance(record).session() as session:
        frontier = {record.id}
        for _ in range(up):
            rows = session.execute(select(parent_col, child_col).where(child_col.in_(frontier))).all()
            new = {p for p, _ in rows} - nodes
            edges.update((p, c) for p, c in rows)
            nodes.update(p for p, _ in rows)
            frontier = new
            if not frontier:
                break
        frontier = {record.id}
        for _ in range(down):
            rows = session.execute(select(parent_col, child_col).where(parent_col.in_(frontier))).all()
            new = {c for _, c in rows} - nodes
            edges.update((p, c) for p, c in rows)
            nodes.update(c for _, c in rows)
            frontier = new
            if not frontier:
                break
        table = model.__table__
        column = model._meta.get_field(field).column
        labels = {rid: str(value) for rid, value in
                  session.execute(select(table.c.id, column).where(table.c.id.in_(nodes)))}
    return Graph(root=record.id, labels=labels, edges=edges)
