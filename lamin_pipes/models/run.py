"""Runs and transforms, and the mixins that tie records to them.

``TracksRun`` gives a registry ``created_at``, ``created_by`` and ``run``, filled in
automatically from the current user and run; ``TracksUpdates`` keeps ``updated_at``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import attributes

from ..core._context import active_run
from ..core._settings import settings
from ..core._types import utcnow
from ..core._uid import base62_20
from ..errors import FieldValidationError, InvalidArgument
from ..orm import fields
from ..orm._records import become_existing, record_instance
from ..orm.sqlrecord import SQLRecord
from ..storage._hashing import StreamingHasher
from ._is_versioned import (
    IsVersioned,
    check_revises_tag,
    family_indexes,
    insert_version,
    new_uid_12,
    promote_newest,
)
from ._transform_existing import existing_transform


class TracksRun:
    """Mixin: the creating user, the creating run and the creation time.

    Examples:
        >>> import lamin_pipes as ln
        >>> label = ln.ULabel(name="tracked").save()
        >>> label.created_by.handle == ln.settings.user.handle
        True
    """

    created_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, editable=False, doc="Time of creation of record."
    )
    created_by: Any = fields.ForeignKey(
        "User", fields.PROTECT, null=True, related_name="+", doc="Creator of record."
    )
    run: Any = fields.ForeignKey(
        "Run",
        fields.PROTECT,
        null=True,
        related_name="+",
        doc="Run that created the record.",
    )

    def _before_save(self) -> None:
        state = self.__dict__
        _fill_created_by(self)
        if state.get("run_id") is None and state.get("id") is None:
            run = active_run()
            if run is not None:
                self.run_id = run.id


class TracksUpdates:
    """Mixin: ``updated_at``, refreshed whenever the record is saved with changes."""

    updated_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, editable=False, doc="Time of last update."
    )

    def _before_save(self) -> None:
        if self.__dict__.get("id") is not None:
            self.updated_at = utcnow()


#: The kinds of transform lamindb knows (its ``TransformKind``).
TRANSFORM_KINDS = ("function", "notebook", "pipeline", "script")


def _check_kind(kind: Any) -> None:
    if kind is not None and kind not in TRANSFORM_KINDS:
        msg = (
            f"Transform.kind {kind!r} is not a valid value; valid values are: "
            f"{', '.join(TRANSFORM_KINDS)}"
        )
        raise FieldValidationError(msg)


class Transform(SQLRecord, IsVersioned, TracksUpdates):
    """Data transformations: a pipeline, a function, a Dagster asset definition.

    Transforms are versioned like artifacts: saving a new transform under an existing
    ``key`` (or with ``revises=``) creates the next version of that family.

    As in lamindb, the constructor returns a saved transform where one fits: the latest
    one with the key while it has no source code, the one with the same source code,
    the one with the key and ``version`` (see :mod:`~lamin_pipes.models._transform_existing`).
    ``skip_hash_lookup=True`` skips the source-code match.
    ``ln.settings.creation.search_names = False`` only skips the key-and-version match,
    as in lamindb.

    Examples:
        >>> import lamin_pipes as ln
        >>> t1 = ln.Transform(key="example.py", kind="script", source_code="print(1)").save()
        >>> t2 = ln.Transform(key="example.py", source_code="print(2)", version="2.0").save()
        >>> t2.stem_uid == t1.stem_uid, t2.version, t1.version
        (True, '2.0', '0000')
        >>> ln.Transform(key="example.py", source_code="print(2)") == t2
        True
        >>> draft = ln.Transform(key="pipeline-draft").save()
        >>> ln.Transform(key="pipeline-draft") == draft  # no source code saved yet
        True
    """

    _name_field = "key"
    _len_stem = 12
    _family_key = ("key",)
    _delete_one_by_one = True

    uid: str = fields.CharField(
        max_length=16,
        unique=True,
        editable=False,
        default=new_uid_12,
        doc="A universal id: 12-character stem plus a 4-character version counter.",
    )
    key: str | None = fields.CharField(
        max_length=1024, null=True, db_index=True, doc="A name or path, e.g. the asset key."
    )
    description: str | None = fields.TextField(null=True, doc="A description.")
    kind: str = fields.CharField(
        max_length=20,
        default="pipeline",
        db_index=True,
        doc="pipeline, notebook, script, function, …",
    )
    source_code: str | None = fields.TextField(null=True, doc="Source code.")
    predecessors: Any = fields.ManyToManyField(
        "self",
        related_name="successors",
        doc="Preceding transforms ← successors (declared by hand; lineage needs none).",
    )
    hash: str | None = fields.CharField(
        max_length=22, null=True, db_index=True, doc="Hash of the source code."
    )
    created_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, editable=False, doc="Time of creation of record."
    )
    created_by: Any = fields.ForeignKey(
        "User", fields.PROTECT, null=True, related_name="+", doc="Creator of the transform."
    )

    @classmethod
    def from_path(
        cls,
        path: str | os.PathLike[str],
        key: str | None = None,
        kind: str | None = None,
        version: str | None = None,
        description: str | None = None,
        skip_hash_lookup: bool = False,
    ) -> Transform:
        """The saved transform of a script or notebook file, as lamindb's ``from_path``.

        The key defaults to the file name, the kind to ``"notebook"`` for ``.ipynb``,
        ``.Rmd`` and ``.qmd`` files and ``"script"`` otherwise. The latest transform
        with the key is returned if it has the same source code; changed source makes
        its next version (``skip_hash_lookup=True`` always makes a new version).

        Examples:
            >>> import lamin_pipes as ln, pathlib, tempfile
            >>> script = pathlib.Path(tempfile.mkdtemp()) / "clean.py"
            >>> _ = script.write_text("print('clean')")
            >>> t = ln.Transform.from_path(script)
            >>> t.key, t.kind, t == ln.Transform.from_path(script)
            ('clean.py', 'script', True)
        """
        from ._transform_source import latest_transform  # it builds on this module

        file = Path(path).expanduser()
        if not file.is_file():
            msg = f"Transform.from_path() takes the path of a file, got {str(path)!r}"
            raise InvalidArgument(msg)
        if kind is None:
            kind = "notebook" if file.suffix in (".ipynb", ".Rmd", ".qmd") else "script"
        source = file.read_text(encoding="utf-8")
        key = key if key is not None else file.name
        if skip_hash_lookup:
            fresh = cls(
                key=key, kind=kind, source_code=source, version=version, _search_names=False
            )
            fresh.description = description
            return fresh.save()  # type: ignore[no-any-return]
        transform = latest_transform(key, kind=kind, source=source, version=version)
        if description is not None and transform.description != description:
            transform.description = description
            transform.save()
        return transform

    def __init__(
        self,
        *args: Any,
        revises: Transform | None = None,
        version: str | None = None,
        skip_hash_lookup: bool = False,
        **kwargs: Any,
    ) -> None:
        search_names: bool | None = kwargs.pop("_search_names", None)
        if version is not None:
            kwargs["version_tag"] = version
        if "kind" in kwargs and kwargs["kind"] is None:
            del kwargs["kind"]  # lamindb: no kind means the default, "pipeline"
        if revises is not None:
            if not isinstance(revises, Transform):
                msg = f"revises must be a Transform, not {type(revises).__name__}: {revises!r}"
                raise InvalidArgument(msg)
            kwargs.setdefault("key", revises.key)
            check_revises_tag(revises, kwargs.get("version_tag"))
        source = kwargs.get("source_code")
        if source is not None and kwargs.get("hash") is None:
            kwargs["hash"] = hash_text(source)
        super().__init__(*args, **kwargs)
        if search_names is not False:
            existing = existing_transform(
                type(self),
                kwargs,
                revises,
                skip_hash_lookup=skip_hash_lookup,
                search_names=search_names,
            )
            if existing is not None:
                become_existing(self, existing, {"description": kwargs.get("description")})
                return
        self.__dict__["_lp_revises"] = revises

    def _check_init(self, kwargs: dict[str, Any]) -> None:
        _check_kind(kwargs.get("kind"))

    def save(self, *args: Any, **kwargs: Any) -> Transform:  # type: ignore[override]
        """Save; a new transform joins its key's family as the next version."""
        if self.__dict__.get("id") is not None:
            return super().save(*args, **kwargs)  # type: ignore[return-value]
        return self._insert(only_new_family=False)

    def delete(self, permanent: bool | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Trash (or with ``permanent=True`` delete) the transform.

        Deleting the latest version makes the newest remaining one the latest.
        """
        was_latest = self.id is not None and bool(self.is_latest)
        inst = record_instance(self)
        with inst.atomic():
            super().delete(permanent=permanent, **kwargs)
            if was_latest:
                promote_newest(inst, Transform, self.stem_uid, exclude_id=self.id)
        if was_latest:
            attributes.set_committed_value(self, "is_latest", value=False)

    def _insert(self, *, only_new_family: bool, strict_revises: bool = False) -> Transform:
        inst = self._check_writable()
        self._prepare_save()
        insert_version(
            self,
            inst,
            revises=self.__dict__.get("_lp_revises"),
            only_new_family=only_new_family,
            strict_revises=strict_revises,
        )
        self.__dict__.pop("_lp_revises", None)
        self._lp_instance = inst
        return self

    def _prepare_save(self) -> None:
        _check_kind(self.__dict__.get("kind"))  # also when set after construction
        super()._prepare_save()
        _fill_created_by(self)


def hash_text(text: str) -> str:
    """The hash lamindb stores for source code (of ``text``'s UTF-8 bytes).

    Examples:
        >>> hash_text("print(1)") == hash_text("print(1)") != hash_text("print(2)")
        True
    """
    data = text.encode()
    hasher = StreamingHasher(len(data))
    hasher.update(data)
    return hasher.result().hash


class Run(SQLRecord):
    """One execution of a transform, e.g. one Dagster run.

    Examples:
        >>> import lamin_pipes as ln
        >>> transform = ln.Transform(key="run-example", kind="function").save()
        >>> run = ln.Run(transform, name="first", params={"lr": 0.1}).save()
        >>> run.transform == transform, run.params
        (True, {'lr': 0.1})
    """

    _name_field = "name"

    uid: str = fields.CharField(
        max_length=20, unique=True, editable=False, default=base62_20, doc="A universal random id."
    )
    name: str | None = fields.CharField(max_length=150, null=True, doc="An optional name.")
    transform: Any = fields.ForeignKey(
        Transform, fields.CASCADE, related_name="runs", doc="The transform that ran."
    )
    started_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, doc="Start time of the run."
    )
    finished_at: Any = fields.DateTimeField(null=True, db_index=True, doc="Finish time of the run.")
    status: str | None = fields.CharField(
        max_length=20, null=True, db_index=True, doc="scheduled, started, completed, errored, …"
    )
    params: Any = fields.JSONField(null=True, doc="Parameters of the run.")
    reference: str | None = fields.CharField(
        max_length=255,
        null=True,
        db_index=True,
        doc="An external reference such as a Dagster run id.",
    )
    reference_type: str | None = fields.CharField(
        max_length=25, null=True, db_index=True, doc="The kind of reference, e.g. dagster_run_id."
    )
    created_at: Any = fields.DateTimeField(
        auto_now_add=True, db_index=True, doc="Time of creation of record."
    )
    created_by: Any = fields.ForeignKey(
        "User", fields.PROTECT, null=True, related_name="+", doc="Who ran it."
    )
    initiated_by_run: Any = fields.ForeignKey(
        "self",
        fields.SET_NULL,
        null=True,
        related_name="initiated_runs",
        doc="The run that triggered this one.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """A run of ``transform``, which must be saved: ``Run(transform, params=...)``.

        As in lamindb, the transform is the one argument that may be positional.
        """
        if args:
            if len(args) > 1 or "transform" in kwargs:
                msg = (
                    "Run() takes one positional argument, the transform; pass the rest "
                    f"by keyword. Got positional {args!r}"
                    + (" and transform=..." if "transform" in kwargs else "")
                )
                raise FieldValidationError(msg)
            kwargs["transform"] = args[0]
        transform = kwargs.get("transform")
        if transform is None:
            if kwargs.get("transform_id") is None:
                msg = "Run() needs a transform: Run(transform, name=..., params=...)"
                raise FieldValidationError(msg)
        elif not isinstance(transform, Transform):
            msg = f"Run() needs a Transform, got {type(transform).__name__} {transform!r}"
            raise FieldValidationError(msg)
        elif transform.__dict__.get("id") is None:
            msg = f"Save the transform before creating a run of it: {transform!r}"
            raise InvalidArgument(msg)
        super().__init__(**kwargs)

    def _prepare_save(self) -> None:
        super()._prepare_save()
        _fill_created_by(self)


def _fill_created_by(record: Any) -> None:
    if record.__dict__.get("created_by_id") is None:
        user = settings._user if settings._instance is not None else settings.user
        if user is not None:
            record.created_by_id = user.id


family_indexes(Transform)
