"""Curated outputs: an asset's value standardized, validated and saved through a curator."""

from __future__ import annotations

from typing import Any

from ..curators import AnnDataCurator, DataFrameCurator, ValidationReport
from ..errors import InvalidArgument, ValidationError
from ..models import Artifact
from ..storage._serializers import otype_of
from . import _values
from ._validation import resolve_schema

_ON_INVALID = ("raise", "save")


def curated_artifact(
    value: Any,
    *,
    key: str,
    fmt: str | None,
    schema: Any,
    on_invalid: str = "raise",
    description: str | None = None,
    kind: str | None = None,
) -> tuple[Artifact, ValidationReport]:
    """An unsaved artifact of ``value`` after a curator standardized and validated it.

    Synonyms are replaced by canonical terms in ``value`` itself. A valid value becomes
    an artifact linked to the schema, annotated with its features and labels when saved.
    An invalid one raises ``ValidationError`` (``on_invalid="raise"``) or becomes a plain
    artifact (``"save"``) whose report the caller records.
    """
    if on_invalid not in _ON_INVALID:
        msg = f"lamin/on_invalid must be one of {list(_ON_INVALID)}, not {on_invalid!r}"
        raise InvalidArgument(msg)
    saved_schema = resolve_schema(schema)
    otype = otype_of(value)
    curators = {"DataFrame": DataFrameCurator, "AnnData": AnnDataCurator}
    if otype not in curators:
        msg = f"lamin/schema curates DataFrames and AnnData objects, not {otype}"
        raise InvalidArgument(msg)
    curator = curators[otype](value, saved_schema)
    curator.standardize()
    report = curator.report
    if not report.ok:
        if on_invalid == "raise":
            raise ValidationError(report.to_text())
        extra = {k: v for k, v in (("description", description), ("kind", kind)) if v}
        return _values.build_artifact(value, key=key, fmt=fmt, **extra), report
    if otype == "DataFrame":
        options: dict[str, Any] = {"format": fmt} if fmt else {}
        artifact = Artifact.from_dataframe(
            value,
            key=key,
            description=description,
            schema=saved_schema,
            skip_hash_lookup=True,
            **options,
        )
    else:
        artifact = Artifact.from_anndata(
            value,
            key=key,
            description=description,
            schema=saved_schema,
            format=fmt,
            skip_hash_lookup=True,
        )
    return artifact, report


__all__ = ["curated_artifact"]
