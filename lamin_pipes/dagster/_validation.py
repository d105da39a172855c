"""Validating a stored artifact against a schema, and what Dagster shows of the outcome.

Shared by the curation sensor and the schema asset check: both load an artifact, run the
curator of its kind over it, record the outcome on the artifact (features
``validation`` = ``"passed"``/``"failed"`` and ``validation_report``, queryable with
``ln.Artifact.filter(validation="failed")``), and turn the report into check metadata:
per problem its slot, column, kind and up to 20 bad values, plus a markdown table.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from ..core._context import active_run
from ..core._settings import settings
from ..curators import AnnDataCurator, DataFrameCurator, ValidationReport
from ..errors import InvalidArgument
from ..models import Artifact, Feature, Schema

#: Features the outcome is recorded in.
OUTCOME_FEATURE = "validation"
REPORT_FEATURE = "validation_report"
#: Bad values shown per problem in check metadata.
SHOWN_VALUES = 20


def resolve_schema(schema: Schema | str) -> Schema:
    """A saved schema: the one given, or the one with this name or uid."""
    if isinstance(schema, Schema):
        if schema.id is None:
            msg = f"Save the schema before validating against it: {schema!r}"
            raise InvalidArgument(msg)
        return schema
    found = Schema.filter(name=schema).first() or Schema.filter(uid=schema).first()
    if found is None:
        names = [s.name for s in Schema.filter().order_by("name")[:10]]
        msg = f"No schema named {schema!r} (or with that uid); saved schemas: {names}"
        raise InvalidArgument(msg)
    return found  # type: ignore[no-any-return]


def validate_artifact(artifact: Artifact, schema: Schema) -> ValidationReport:
    """The curator's report for the content of ``artifact`` against ``schema``."""
    curators = {"DataFrame": DataFrameCurator, "AnnData": AnnDataCurator}
    curator_class = curators.get(artifact.otype or "")
    if curator_class is None:
        msg = (
            f"Artifact {artifact.uid} ({artifact.key!r}) holds {artifact.otype!r}; only "
            f"{sorted(curators)} artifacts can be validated against a schema"
        )
        raise InvalidArgument(msg)
    data = artifact.load(is_run_input=False)
    return curator_class(data, schema).report  # type: ignore[no-any-return]


def _outcome_features() -> None:
    names = [OUTCOME_FEATURE, REPORT_FEATURE]
    existing = set(Feature.filter(name__in=names).to_list("name"))
    for name, dtype in ((OUTCOME_FEATURE, "str"), (REPORT_FEATURE, "dict")):
        if name not in existing:
            Feature(name=name, dtype=dtype).save()


def record_outcome(artifact: Artifact, report: ValidationReport) -> None:
    """Annotate ``artifact`` with the outcome and the report (replacing earlier ones only).

    Its other feature values (the labels a curator annotated, say) stay as they are.
    """
    record_outcomes([(artifact, report)])


def record_outcomes(outcomes: list[tuple[Artifact, ValidationReport]]) -> None:
    """:func:`record_outcome` for several artifacts, in one transaction.

    A sensor tick records its artifacts together: all outcomes land, or none do (and
    the tick, failing, leaves its cursor where it was).
    """
    if not outcomes:
        return
    # Name the run first: inside a Dagster step that makes the step's run, which must not
    # happen while the annotation's own transaction holds SQLite's write lock.
    active_run()
    _outcome_features()
    with settings.instance.atomic():
        for artifact, report in outcomes:
            features = artifact.features  # type: ignore[attr-defined]
            features.remove_values([OUTCOME_FEATURE, REPORT_FEATURE])
            features.add_values(
                {
                    OUTCOME_FEATURE: "passed" if report.ok else "failed",
                    REPORT_FEATURE: _compact(report),
                }
            )


def _compact(report: ValidationReport) -> dict[str, Any]:
    data = report.to_dict()
    for problem in data["problems"]:
        problem["values"] = problem["values"][:SHOWN_VALUES]
    return data


def markdown_table(report: ValidationReport) -> str:
    """The report as a markdown table (rendered by the Dagster UI)."""
    if report.ok:
        return f"{report.dataset} matches schema `{report.schema}`."
    rows = [
        "| slot | column | problem | count | values |",
        "|---|---|---|---|---|",
    ]
    for problem in report.problems:
        values = ", ".join(f"`{v}`" for v in problem.values[:SHOWN_VALUES])
        if problem.n_values > SHOWN_VALUES:
            values += f", … ({problem.n_values - SHOWN_VALUES} more)"
        rows.append(
            f"| {problem.slot or ''} | {problem.column or ''} | {problem.kind} | "
            f"{problem.n_values} | {values} |"
        )
    return "\n".join(rows)


def check_metadata(artifact: Artifact, report: ValidationReport) -> dict[str, Any]:
    """Asset-check metadata: the artifact, counts by kind, the problems and their table."""
    by_kind: dict[str, int] = {}
    for problem in report.problems:
        by_kind[problem.kind] = by_kind.get(problem.kind, 0) + 1
    return {
        "lamin/uid": artifact.uid,
        "lamin/key": artifact.key,
        "lamin/version": artifact.version,
        "schema": report.schema,
        "n_problems": len(report.problems),
        "problems_by_kind": dg.MetadataValue.json(by_kind),
        "problems": dg.MetadataValue.json(_compact(report)["problems"]),
        "report": dg.MetadataValue.md(markdown_table(report)),
    }


__all__ = [
    "OUTCOME_FEATURE",
    "REPORT_FEATURE",
    "check_metadata",
    "markdown_table",
    "record_outcome",
    "record_outcomes",
    "resolve_schema",
    "validate_artifact",
]
