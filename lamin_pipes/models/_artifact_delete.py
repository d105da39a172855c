"""Deleting and restoring artifacts: the trash, permanent deletes, family heads.

Trashing the latest version of a family makes the newest remaining one the latest;
a permanent delete removes the stored content too, unless other versions share it.
Content registered in place (at a path of its own) is deleted only with
``storage=True`` or when the user confirms, as lamindb asks.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import update
from sqlalchemy.orm import attributes

from ..errors import InvalidArgument
from ..orm._records import convert_integrity_error, record_instance
from ._artifact_in_place import is_in_place
from ._artifact_store import forget_cached, remove, storage_key
from ._is_versioned import is_version_conflict, latest_in_family, promote_newest
from ._shared_content import is_shared, owns_content
from .storage import storage_by_id

logger = logging.getLogger("lamin_pipes")


def delete_artifact(artifact: Any, *, permanent: bool | None, delete_storage: bool | None) -> None:
    """Trash or permanently delete an artifact; see :meth:`Artifact.delete`."""
    artifact._check_writable()
    artifact._check_not_locked("delete")
    if artifact.id is None:
        msg = "Cannot delete an unsaved Artifact."
        raise InvalidArgument(msg)
    inst = record_instance(artifact)
    model = type(artifact)
    stem = artifact.stem_uid
    was_latest = bool(artifact.is_latest)
    if permanent is True or (permanent is None and artifact.branch_id == -1):
        storage = storage_by_id(inst, artifact.storage_id)
        key = storage_key(artifact)
        # In a family with one shared object, the object goes with the version whose
        # bytes it holds, and stays for the others.
        shares_content = is_shared(artifact) and not owns_content(artifact, storage.store)
        with inst.atomic():
            if was_latest:
                promote_newest(inst, model, stem, exclude_id=artifact.id)
            artifact._hard_delete()
        if delete_storage is False:
            logger.info("a file/folder remains here: %s", storage.store.uri(key))
        elif delete_storage is None and is_in_place(artifact):
            delete_storage = _confirm(storage.store.uri(key))
        if delete_storage is not False and not shares_content:
            is_dir = bool(artifact.n_files) or artifact.suffix in (".zarr",)
            remove(storage.store, key, is_dir=is_dir)
            forget_cached(storage.store, key)
        return
    with inst.atomic():
        artifact._set_branch(-1)
        if was_latest:
            promote_newest(inst, model, stem, exclude_id=artifact.id)
    attributes.set_committed_value(artifact, "is_latest", value=False)


def _confirm(where: str) -> bool:
    """Ask whether to delete content registered in place (lamindb asks too).

    Without an interactive terminal nothing is asked and the content stays: deleting
    data this package did not write takes ``storage=True``.
    """
    if not sys.stdin or not sys.stdin.isatty():
        logger.warning(
            "Artifact record deleted; the data it was registered for stays at %s (it was "
            "registered in place): pass storage=True to delete it too.",
            where,
        )
        return False
    answer = input(
        f"Artifact record deleted. Do you ALSO want to delete the data in storage at "
        f"{where}? (y/n) You can't undo this action."
    )
    return answer.strip().lower() == "y"


def restore_artifact(artifact: Any) -> None:
    """Restore from the trash; the artifact becomes latest if its family has no head."""
    artifact._check_writable()
    inst = record_instance(artifact)
    model = type(artifact)
    table = model.__table__
    with inst.atomic() as session:
        artifact._set_branch(1)
        head = latest_in_family(session, model, stem=artifact.stem_uid, key=None)
        if head is None:
            try:
                with inst.session() as write:
                    write.execute(
                        update(table).where(table.c.id == artifact.id).values(is_latest=True)
                    )
                attributes.set_committed_value(artifact, "is_latest", value=True)
            except sa_exc.IntegrityError as error:
                if not is_version_conflict(error, model):
                    raise convert_integrity_error(error, artifact) from None
                # another family took the key meanwhile: stay a non-head
                attributes.set_committed_value(artifact, "is_latest", value=False)
