"""Where things live: the registry, its storage, the inbox, and how steps execute.

Everything here is read from the environment when the code location loads, so the same
code runs on a laptop and on a cluster (see README, "Scaling out"):

- ``LAMIN_PIPES_DB``, ``LAMIN_PIPES_STORAGE``: the registry and its storage; unset, the
  embedded instance in ``./.lamin_pipes/`` (as ``ln.connect()``).
- ``LAMIN_PIPES_INBOX``: the folder new ``.h5ad`` batches land in; default
  ``./.lamin_pipes/inbox``.
- ``LAMIN_PIPES_EXECUTOR``: ``in_process``, ``multiprocess``, ``k8s`` or ``celery``; by
  default ``multiprocess`` when the registry is PostgreSQL, else ``in_process`` (one
  SQLite writer at a time).

Set variables are passed on as :class:`dagster.EnvVar`, so the Dagster UI shows the
variable's name, never its value (a database URL may hold a password).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import dagster as dg

from lamin_pipes.dagster import LaminIOManager, LaminResource

from ._synthetic import SUFFIX

INBOX_ENV = "LAMIN_PIPES_INBOX"
DEFAULT_INBOX = Path(".lamin_pipes") / "inbox"
EXECUTOR_ENV = "LAMIN_PIPES_EXECUTOR"
EXECUTORS = ("in_process", "multiprocess")


def env_or_none(name: str) -> str | None:
    """``EnvVar(name)`` when the variable is set and not empty, else ``None``."""
    return dg.EnvVar(name) if os.environ.get(name) else None


class Inbox(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The folder new batches (``<name>.h5ad``) land in.

    Attributes:
        path: The folder; ``None`` reads ``LAMIN_PIPES_INBOX``, else
            ``./.lamin_pipes/inbox``.
    """

    path: str | None = None

    def directory(self) -> Path:
        """The inbox folder (it may not exist yet)."""
        return Path(self.path or os.environ.get(INBOX_ENV) or DEFAULT_INBOX)

    def batch_path(self, name: str) -> Path:
        """The file of batch ``name``."""
        return self.directory() / f"{name}{SUFFIX}"

    def batch_files(self) -> list[Path]:
        """The batch files in the inbox, by name; hidden (partial) files are skipped."""
        folder = self.directory()
        if not folder.is_dir():
            return []
        return sorted(
            path
            for path in folder.iterdir()
            if path.suffix == SUFFIX and not path.name.startswith(".") and path.is_file()
        )


#: Executors of other packages: name → (module, attribute, pip requirement).
_PLUGGED_EXECUTORS = {
    "k8s": ("dagster_k8s", "k8s_job_executor", "dagster-k8s==0.29.27"),
    "celery": ("dagster_celery", "celery_executor", "dagster-celery==0.29.27"),
}


def executor() -> dg.ExecutorDefinition:
    """The executor of the jobs: ``LAMIN_PIPES_EXECUTOR``, else by registry backend.

    ``in_process`` and ``multiprocess`` come with Dagster; ``k8s`` (a pod per step) and
    ``celery`` (a Celery task per step) need ``dagster-k8s`` / ``dagster-celery``
    installed, and their own run config (image, namespace, broker).
    """
    choice = os.environ.get(EXECUTOR_ENV) or (
        "multiprocess"
        if os.environ.get("LAMIN_PIPES_DB", "").startswith("postgres")
        else "in_process"
    )
    if choice in _PLUGGED_EXECUTORS:
        module_name, attribute, requirement = _PLUGGED_EXECUTORS[choice]
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            msg = f"{EXECUTOR_ENV}={choice!r} needs {module_name}: pip install {requirement}"
            raise ValueError(msg) from None
        plugged: dg.ExecutorDefinition = getattr(module, attribute)
        return plugged
    if choice not in EXECUTORS:
        valid = ", ".join([*EXECUTORS, *_PLUGGED_EXECUTORS])
        msg = f"{EXECUTOR_ENV}={choice!r}: expected one of {valid}"
        raise ValueError(msg)
    return dg.multiprocess_executor if choice == "multiprocess" else dg.in_process_executor


def resources() -> dict[str, object]:
    """The resources of the code location: the registry IO manager, the registry, the inbox."""
    db, storage = env_or_none("LAMIN_PIPES_DB"), env_or_none("LAMIN_PIPES_STORAGE")
    return {
        "io_manager": LaminIOManager(db=db, storage=storage),
        "lamin": LaminResource(db=db, storage=storage),
        "inbox": Inbox(path=env_or_none(INBOX_ENV)),
    }
