"""Version families: ``IsVersioned`` and the one place where ``is_latest`` moves.

A versioned record's uid is a random *stem* (16 characters for artifacts and
collections, 12 for transforms) followed by a 4-character base62 counter: ``"0000"``
for the first version, ``"0001"`` for the next, and so on. All records sharing a stem
form a family; exactly one of them has ``is_latest = True``.

Invariants are enforced by the database, not only by this code, so concurrent
processes cannot break them:

- ``uid`` is unique: two writers can never create the same version twice;
- a partial unique index on the stem (``substr(uid, 1, n)``) where ``is_latest``: never
  two heads in one family;
- a partial unique index on the family key where ``is_latest`` (``(storage_id, key)``
  for artifacts, ``key`` for collections and transforms): saving under a key always
  extends one family;
- a partial unique index on ``(stem, version_tag)``: tags are unique in a family.

:func:`insert_version` writes a new record in one transaction, moving ``is_latest``
from the head with a guarded ``UPDATE``; when a concurrent writer won the race (a unique
violation or an ``UPDATE`` that found no head), the transaction is rolled back and the
insert retried against the new head.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Index,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import attributes

from ..core._uid import base62
from ..errors import IntegrityError, InvalidArgument
from ..orm import fields
from ..orm._indexes import declare_later
from ..orm._query_compiler import bytewise
from ..orm._records import convert_integrity_error, make_saved
from ..orm._values import check_values
from ..orm.query_set import QuerySet

if TYPE_CHECKING:
    from ..core._instance import Instance

logger = logging.getLogger("lamin_pipes")

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_COUNTER_LEN = 4
_MAX_ATTEMPTS = 50


class VersionConflict(Exception):
    """Internal: a concurrent writer changed the family; the transaction is retried."""


class FamilyExists(Exception):
    """Internal: ``insert_version(only_new_family=True)`` found a family with the key."""


class Duplicate(Exception):
    """Internal: ``insert_version(find_duplicate=...)`` found a record to return instead."""

    def __init__(self, record_id: int) -> None:
        super().__init__(record_id)
        self.record_id = record_id


def _advisory_lock(session: Any, name: str) -> None:
    """Serialize transactions on ``name`` (PostgreSQL; SQLite writers are serialized)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    session.execute(_ADVISORY_LOCK, {"key": key})


def encode_counter(n: int) -> str:
    """The 4-character base62 version counter for ``n``.

    Examples:
        >>> encode_counter(0), encode_counter(1), encode_counter(62)
        ('0000', '0001', '0010')
    """
    if not 0 <= n < 62**_COUNTER_LEN:
        msg = f"Version counter {n} is out of range: a family holds at most 62**4 versions"
        raise InvalidArgument(msg)
    chars = []
    for _ in range(_COUNTER_LEN):
        n, rest = divmod(n, 62)
        chars.append(_BASE62[rest])
    return "".join(reversed(chars))


def decode_counter(counter: str) -> int:
    """The integer of a 4-character base62 counter.

    Examples:
        >>> decode_counter("0010")
        62
    """
    n = 0
    for char in counter:
        n = n * 62 + _BASE62.index(char)
    return n


def first_version_uid(stem_len: int) -> str:
    """A new family's first uid: a random stem plus ``"0000"``."""
    return base62(stem_len) + "0000"


def new_uid_16() -> str:
    """Default uid of artifacts and collections: 16-character stem + ``"0000"``."""
    return first_version_uid(16)


def new_uid_12() -> str:
    """Default uid of transforms: 12-character stem + ``"0000"``."""
    return first_version_uid(12)


class IsVersioned:
    """Mixin for versioned registries: ``version_tag``, ``is_latest`` and the family API.

    Registries using it define ``_len_stem`` and ``_family_key`` (the columns that
    identify a family besides the stem, e.g. ``("storage_id", "key")``).
    """

    _len_stem: int = 16
    _family_key: tuple[str, ...] = ("key",)

    version_tag: str | None = fields.CharField(
        max_length=30, null=True, db_index=True, doc="A version tag, e.g. '1.0' or a code_version."
    )
    is_latest: bool = fields.BooleanField(
        default=True, db_index=True, doc="Whether this is the latest version of its family."
    )

    def _check_init(self, kwargs: dict[str, Any]) -> None:
        """Refuse a version that is not a string, at construction (as lamindb does)."""
        check_version_tag(kwargs.get("version_tag"))

    @property
    def stem_uid(self) -> str:
        """The uid without the version counter: identifies the version family."""
        return self.uid[: self._len_stem]  # type: ignore[attr-defined,no-any-return]

    @property
    def version(self) -> str:
        """``version_tag`` if set, else lamindb's counter at the end of the uid.

        The first version is ``"0000"``, the next ``"0001"`` (base62), as in lamindb.
        """
        if self.version_tag:
            return self.version_tag
        return str(self.uid[self._len_stem :])  # type: ignore[attr-defined]

    @property
    def versions(self) -> QuerySet[Any]:
        """All versions of this record's family, oldest first (trash excluded)."""
        model = type(self)
        qs: QuerySet[Any] = QuerySet(model)
        family = qs.filter(uid__startswith=self.stem_uid).exclude(branch_id=-1)
        return family.order_by(bytewise(model.__table__.c.uid))  # type: ignore[attr-defined,return-value]

    @property
    def overwrite_versions(self) -> bool:
        """Whether new versions replace the previous ones in storage (lamindb's flag)."""
        return bool(self.__dict__.get("_overwrite_versions"))


def check_version_tag(version: Any) -> None:
    """Raise unless ``version`` is ``None`` or a string (lamindb refuses ``version=0``).

    Examples:
        >>> check_version_tag("1.0")
        >>> check_version_tag(2)
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: version must be None or a str such as '1', \
'0.1' or '2024-06'; got int 2
    """
    if version is not None and not isinstance(version, str):
        msg = (
            "version must be None or a str such as '1', '0.1' or '2024-06'; "
            f"got {type(version).__name__} {version!r}"
        )
        raise InvalidArgument(msg)


def check_revises_tag(revises: Any, version: Any) -> None:
    """Refuse a version tag that the revised record already carries, as lamindb does.

    Examples:
        >>> import lamin_pipes as ln
        >>> check_revises_tag(None, "1.0")
        >>> v1 = ln.Transform(key="tags.py", version="1.0").save()
        >>> check_revises_tag(v1, "1.0")
        Traceback (most recent call last):
        ...
        lamin_pipes.errors.InvalidArgument: Version '1.0' is taken by the revised Transform '...'; pass another version or None
    """
    if revises is None or version is None:
        return
    taken = revises.__dict__.get("version_tag")
    if taken is not None and taken == version:
        msg = (
            f"Version {version!r} is taken by the revised {type(revises).__name__} "
            f"{revises.uid!r}; pass another version or None"
        )
        raise InvalidArgument(msg)


def family_indexes(model: Any) -> None:
    """Have the version-family indexes (see the module docstring) of ``model`` declared.

    They are declared on demand (:mod:`lamin_pipes.orm._indexes`), not at import: their
    partial-index clauses cost about 40 ms of ``import lamin_pipes``, and nothing at run
    time needs them in the metadata (migrations create them).
    """
    declare_later(functools.partial(_declare_family_indexes, model))


def _declare_family_indexes(model: Any) -> None:
    table = model.__table__
    name = table.name
    stem = func.substr(table.c.uid, 1, model._len_stem)
    latest = table.c.is_latest == true()
    Index(f"ix_{name}_stem", stem)
    Index(
        f"uq_{name}_latest",
        stem,
        unique=True,
        sqlite_where=latest,
        postgresql_where=latest,
    )
    key_cols = [table.c[c] for c in model._family_key]
    key_where = and_(latest, table.c.key.isnot(None))
    Index(
        f"uq_{name}_key_latest",
        *key_cols,
        unique=True,
        sqlite_where=key_where,
        postgresql_where=key_where,
    )
    tag_where = table.c.version_tag.isnot(None)
    Index(
        f"uq_{name}_version_tag",
        stem,
        table.c.version_tag,
        unique=True,
        sqlite_where=tag_where,
        postgresql_where=tag_where,
    )


#: SQLite's extended result code of a unique violation (``sqlite3.SQLITE_CONSTRAINT_UNIQUE``).
_SQLITE_CONSTRAINT_UNIQUE = 2067


def is_version_conflict(error: sa_exc.IntegrityError, model: Any) -> bool:
    """Whether the database refused a row of ``model`` because another writer won a race.

    Only a unique violation of a family constraint counts: the uid (the same version
    twice), one head per stem, one head per family key. The driver says which one:
    PostgreSQL by SQLSTATE 23505 and the constraint name; SQLite by its extended error
    code and what it names (the column for the uid, the index for the stem's head, the
    key columns for the key's head). Any other refusal (a foreign key, a ``NOT NULL``)
    is not a race, whatever its message happens to contain.
    """
    orig = error.orig
    table = model.__tablename__
    names = {f"uq_{table}_uid", f"uq_{table}_latest", f"uq_{table}_key_latest"}
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:  # psycopg
        constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
        return sqlstate == "23505" and constraint in names
    if getattr(orig, "sqlite_errorcode", None) == _SQLITE_CONSTRAINT_UNIQUE:
        failed = str(orig).partition("UNIQUE constraint failed: ")[2]
        key_columns = ", ".join(f"{table}.{column}" for column in model._family_key)
        return failed in (f"{table}.uid", key_columns, f"index 'uq_{table}_latest'")
    return False


_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _statement(model: Any, name: str, *extra: str) -> Any:
    """Statements of the version protocol, built once per registry (bind parameters)."""
    cache_key = (model, name, *extra)
    stmt = _STATEMENTS.get(cache_key)
    if stmt is not None:
        return stmt
    table = model.__table__
    stem = func.substr(table.c.uid, 1, model._len_stem)
    if name == "head_by_stem":
        stmt = (
            select(table.c.id, table.c.uid)
            .where(table.c.is_latest == true(), stem == bindparam("stem"))
            .limit(1)
        )
    elif name == "head_by_key":
        stmt = select(table.c.id, table.c.uid).where(table.c.is_latest == true())
        for column in extra:
            stmt = stmt.where(table.c[column] == bindparam(column))
        stmt = stmt.limit(1)
    elif name == "demote":
        stmt = (
            update(table)
            .where(table.c.id == bindparam("head_id"), table.c.is_latest == true())
            .values(is_latest=False)
        )
    elif name == "insert":
        stmt = insert(table)
    else:  # pragma: no cover - programming error
        raise KeyError(name)
    _STATEMENTS[cache_key] = stmt
    return stmt


class _Head(NamedTuple):
    id: int
    uid: str


def _probe(
    session: Any,
    model: Any,
    *,
    stem: str | None,
    key: dict[str, Any] | None,
    dedup_hash: str | None,
) -> Any:
    """``(dup_id, head_id, head_uid, max_uid)`` of a save, in one statement.

    ``dup_id``: the oldest main-branch record with ``dedup_hash``; ``head_id``/``head_uid``:
    the latest version of the family given by ``stem`` or ``key``; ``max_uid``: the
    family's highest uid (the next counter follows it). Missing parts are ``None``.
    """
    mode = "stem" if stem is not None else "key" if key is not None else "none"
    key_columns = tuple(key) if key is not None and stem is None else ()
    cache_key = (model, "probe", mode, key_columns, dedup_hash is not None)
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        stmt = _build_probe(model, mode, key_columns, with_dedup=dedup_hash is not None)
        _STATEMENTS[cache_key] = stmt
    params: dict[str, Any] = {}
    if dedup_hash is not None:
        params["dedup_hash"] = dedup_hash
    if mode == "stem":
        params["stem"] = stem
    elif mode == "key":
        params.update(key)  # type: ignore[arg-type]
    return session.execute(stmt, params).one()


def _build_probe(model: Any, mode: str, key_columns: tuple[str, ...], *, with_dedup: bool) -> Any:
    table = model.__table__
    n = model._len_stem
    columns: list[Any] = []
    if with_dedup:
        columns.append(
            select(table.c.id)
            .where(table.c.hash == bindparam("dedup_hash"), table.c.branch_id == 1)
            .order_by(table.c.id)
            .limit(1)
            .scalar_subquery()
            .label("dup_id")
        )
    else:
        columns.append(literal_column("NULL").label("dup_id"))
    if mode == "none":
        columns += [
            literal_column("NULL").label(name) for name in ("head_id", "head_uid", "max_uid")
        ]
        return select(*columns)
    where = [table.c.is_latest == true()]
    if mode == "stem":
        where.append(func.substr(table.c.uid, 1, n) == bindparam("stem"))
    else:
        where += [table.c[column] == bindparam(column) for column in key_columns]
    head_uid = select(table.c.uid).where(*where).limit(1).scalar_subquery()
    family = table.alias("family")
    columns += [
        select(table.c.id).where(*where).limit(1).scalar_subquery().label("head_id"),
        head_uid.label("head_uid"),
        select(func.max(bytewise(family.c.uid)))
        .where(func.substr(family.c.uid, 1, n) == func.substr(head_uid, 1, n))
        .scalar_subquery()
        .label("max_uid"),
    ]
    return select(*columns)


def latest_in_family(
    session: Any, model: Any, *, stem: str | None, key: dict[str, Any] | None
) -> Any:
    """The ``(id, uid)`` row of the family head, by stem or by family key (else ``None``)."""
    if stem is not None:
        return session.execute(_statement(model, "head_by_stem"), {"stem": stem}).first()
    assert key is not None
    return session.execute(_statement(model, "head_by_key", *key), key).first()


def resolve_revises(record: Any, revises: Any) -> Any:
    """The head of ``revises``' family; warns when ``revises`` is not the latest version."""
    model = type(record)
    if not isinstance(revises, model):
        msg = f"revises must be a saved {model.__name__}, not {type(revises).__name__} {revises!r}"
        raise InvalidArgument(msg)
    if revises.id is None:
        msg = f"Save the {model.__name__} passed as revises before revising it."
        raise InvalidArgument(msg)
    return revises


def insert_version(
    record: Any,
    inst: Instance,
    *,
    revises: Any = None,
    before_commit: Callable[[Any], None] | None = None,
    after_conflict: Callable[[Any], None] | None = None,
    only_new_family: bool = False,
    dedup_hash: str | None = None,
    strict_revises: bool = False,
) -> Any:
    """Insert ``record`` as a new version (or a new family) and move ``is_latest``.

    The family is ``revises``' if given, else the one with the same family key (e.g.
    storage and key), else a new one. Runs in one transaction, retried when a
    concurrent writer wins a race.

    Args:
        record: The unsaved record; its ``uid`` is rewritten when it joins a family.
        inst: The instance to write to.
        revises: A saved record of the same registry; its family gets the new version.
        before_commit: Called with the record after its row is written, inside the
            transaction (e.g. to move the staged file onto the uid's final name).
        after_conflict: Called after a rolled-back attempt, before the retry.
        only_new_family: Raise :class:`FamilyExists` instead of adding a version when
            a family with the record's key exists (get-or-create by key).
        strict_revises: Raise :class:`FamilyExists` instead of revising the head when
            ``revises`` is no longer the head (another writer added a version).
        dedup_hash: A content hash: if a main-branch record of the registry has it,
            :class:`Duplicate` is raised with its id and nothing is written. Looked up
            inside the transaction under an advisory lock on the hash, so concurrent
            saves of the same content dedup.

    Returns:
        The previous head as ``(id, uid)`` (``None`` for a new family).

    Raises:
        InvalidArgument: The family already holds ``record.version_tag``.
        IntegrityError: The database refused the row for another reason.
    """
    model = type(record)
    stem_len = model._len_stem
    state = record.__dict__
    own_stem = state["uid"][:stem_len]
    if revises is not None:
        revises = resolve_revises(record, revises)
    key = None
    if state.get("key") is not None and revises is None:
        key = {column: state.get(column) for column in model._family_key}
    for attempt in range(_MAX_ATTEMPTS):
        try:
            with inst.atomic() as session:
                if dedup_hash is not None:
                    _advisory_lock(session, f"{model.__tablename__}:hash:{dedup_hash}")
                stem = revises.uid[:stem_len] if revises is not None else None
                head_is_latest = True
                # One round trip: a duplicate, the family head and its newest uid.
                probe = _probe(session, model, stem=stem, key=key, dedup_hash=dedup_hash)
                if probe.dup_id is not None:
                    raise Duplicate(probe.dup_id)
                head = None if probe.head_id is None else _Head(probe.head_id, probe.head_uid)
                newest_uid = probe.max_uid
                if revises is not None and head is None:
                    # The family has no head (all versions trashed and demoted): the
                    # newest one takes the role.
                    head_is_latest = False
                    newest = session.execute(
                        select(model.__table__.c.id, model.__table__.c.uid)
                        .where(func.substr(model.__table__.c.uid, 1, stem_len) == stem)
                        .order_by(bytewise(model.__table__.c.uid).desc())
                        .limit(1)
                    ).first()
                    if newest is not None:
                        head = _Head(newest.id, newest.uid)
                        newest_uid = newest.uid
                if (
                    revises is not None
                    and head is not None
                    and head.id != revises.id
                    and attempt == 0
                ):
                    logger.warning(
                        "%s %s is not the latest version of its family; revising the "
                        "latest one, %s.",
                        model.__name__,
                        revises.uid,
                        head.uid,
                    )
                if head is not None and only_new_family:
                    raise FamilyExists
                if strict_revises and (head is None or head.id != revises.id):
                    raise FamilyExists
                if head is not None:
                    family_stem = head.uid[:stem_len]
                    _check_version_tag(session, model, family_stem, state.get("version_tag"))
                    counter = 0 if newest_uid is None else decode_counter(newest_uid[stem_len:])
                    state["uid"] = family_stem + encode_counter(counter + 1)
                    moved = session.execute(_statement(model, "demote"), {"head_id": head.id})
                    if moved.rowcount == 0 and head_is_latest:  # type: ignore[attr-defined]
                        raise VersionConflict
                else:
                    state["uid"] = own_stem + encode_counter(0)
                    if attempt > 0:
                        own_stem = base62(stem_len)
                        state["uid"] = own_stem + encode_counter(0)
                record.is_latest = True
                row = {c.key: state.get(c.key) for c in model.__table__.columns if c.key != "id"}
                check_values(model, row)
                result = session.execute(_statement(model, "insert"), row)
                state["id"] = result.inserted_primary_key[0]  # type: ignore[attr-defined]
                if before_commit is not None:
                    before_commit(record)
            make_saved(record, inst)
            if (
                head is not None
                and revises is not None
                and revises.__dict__.get("id") == head.id
                and "_sa_instance_state" in revises.__dict__  # not a stand-in (replace())
            ):
                # the caller's object of the previous version says so too, as in lamindb
                attributes.set_committed_value(revises, "is_latest", value=False)
            return head
        except VersionConflict:
            pass
        except (FamilyExists, Duplicate):
            _reset_after_rollback(record)
            raise
        except sa_exc.IntegrityError as error:
            if not is_version_conflict(error, model):
                _reset_after_rollback(record)
                raise convert_integrity_error(error, record) from None
            if attempt == _MAX_ATTEMPTS - 1:
                _reset_after_rollback(record)
                raise convert_integrity_error(error, record) from None
        except BaseException:
            _reset_after_rollback(record)
            raise
        _reset_after_rollback(record)
        if after_conflict is not None:
            after_conflict(record)
        time.sleep(random.uniform(0.001, 0.005) * min(attempt + 1, 10))
    msg = f"Could not save a new version of {model.__name__} after {_MAX_ATTEMPTS} attempts"
    raise IntegrityError(msg)


def _reset_after_rollback(record: Any) -> None:
    """Forget the id of a record whose INSERT was rolled back."""
    record.__dict__.pop("id", None)


def _check_version_tag(session: Any, model: Any, stem: str, tag: str | None) -> None:
    if tag is None:
        return
    table = model.__table__
    clash = session.execute(
        select(table.c.uid).where(
            func.substr(table.c.uid, 1, model._len_stem) == stem, table.c.version_tag == tag
        )
    ).first()
    if clash is not None:
        msg = (
            f"Version {tag!r} already exists in this {model.__name__} family ({clash.uid}); "
            "pass another version= or omit it"
        )
        raise InvalidArgument(msg)


def promote_newest(inst: Instance, model: Any, stem: str, *, exclude_id: int) -> None:
    """Make the newest remaining main-branch version of a family its head."""
    table = model.__table__
    with inst.session() as session:
        newest = session.execute(
            select(table.c.id)
            .where(
                func.substr(table.c.uid, 1, model._len_stem) == stem,
                table.c.id != exclude_id,
                table.c.branch_id == 1,
            )
            .order_by(bytewise(table.c.uid).desc())
            .limit(1)
        ).scalar()
        session.execute(update(table).where(table.c.id == exclude_id).values(is_latest=False))
        if newest is not None:
            session.execute(update(table).where(table.c.id == newest).values(is_latest=True))
