"""The links that annotate artifacts, runs, records and collections with labels and values.

Each annotated registry (a *host*) links to the label registries (``ULabel``,
``Record``, ``Project``) through link tables that carry the feature a label is a value
of (``feature_id``, empty for a plain label), and to :class:`FeatureValue` for
non-categorical values. The accessors keep lamindb's names:

============  ====================  ====================  =====================  ===============
host          ULabel                Record                Project                FeatureValue
============  ====================  ====================  =====================  ===============
Artifact      ``ulabels``           ``records``           ``projects``           ``json_values``
Run           ``ulabels``           ``records``           ``projects``           ``json_values``
Record        ``linked_ulabels``    ``linked_records``    ``linked_projects``    ``json_values``
Collection    ``ulabels``           ``records``           ``projects``
============  ====================  ====================  =====================  ===============

and on the label side ``ulabel.artifacts``, ``record.runs``, ``project.linked_in_records``,
``value.artifacts``, …. They are declared here, in one place, rather than in each
class body (the migration ``0006`` creates their tables).

Examples:
    >>> import lamin_pipes as ln
    >>> link = label_link(ln.Artifact, "ULabel")
    >>> link.accessor, link.host_column, link.label_column, link.feature_column
    ('ulabels', 'artifact_id', 'ulabel_id', 'feature_id')
    >>> label_link(ln.Record, "Record").label_column
    'to_record_id'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..orm._registry import add_many_to_many
from ..orm.fields import ManyToManyField
from .artifact import Artifact
from .collection import Collection
from .feature import Feature, FeatureValue
from .project import Project
from .record import Record
from .run import Run
from .ulabel import ULabel

#: host -> {label registry: (accessor on the host, accessor on the label)}
LABEL_ACCESSORS: dict[type, dict[str, tuple[str, str]]] = {
    Artifact: {
        "ULabel": ("ulabels", "artifacts"),
        "Record": ("records", "artifacts"),
        "Project": ("projects", "artifacts"),
    },
    Run: {
        "ULabel": ("ulabels", "runs"),
        "Record": ("records", "runs"),
        "Project": ("projects", "runs"),
    },
    Record: {
        "ULabel": ("linked_ulabels", "linked_in_records"),
        "Record": ("linked_records", "linked_in_records"),
        "Project": ("linked_projects", "linked_in_records"),
    },
    Collection: {
        "ULabel": ("ulabels", "collections"),
        "Record": ("records", "collections"),
        "Project": ("projects", "collections"),
    },
}
#: host -> (accessor of its feature values, accessor on FeatureValue)
VALUE_ACCESSORS: dict[type, tuple[str, str]] = {
    Artifact: ("json_values", "artifacts"),
    Run: ("json_values", "runs"),
    Record: ("json_values", "records"),
}
_LABELS = {"ULabel": ULabel, "Record": Record, "Project": Project}
_DOCS = {
    "ULabel": "ULabels annotating this {host}",
    "Record": "Records annotating this {host}",
    "Project": "Projects annotating this {host}",
}


@dataclass(frozen=True)
class LabelLink:
    """A host's link table to one label registry.

    Attributes:
        host: The annotated registry.
        registry: The label registry.
        accessor: The host's accessor (``"ulabels"``).
        table: The link table.
        host_column: Its column holding the host's id.
        label_column: Its column holding the label's id.
        feature_column: Its column holding the feature's id (empty for plain labels).
    """

    host: Any
    registry: Any
    accessor: str
    table: Any
    host_column: str
    label_column: str
    feature_column: str


@dataclass(frozen=True)
class ValueLink:
    """A host's link table to its feature values."""

    host: Any
    accessor: str
    table: Any
    host_column: str
    value_column: str


_LABEL_LINKS: dict[tuple[Any, str], LabelLink] = {}
_VALUE_LINKS: dict[Any, ValueLink] = {}


def _declare() -> None:
    for host, accessors in LABEL_ACCESSORS.items():
        for registry, (accessor, reverse) in accessors.items():
            doc = _DOCS[registry].format(host=host.__name__) + f" ← {reverse}."
            info = add_many_to_many(
                host,
                accessor,
                ManyToManyField(
                    _LABELS[registry], related_name=reverse, qualifier=Feature, doc=doc
                ),
            )
            _LABEL_LINKS[(host, registry)] = LabelLink(
                host=host,
                registry=_LABELS[registry],
                accessor=accessor,
                table=info.link,
                host_column=info.source_column,
                label_column=info.target_column,
                feature_column=info.qualifier_column,
            )
    for host, (accessor, reverse) in VALUE_ACCESSORS.items():
        doc = f"Feature values annotating this {host.__name__} ← {reverse}."
        info = add_many_to_many(
            host, accessor, ManyToManyField(FeatureValue, related_name=reverse, doc=doc)
        )
        _VALUE_LINKS[host] = ValueLink(
            host=host,
            accessor=accessor,
            table=info.link,
            host_column=info.source_column,
            value_column=info.target_column,
        )


_declare()


def _host_of(model: Any) -> Any:
    for host in LABEL_ACCESSORS:
        if issubclass(model, host):
            return host
    return None


def label_link(host: Any, registry: str) -> LabelLink:
    """The link table between ``host`` (a registry or record) and a label registry."""
    model = host if isinstance(host, type) else type(host)
    return _LABEL_LINKS[(_host_of(model), registry)]


def label_links(host: Any) -> list[LabelLink]:
    """Every label link of ``host`` (a registry or record), in a fixed order."""
    model = host if isinstance(host, type) else type(host)
    found = _host_of(model)
    return [link for (h, _), link in _LABEL_LINKS.items() if h is found]


def value_link(host: Any) -> ValueLink | None:
    """The link table between ``host`` and its feature values (``None`` for collections)."""
    model = host if isinstance(host, type) else type(host)
    return _VALUE_LINKS.get(_host_of(model))


__all__ = ["LabelLink", "ValueLink", "label_link", "label_links", "value_link"]
