"""Extension points: query-set methods that the registry layer implements.

Every query set offers ``search``, ``lookup``, ``validate``, ``inspect`` and
``standardize``, as lamindb's ``BasicQuerySet`` does, but ranking, lookup objects and
curation are capabilities of :mod:`lamin_pipes.models`, the layer above this engine.
So are features: ``filter()`` hands keywords that are no field (and ``Feature``
predicates) to ``feature_filters``, and ``to_dataframe(features=...)`` asks
``feature_columns`` for the feature columns.
That layer names its implementations with :func:`implements` when it is imported, and
the query set calls them through :func:`implementation`; the engine never imports it.

Examples:
    >>> import lamin_pipes as ln  # imports the registry layer, which fills the points
    >>> sorted(name for name in EXTENSION_POINTS if implementation(name) is not None)
    ['feature_columns', 'feature_filters', 'inspect', 'lookup', 'search', 'standardize', 'validate']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import InvalidArgument, LaminPipesError

F = TypeVar("F", bound=Callable[..., Any])

#: The query-set methods whose implementation lives in the registry layer.
EXTENSION_POINTS = (
    "search",
    "lookup",
    "validate",
    "inspect",
    "standardize",
    "feature_filters",
    "feature_columns",
)

_IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {}


def implements(name: str) -> Callable[[F], F]:
    """Decorate the function that implements the query-set method ``name``.

    The function takes the query set as its first argument, then the method's own
    arguments.

    Raises:
        InvalidArgument: If ``name`` is not one of :data:`EXTENSION_POINTS`.
    """
    if name not in EXTENSION_POINTS:
        msg = f"Unknown extension point {name!r}. Valid ones: {', '.join(EXTENSION_POINTS)}"
        raise InvalidArgument(msg)

    def register(function: F) -> F:
        _IMPLEMENTATIONS[name] = function
        return function

    return register


def implementation(name: str) -> Callable[..., Any]:
    """The function registered for the query-set method ``name``.

    Raises:
        LaminPipesError: If nothing implements it, which only happens when
            ``lamin_pipes.orm`` is used without ``import lamin_pipes``.
    """
    found = _IMPLEMENTATIONS.get(name)
    if found is None:
        msg = (
            f"QuerySet.{name}() is implemented by lamin_pipes.models, which is not "
            "loaded; import lamin_pipes first."
        )
        raise LaminPipesError(msg)
    return found


def implementation_or_none(name: str) -> Callable[..., Any] | None:
    """The function registered for ``name``, or ``None`` while nothing implements it."""
    return _IMPLEMENTATIONS.get(name)
