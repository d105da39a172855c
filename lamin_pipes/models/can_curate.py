"""Placeholder replaced by the curation module (inspect/validate/standardize)."""

from __future__ import annotations


class CanCurate:
    """Mixin providing registry-based validation."""


class InspectResult:
    """Result of ``inspect``."""


class ValidateFields:
    """Marker for registries whose fields can be validated."""
