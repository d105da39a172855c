"""What curation tells the user: the log messages of the curation methods.

``validate``, ``inspect``, ``standardize`` and ``from_values`` report here. Messages go to the ``logging`` logger ``"lamin_pipes"``, in lamindb's wording; the
callers skip these functions when ``mute=True``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ._curate_values import Keep, format_values, plural

if TYPE_CHECKING:
    from ._curate_match import Mapping
    from .can_curate import InspectResult

logger = logging.getLogger("lamin_pipes")


def warn_if_empty(qs: Any) -> bool:
    """Warn (and return ``True``) if the query set has no records at all."""
    if qs.exists():
        return False
    logger.warning("Your %s registry is empty, consider populating it first!", qs.model.__name__)
    return True


def log_stats(result: InspectResult, field: str, n_items: int) -> None:
    """How many distinct values are validated, and which are not."""
    if n_items == 0:
        logger.warning("input has zero length")
        return
    if result.n_empty > 0:
        empty = (
            "1 empty/duplicated term is"
            if result.n_empty == 1
            else (f"{result.n_empty} empty/duplicated terms are")
        )
        logger.warning("received %s, %s ignored", plural(result.n_unique, "unique term"), empty)
    n_val = len(result.validated)
    if n_val:
        logger.info(
            "%s (%.2f%%) %s validated for %s",
            plural(n_val, "unique term"),
            result.frac_validated,
            "is" if n_val == 1 else "are",
            field,
        )
    n_non = len(result.non_validated)
    if n_non:
        logger.warning(
            "%s (%.2f%%) %s not validated for %s: %s",
            plural(n_non, "unique term"),
            100 - result.frac_validated,
            "is" if n_non == 1 else "are",
            field,
            format_values(result.non_validated, 10),
        )


def log_inspect_hints(
    model: Any, non_validated: list[str], mapper: dict[str, Any], *, casing: bool
) -> None:
    """Suggest ``standardize`` for values with a casing or synonym match, new records else."""
    if mapper:
        logger.info(
            "   detected %s with %ssynonym%s: %s",
            plural(len(mapper), "unique term"),
            "inconsistent casing/" if casing else "",
            "" if len(mapper) == 1 else "s",
            format_values(mapper, 10),
        )
        logger.info("→  standardize terms via .standardize()")
    unmapped = [v for v in non_validated if v not in mapper]
    if unmapped:
        logger.info(
            "   couldn't validate %s: %s", plural(len(unmapped), "term"), format_values(unmapped)
        )
        logger.info(
            "→  if you are sure, create new record%s via %s() and save to your registry",
            "" if len(unmapped) == 1 else "s",
            model.__name__,
        )


def log_standardized(n_changed: int, n_items: int, *, keep: Keep, return_mapper: bool) -> None:
    """How many values ``standardize`` changed; a warning when lists may come back."""
    if n_changed:
        logger.info("standardized %d/%d term%s", n_changed, n_items, "" if n_changed == 1 else "s")
    if keep is False:
        what = (
            "mapper might contain lists as values"
            if return_mapper
            else ("list might contain lists")
        )
        logger.warning("returning %s when 'keep=False'", what)


def log_from_values(
    model: Any, field: str, mapping: Mapping, missing: list[str], *, create: bool
) -> None:
    """Which records ``from_values`` loaded (by value, by synonym) and which it built."""
    registry = model.__name__
    loaded = [v for v in mapping.targets if v not in mapping.via_synonym]
    if loaded:
        logger.info(
            "loaded %s matching %s: %s",
            plural(len(loaded), f"{registry} record"),
            field,
            format_values(loaded),
        )
    if mapping.via_synonym:
        logger.info(
            "loaded %s matching synonyms: %s",
            plural(len(mapping.via_synonym), f"{registry} record"),
            format_values(v for v in mapping.targets if v in mapping.via_synonym),
        )
    if missing and create:
        logger.info(
            "created %s (unsaved) for %s: %s",
            plural(len(missing), f"{registry} record"),
            field,
            format_values(missing),
        )
    elif missing:
        logger.info(
            "did not create %s for %s: %s",
            plural(len(missing), f"{registry} record"),
            plural(len(missing), f"non-validated {field}"),
            format_values(missing),
        )
