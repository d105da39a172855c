"""lamin_pipes: lamindb's registry API on SQLAlchemy 2, native to Dagster.

Import it as lamindb users do::

    import lamin_pipes as ln

    ln.connect()  # or: the embedded default instance opens on first use
    label = ln.ULabel(name="train").save()
    ln.ULabel.filter(name__startswith="tr").to_dataframe()

Examples:
    >>> import lamin_pipes as ln
    >>> ln.Record(name="hello").save().name
    'hello'
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

# Importing the registries allocates tens of thousands of long-lived objects and next to
# no garbage, yet the cyclic garbage collector would walk them several times meanwhile
# (about 40 ms, a tenth of the import). It is paused for the import and resumed after.
_collecting = gc.isenabled()
gc.disable()
try:
    from . import errors, models, setup
    from .core._connect import connect
    from .core._settings import set_storage_record_loader, settings
    from .models import (
        Artifact,
        Branch,
        Collection,
        Feature,
        Project,
        Q,
        Record,
        Run,
        Schema,
        Space,
        SQLRecord,
        Storage,
        Transform,
        ULabel,
        User,
        _features,  # noqa: F401  (marks Artifact, Record, Run)
    )
    from .models._bulk_save import save
    from .models._curation_hook import set_curation_hook
    from .models._flow import flow, step
    from .models._tracking import context, finish, track
    from .models._view import view
    from .orm import fields

    set_storage_record_loader(Storage.default)  # ln.settings.storage.record
finally:
    if _collecting:
        gc.enable()
    del _collecting

__version__ = "0.1.0"


def _curate(dataset: Any, schema: Any, kind: str) -> Any:
    """``Artifact.from_dataframe/from_anndata(schema=...)``: the curators, loaded on first use.

    The registries sit below the curators and cannot import them; this package's top
    level can (see ``lamin_pipes.models._curation_hook``).
    """
    from .curators._artifact import curate_for_artifact

    return curate_for_artifact(dataset, schema, kind)


set_curation_hook(_curate)


def __getattr__(name: str) -> Any:
    """``ln.curators`` is imported on first access: it needs pandas, ``import lamin_pipes`` does not."""
    if name == "curators":
        import importlib

        return importlib.import_module(".curators", __name__)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


@contextlib.contextmanager
def atomic() -> Iterator[Any]:
    """Group writes into one transaction: all of them land, or none.

    Blocks nest (inner blocks are savepoints).

    Examples:
        >>> import lamin_pipes as ln
        >>> with ln.atomic():
        ...     a = ln.ULabel(name="atomic-a").save()
        ...     b = ln.ULabel(name="atomic-b").save()
    """
    with settings.instance.atomic() as session:
        yield session


__all__ = [
    "Artifact",
    "Branch",
    "Collection",
    "Feature",
    "Project",
    "Q",
    "Record",
    "Run",
    "SQLRecord",
    "Schema",
    "Space",
    "Storage",
    "Transform",
    "ULabel",
    "User",
    "__version__",
    "atomic",
    "connect",
    "context",
    "curators",
    "errors",
    "fields",
    "finish",
    "flow",
    "models",
    "save",
    "settings",
    "setup",
    "step",
    "track",
    "view",
]
