"""``LaminResource``: the registry, opened once per process, for assets and ops."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from ..core._connect import connect
from ..core._instance import Instance
from ..core._settings import settings
from . import _runs

_lock = threading.Lock()
#: (pid, db, storage) → the instance opened for those settings in this process.
_opened: dict[tuple[int, str | None, str | None], Instance] = {}


def open_registry(db: str | None, storage: str | None) -> Instance:
    """The instance for ``db``/``storage``, connected once per process and made current.

    With neither given and an instance already current in this process (a notebook or
    test that called ``ln.connect(...)``), that instance is used; otherwise both default
    as :func:`lamin_pipes.connect` does (``LAMIN_PIPES_DB`` / ``LAMIN_PIPES_STORAGE``, else
    the embedded ``./.lamin_pipes/``).
    """
    if db is None and storage is None and settings._instance is not None:
        return settings._instance
    key = (os.getpid(), db, storage)
    with _lock:
        instance = _opened.get(key)
        if instance is not None and settings._instance is instance:
            return instance
        instance = connect(db, storage)
        _opened[key] = instance
        return instance


def setup_registry(
    db: str | None, storage: str | None, context: dg.InitResourceContext
) -> str | None:
    """Open the registry and map the steps of the context's Dagster run; its run id."""
    open_registry(db, storage)
    run = context.run
    if run is None:
        return None
    _runs.enable(run.run_id)
    return str(run.run_id)


def teardown_registry(run_id: str | None, context: dg.InitResourceContext) -> None:
    """Let go of the Dagster run; the last resource of the process finishes its runs."""
    if run_id is None:
        return
    runs = _runs.disable(run_id)
    if runs and context.instance is not None:
        _runs.finish(context.instance, run_id, runs)


class LaminResource(dg.ConfigurableResource):
    """The lamin_pipes registry as a Dagster resource.

    The registry opens once per process when the resource is set up for execution; while
    a step runs, records saved in it belong to the step's registry run (see
    :mod:`lamin_pipes.dagster`), so ``ln.ULabel(name=...).save()`` inside an asset is
    traced to it.

    Examples:
        >>> import dagster as dg
        >>> from lamin_pipes.dagster import LaminResource
        >>> @dg.asset
        ... def labels(lamin: LaminResource) -> None:
        ...     lamin.ln.ULabel(name="from-dagster").save()
        >>> import lamin_pipes as ln
        >>> resource = LaminResource(db=ln.settings.instance.db, storage=ln.settings.storage.root_as_str)
        >>> dg.materialize([labels], resources={"lamin": resource}).success
        True
        >>> ln.ULabel.get(name="from-dagster").run.reference_type
        'dagster_step'
    """

    db: str | None = None
    """SQLAlchemy URL or SQLite path of the registry (default: as ``ln.connect()``)."""
    storage: str | None = None
    """Storage root, a directory or ``s3://bucket/prefix`` (default: as ``ln.connect()``)."""

    _run_id: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._run_id = setup_registry(self.db, self.storage, context)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        teardown_registry(self._run_id, context)
        self._run_id = None

    @property
    def ln(self) -> Any:
        """The ``lamin_pipes`` module (``lamin.ln.Artifact.filter(...)``)."""
        return sys.modules["lamin_pipes"]

    @property
    def instance(self) -> Instance:
        """The registry instance this resource opened."""
        return open_registry(self.db, self.storage)

    @property
    def run(self) -> Any:
        """The registry run records saved now belong to (the step's run inside a step)."""
        from ..core._context import active_run

        return active_run()


__all__ = ["LaminResource", "open_registry", "setup_registry", "teardown_registry"]
