"""``search()``: rank a query set's records by how well a string matches their fields.

Each value of a searched field (each synonym of the ``synonyms`` field on its own) is
matched against the query; a record ranks by its best value. Ranks, best first:

1. the name field equals the query;
2. another field or a synonym equals the query;
3. the name starts with the query, then the query is a word of the name (or all its
   words are words of the name);
4. the same for the other fields;
5. the name, then another field, contains the query;
6. fuzzy: a value is similar to the query (rapidfuzz ``ratio`` of at least 75), which
   finds values with typos such as ``"lable2"`` for ``"Label2"``.

Within a rank, more similar values come first, then lower ids. Matching ignores case
unless ``case_sensitive=True``. ``uid`` takes part in all but fuzzy matching.

Speed: the ids and string values of the candidates are cached per database and
candidate query and matched in memory: all values sit in one string, so one scan of
Python's substring search finds every value holding the query, and where each
occurrence lies tells equality, prefix and word matches apart (rapidfuzz scores
similarity). Each search first checks that the cache is
current, before reading anything else:

- a database version that changes with any write: on SQLite the connection's
  ``PRAGMA data_version`` and ``total_changes``, on PostgreSQL the WAL insert
  position; if it is one the cache was built or confirmed at, the cache is used;
- otherwise one aggregate over the candidates: their number and two sums over their ids
  (inserts, deletes, moves to and from the trash), plus edits: the rows' ``xmin`` on
  PostgreSQL; on SQLite a counter that a trigger increments on every ``UPDATE`` of the
  table's text columns, by any connection or process (``updated_at`` is not enough: an
  edit may keep it). Where the counter cannot be created (a read-only file, or first
  use inside ``ln.atomic()``) the candidates are read afresh whenever the database
  changed.

So any saved, renamed or deleted record shows in the very next search. Inside
``ln.atomic()`` only the aggregate decides, and what is read there is not trusted
after the block.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, bindparam, case, func, literal_column, select, text
from sqlalchemy import exc as sa_exc

from ..errors import InvalidArgument
from ..orm._driver_select import fetch_records, fetch_value
from ..orm._extensions import implements
from ..orm._query_compiler import unindexed
from ..orm.query_set import QuerySet
from ._curate_match import SYNONYM_SEP, fetch, in_values, read_session, select_from
from ._curate_values import str_field
from ._edit_counter import edit_count

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..orm.query_set import BasicQuerySet

#: Least rapidfuzz ``ratio`` (0-100) for a value to count as a fuzzy match.
FUZZY_CUTOFF = 75
#: Cached candidate sets (per database and query); the least recently used goes first.
CACHE_SIZE = 16

# Entry kinds and the rank of each kind of match (higher is better).
_NAME, _SYNONYM, _OTHER, _UID = 0, 1, 2, 3
_EXACT_NAME, _EXACT, _PREFIX_NAME, _WORD_NAME, _PREFIX, _WORD = 9, 8, 7, 6, 5, 4
_CONTAINS_NAME, _CONTAINS, _FUZZY = 3, 2, 1
#: A record's sort key is ``rank * _STEP + similarity`` (similarity is 0-100).
_STEP = 128

_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[Any, ...], _Index] = OrderedDict()
#: Databases where the cheap version check failed once (it is not tried again).
_NO_DB_VERSION: set[str] = set()
#: insufficient_privilege, undefined_function, feature_not_supported: lasting reasons.
_UNSUPPORTED_SQLSTATES = ("42501", "42883", "0A000")
_TOKENS = itertools.count(1)


class SearchQuerySet(QuerySet[Any]):
    """The query set ``search()`` returns: best matches first, each with a ``score``.

    It is an ordinary :class:`~lamin_pipes.models.QuerySet` (filter it, slice it,
    convert it); records it yields carry ``record.score`` (0-100) and
    ``to_dataframe()`` adds a ``score`` column.
    """

    _search_scores: dict[int, float]
    _search_ranking: Any
    _search_order: Any  # the ORDER BY of the ranking, while nothing replaced it
    _search_ids: list[int]  # the ranked ids, best first

    def _apply_window(self, stmt: Any) -> Any:
        ranking = self.__dict__.get("_search_ranking")
        if ranking is not None:  # join the ranked ids: ORDER BY their position
            stmt = stmt.join(ranking, ranking.c.value == self.model.__table__.c.id)
        return super()._apply_window(stmt)

    def _fetch(self) -> list[Any]:
        if self._cache is None and self._as_ranked():
            inst = self.instance
            ids = self.__dict__["_search_ids"]
            payload = json.dumps(ids) if inst.dialect == "sqlite" else ids
            statement = _ranked_statement(self.model, inst.dialect)
            records = fetch_records(
                inst, self.model, ("search", self.model), statement, {_IDS: payload}
            )
            if records is not None:
                self._after_fetch(records, inst)
                self._cache = records
                return records
        return super()._fetch()

    def _as_ranked(self) -> bool:
        """Whether the records are exactly the ranked ids, in order (nothing added since)."""
        order = self.__dict__.get("_search_order")
        return (
            order is not None
            and self._order == [order]
            and not (
                self._clauses
                or self._none
                or self._include_trash
                or self._branch_given
                or self._limit is not None
                or self._offset
                or self._distinct
                or self._load_options
                or self._select_related
                or self._prefetch
                or self._annotations
            )
        )

    def _after_fetch(self, records: list[Any], inst: Any) -> None:
        super()._after_fetch(records, inst)
        scores = self.__dict__.get("_search_scores", {})
        for record in records:
            record.__dict__["score"] = scores.get(record.id)

    def to_dataframe(
        self,
        *,
        include: str | list[str] | None = None,
        features: bool | str | list[str] | None = None,
        limit: int | None = 100,
        order_by: str | None = "-id",
    ) -> pd.DataFrame:
        """Like :meth:`QuerySet.to_dataframe`, plus a ``score`` column."""
        df = super().to_dataframe(
            include=include, features=features, limit=limit, order_by=order_by
        )
        scores = self.__dict__.get("_search_scores", {})
        df["score"] = [scores.get(i) for i in df.index]
        return df


@dataclass
class _Texts:
    """Some entries' texts in one string, so one C-level scan searches them all.

    ``joined`` holds the texts between NUL separators (and a NUL at each end);
    ``offsets[i]`` is where text ``i`` starts in it, ``lengths[i]`` its length,
    ``entries[i]`` its entry; ``alnum`` says which characters are letters or digits
    (for word boundaries).
    """

    joined: str
    offsets: np.ndarray
    lengths: np.ndarray
    alnum: np.ndarray
    entries: np.ndarray
    texts: list[str]

    @classmethod
    def of(cls, texts: list[str], entries: np.ndarray) -> _Texts:
        import numpy as np

        # NUL never occurs in stored text (the field checks refuse it)
        joined = "\0" + "\0".join(texts) + "\0"
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        offsets = np.ones(len(texts), dtype=np.int64)
        if len(texts) > 1:
            offsets[1:] += np.cumsum(lengths[:-1] + 1)
        alnum = np.fromiter(map(str.isalnum, joined), dtype=bool, count=len(joined))
        return cls(joined, offsets, lengths, alnum, entries, texts)


@dataclass
class _View:
    """The entries' texts as matched: lower-cased unless case-sensitive.

    uids are kept apart: only a query that could be part of a uid (letters and digits)
    scans them, and they take no part in word or fuzzy matching.
    """

    values: _Texts  # every entry but uids; also the fuzzy candidates
    uids: _Texts


@dataclass
class _Index:
    """The searchable values of a candidate set: one entry per value (or synonym).

    Entries are grouped by record, records by id; record ``i`` owns the entries from
    ``starts[i]`` up to ``starts[i + 1]``; ``owners[e]`` is the record of entry ``e``.
    """

    signature: Any
    ids: np.ndarray
    starts: np.ndarray
    kinds: np.ndarray
    values: list[str]
    owners: np.ndarray
    views: dict[bool, _View] = field(default_factory=dict)
    versions: list[Any] = field(default_factory=list)

    def remember(self, version: Any) -> None:
        """Record a database version at which the candidates equal this index."""
        if version is not None and version not in self.versions:
            self.versions = [*self.versions[-7:], version]

    def view(self, case_sensitive: bool) -> _View:
        view = self.views.get(case_sensitive)
        if view is None:
            import numpy as np

            texts = self.values if case_sensitive else [v.lower() for v in self.values]
            is_uid = self.kinds == _UID
            parts = [np.flatnonzero(~is_uid), np.flatnonzero(is_uid)]
            values, uids = (_Texts.of([texts[i] for i in part], part) for part in parts)
            view = _View(values, uids)
            self.views[case_sensitive] = view
        return view


def _field_names(model: Any, field: Any) -> list[str]:
    if field is None:
        return list(model._meta.str_fields)
    items = field if isinstance(field, (list, tuple)) else [field]
    if not items:
        msg = "search(field=...) takes a field or a non-empty list of fields."
        raise InvalidArgument(msg)
    return list(dict.fromkeys(str_field(model, f) for f in items))


_PG_VERSION = (
    "SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn()::text END"
)


def _db_version(qs: Any) -> Any:
    """A cheap value that changes whenever anything is written to the database.

    SQLite: the connection's ``PRAGMA data_version`` (commits by other connections) and
    ``total_changes`` (its own writes), tagged with the connection. PostgreSQL: the WAL
    insert position. ``None`` where unavailable (then the aggregate decides).
    """
    inst = qs.instance
    if inst.db in _NO_DB_VERSION or inst.atomic_session() is not None:
        # Inside ln.atomic() the data may be rolled back while the version stays put
        # (SQLite's total_changes counts rolled-back rows; an error would abort the
        # caller's PostgreSQL transaction): the aggregate decides there.
        return None
    if inst.dialect == "postgresql":
        done, lsn = fetch_value(inst, _PG_VERSION)  # on the driver: a third of the time
        if done:
            return None if lsn is None else ("lsn", lsn)
    try:
        with read_session(inst) as session:
            if inst.dialect == "sqlite":
                proxied = session.connection().connection
                token = proxied.info.setdefault("lamin_pipes_search", next(_TOKENS))
                dbapi = proxied.dbapi_connection
                data_version = dbapi.execute("PRAGMA data_version").fetchone()[0]
                return (token, data_version, dbapi.total_changes)
            if inst.dialect == "postgresql":
                # the driver failed above: again the usual way, which tells why
                lsn = session.execute(text(_PG_VERSION)).scalar()
                return None if lsn is None else ("lsn", lsn)
    except sa_exc.DBAPIError as error:
        # Without permission, or on a server without the function, the check is off for
        # good; a dropped connection or a busy database costs only this search its check.
        if getattr(error.orig, "sqlstate", None) in _UNSUPPORTED_SQLSTATES:
            _NO_DB_VERSION.add(inst.db)
    except AttributeError:  # a SQLite driver without total_changes: the aggregate decides
        _NO_DB_VERSION.add(inst.db)
    return None


def _signature(qs: Any, stmt: Any) -> tuple[Any, ...] | None:
    """One aggregate over the candidates that changes whenever they change.

    Membership: the count and two sums over the ids. Edits: the rows' ``xmin`` on
    PostgreSQL, the table's edit counter on SQLite (see ``_edit_counter``). ``None`` if
    edits cannot be seen (SQLite without the counter).
    """
    model = qs.model
    table = model.__table__
    inst = qs.instance
    columns = [table.c.id.label("id")]
    postgres = inst.dialect == "postgresql"
    if postgres:
        name = inst.engine.dialect.identifier_preparer.format_table(table)
        columns.append(literal_column(f"{name}.xmin::text::bigint").label("version"))
        edits: Any = None
    else:
        fields = model._meta.fields
        watched = [fields[f].attname for f in model._meta.str_fields]
        edits = edit_count(inst, table, watched)
        if edits is None:
            return None
    sub = stmt.with_only_columns(*columns).subquery()
    mixed = ((sub.c.id % 4294967291) * 1103515245) % 4294967291
    if postgres:
        edits = func.sum(sub.c.version)
    rows = fetch(qs, select(func.count(), func.sum(sub.c.id), func.sum(mixed), edits))
    return tuple(rows[0]) if rows else ()


def _build(rows: list[Any], kinds: list[int], signature: Any) -> _Index:
    import numpy as np

    ids: list[int] = []
    starts: list[int] = []
    values: list[str] = []
    entry_kinds: list[int] = []
    append_value = values.append
    append_kind = entry_kinds.append
    pairs = list(enumerate(kinds, start=1))
    for row in rows:
        start = len(values)
        for position, kind in pairs:
            value = row[position]
            if not value:
                continue
            if kind == _SYNONYM:
                for synonym in value.split(SYNONYM_SEP):
                    if synonym:
                        append_value(synonym)
                        append_kind(kind)
            else:
                append_value(value)
                append_kind(kind)
        if len(values) > start:
            ids.append(row[0])
            starts.append(start)
    start_array = np.asarray(starts, dtype=np.int64)
    owners = np.zeros(len(values), dtype=np.int64)
    if len(starts) > 1:
        owners[start_array[1:]] = 1
    return _Index(
        signature,
        np.asarray(ids, dtype=np.int64),
        start_array,
        np.asarray(entry_kinds, dtype=np.int8),
        values,
        np.cumsum(owners),
    )


def _statement_key(stmt: Any, inst: Any) -> tuple[Any, str]:
    """What identifies a statement: SQLAlchemy's cache key and the bound values.

    Much cheaper than compiling the statement; a statement without a cache key (a
    construct that opted out of caching) is compiled instead.
    """
    cache_key = stmt._generate_cache_key()
    if cache_key is None:
        compiled = stmt.compile(dialect=inst.engine.dialect)
        return str(compiled), repr(sorted(compiled.params.items()))
    return cache_key.key, repr([b.effective_value for b in cache_key.bindparams])


def _index(qs: Any, fields: list[str]) -> _Index:
    """The cached index of the candidates, rebuilt if the database changed."""
    model = qs.model
    table = model.__table__
    meta = model._meta
    name_field = meta.name_field
    kinds = []
    for name in fields:
        if name == name_field:
            kinds.append(_NAME)
        elif name == "synonyms":
            kinds.append(_SYNONYM)
        elif name == "uid":
            kinds.append(_UID)
        else:
            kinds.append(_OTHER)
    columns = [table.c.id, *(table.c[meta.fields[f].attname] for f in fields)]
    stmt = select_from(qs, *columns)
    inst = qs.instance
    key = (inst.db, *_statement_key(stmt, inst), tuple(kinds))
    # Both checks run before the rows are read: the rows are at least as new as them.
    version = _db_version(qs)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None and version is not None and version in cached.versions:
        return cached
    signature = _signature(qs, stmt)
    if cached is not None and signature is not None and cached.signature == signature:
        cached.remember(version)
        with _LOCK:
            _CACHE[key] = cached
            _CACHE.move_to_end(key)
        return cached
    index = _build(fetch(qs, stmt.order_by(table.c.id)), kinds, signature)
    index.remember(version)
    if signature is not None or version is not None:
        with _LOCK:
            _CACHE[key] = index
            _CACHE.move_to_end(key)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return index


def clear_cache() -> None:
    """Forget all cached candidate sets (they are also checked on every search)."""
    with _LOCK:
        _CACHE.clear()


def _occurrences(part: _Texts, needle: str) -> tuple[np.ndarray, np.ndarray]:
    """Where ``needle`` occurs (overlaps included): positions in ``joined``, text of each."""
    import numpy as np

    if "\0" in needle:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    joined = part.joined
    if any(needle[:i] == needle[-i:] for i in range(1, len(needle))):
        # occurrences of a needle such as "aa" or "abab" may overlap: step one by one
        found = []
        at = joined.find(needle)
        while at != -1:
            found.append(at)
            at = joined.find(needle, at + 1)
        positions = np.asarray(found, dtype=np.int64)
    else:  # occurrences cannot overlap: one scan
        pattern = re.compile(re.escape(needle))
        positions = np.asarray([m.start() for m in pattern.finditer(joined)], dtype=np.int64)
    return positions, np.searchsorted(part.offsets, positions, side="right") - 1


def _as_word(part: _Texts, positions: np.ndarray, size: int) -> np.ndarray:
    """Which occurrences of a ``size``-character needle have no letter or digit around."""
    return ~part.alnum[positions - 1] & ~part.alnum[positions + size]


def _word_pattern(word: str) -> re.Pattern[str]:
    # the word with no letter or digit on either side ([^\W_]: a letter or digit)
    return re.compile(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])")


#: Candidates left after the first word below which the other words are checked one
#: text at a time rather than by scanning all texts again.
_NARROW = 32


def _texts_with_words(part: _Texts, words: list[str]) -> np.ndarray:
    """The texts (positions in ``part``) holding every word as a word."""
    import numpy as np

    ordered = sorted(words, key=len, reverse=True)  # the longest word narrows most
    found: np.ndarray | None = None
    for rest, word in enumerate(ordered, start=1):
        if found is not None and found.size <= _NARROW:
            patterns = [_word_pattern(w) for w in ordered[rest - 1 :]]
            texts = part.texts
            keep = [all(p.search(texts[i]) for p in patterns) for i in found.tolist()]
            return found[np.asarray(keep, dtype=bool)] if found.size else found
        positions, owners = _occurrences(part, word)
        matched = np.unique(owners[_as_word(part, positions, len(word))])
        found = matched if found is None else np.intersect1d(found, matched)
        if not found.size:
            break
    assert found is not None
    return found


def _contains_ranks(part: _Texts, query: str, kinds: np.ndarray) -> tuple[Any, Any]:
    """The entries of ``part`` holding ``query``, and the rank of each such match."""
    import numpy as np

    positions, owners = _occurrences(part, query)
    if not owners.size:
        return owners, owners
    # occurrences come in order, so each text's first one is its leftmost
    hits, first = np.unique(owners, return_index=True)
    entries = part.entries[hits]
    is_name = kinds[entries] == _NAME
    rank = np.where(is_name, _CONTAINS_NAME, _CONTAINS)
    word = np.isin(hits, owners[_as_word(part, positions, len(query))])
    rank = np.where(word, np.where(is_name, _WORD_NAME, _WORD), rank)
    prefix = positions[first] == part.offsets[hits]
    rank = np.where(prefix, np.where(is_name, _PREFIX_NAME, _PREFIX), rank)
    exact = prefix & (part.lengths[hits] == len(query))
    rank = np.where(exact, np.where(is_name, _EXACT_NAME, _EXACT), rank)
    return entries, rank


def _rank_entries(index: _Index, query: str, case_sensitive: bool) -> np.ndarray:
    """Each entry's key: ``rank * _STEP + similarity``."""
    import numpy as np
    from rapidfuzz import fuzz, process

    view = index.view(case_sensitive)
    values = view.values
    kinds = index.kinds
    n = len(index.values)
    rank = np.zeros(n, dtype=np.int16)
    similarity = np.zeros(n, dtype=np.int16)
    if values.texts:
        scores = process.cdist([query], values.texts, scorer=fuzz.ratio, dtype=np.uint8)[0]
        similarity[values.entries] = scores
        rank[values.entries[scores >= FUZZY_CUTOFF]] = _FUZZY
    parts = [values, view.uids] if query.isalnum() else [values]  # a uid is alphanumeric
    for part in parts:
        entries, hit_rank = _contains_ranks(part, query, kinds)
        if entries.size:
            rank[entries] = np.maximum(rank[entries], hit_rank)
    words = list(dict.fromkeys(re.findall(r"\w+", query)[:8]))
    if len(words) > 1:
        found = values.entries[_texts_with_words(values, words)]
        if found.size:
            word_rank = np.where(kinds[found] == _NAME, _WORD_NAME, _WORD)
            rank[found] = np.maximum(rank[found], word_rank)
    return rank.astype(np.int32) * _STEP + similarity


def _score(key: int) -> float:
    """A 0-100 score from a sort key, monotonic in the key."""
    rank, similarity = divmod(int(key), _STEP)
    if rank == _EXACT_NAME:
        return 100.0
    if rank == _EXACT:
        return 95.0
    if rank == _FUZZY:
        return round(similarity * 0.6, 1)
    return round(60 + (rank - _CONTAINS) * 5 + similarity * 0.05, 1)


@implements("search")
def search(
    qs: BasicQuerySet[Any],
    string: str,
    *,
    field: Any = None,
    limit: int | None = 20,
    case_sensitive: bool = False,
) -> QuerySet[Any]:
    """Search the string fields of a query set's records; best matches first.

    Args:
        qs: The records to search.
        string: The text to look for.
        field: A field or a list of fields (names or attributes such as
            ``ULabel.name``); by default all string fields.
        limit: The most records to return (``None``: all matches).
        case_sensitive: Whether casing must match.

    Returns:
        A query set in order of relevance; its records carry ``score`` (0-100).

    Raises:
        InvalidArgument: If ``string`` is empty or ``limit`` is negative.
        FieldError: If a field is not a string field.

    Examples:
        >>> import lamin_pipes as ln
        >>> records = ln.Record.from_values(["Label1", "Label2", "Label3"], create=True).save()
        >>> ln.Record.search("Label2").first().name
        'Label2'
        >>> [r.name for r in ln.Record.search("lable2", limit=1)]
        ['Label2']
        >>> ln.Record.search("label", field=ln.Record.name).count()
        3
    """
    import numpy as np

    if not isinstance(string, str):
        msg = f"search() takes a string, got {string!r}"
        raise InvalidArgument(msg)
    query = string.strip()
    if not query:
        msg = "search() needs a non-empty string."
        raise InvalidArgument(msg)
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        msg = f"limit must be None or a non-negative integer, got {limit!r}"
        raise InvalidArgument(msg)
    model = qs.model
    fields = _field_names(model, field)
    result = SearchQuerySet(model)
    result.__dict__.update(qs._clone().__dict__)
    result._limit = None
    result._offset = None
    result._search_scores = {}
    if qs._none or limit == 0:
        return result.none()  # type: ignore[return-value]
    index = _index(qs, fields)
    if not index.ids.size:
        return result.none()  # type: ignore[return-value]
    if not case_sensitive:
        query = query.lower()
    entry_keys = _rank_entries(index, query, case_sensitive)
    matched = np.flatnonzero(entry_keys >= _STEP)  # usually few of all entries
    records = index.owners[matched]
    matched_keys = entry_keys[matched]
    by_rank = np.lexsort((index.ids[records], -matched_keys))  # best first, then lower id
    records, matched_keys = records[by_rank], matched_keys[by_rank]
    _, first = np.unique(records, return_index=True)  # a record's first place is its best
    first.sort()
    order, keys = records[first], matched_keys[first]
    if limit is not None:
        order, keys = order[:limit], keys[:limit]
    ids = [int(i) for i in index.ids[order]]
    if not ids:
        return result.none()  # type: ignore[return-value]
    result._search_scores = {i: _score(k) for i, k in zip(ids, keys.tolist(), strict=True)}
    return _ordered_by(result, ids)


#: The bound parameter of the ranked statement: the ids, best first.
_IDS = "lp_search_ids"
_RANKED: dict[tuple[Any, str], Any] = {}


def _ranked_statement(model: Any, dialect: str) -> Any:
    """``SELECT`` the records of a list of ids in its order (ids bound as one value)."""
    statement = _RANKED.get((model, dialect))
    if statement is None:
        table = model.__table__
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            array: Any = bindparam(_IDS, type_=ARRAY(BigInteger))
            ranking = func.unnest(array).table_valued("value", with_ordinality="ordinality")
            order = ranking.render_derived(name="lp_search_rank")
            joined = order
            position = order.c.ordinality
        else:
            joined = func.json_each(bindparam(_IDS)).table_valued(
                "key", "value", name="lp_search_rank"
            )
            position = joined.c.key
        statement = select(model).join(joined, joined.c.value == table.c.id)
        if "branch" in model._meta.fields:
            statement = statement.where(unindexed(table.c.branch_id) == 1)
        statement = statement.order_by(position).execution_options(populate_existing=True)
        _RANKED[(model, dialect)] = statement
    return statement


def _ordered_by(result: SearchQuerySet, ids: list[int]) -> SearchQuerySet:
    """Restrict to ``ids`` and order by their position in the list.

    SQLite and PostgreSQL join the ids as one parameter (``json_each`` /
    ``unnest ... WITH ORDINALITY``; the join alone restricts the rows), which scales to
    any number of results; other backends use ``IN`` and a ``CASE`` expression.
    """
    id_column = result.model.__table__.c.id
    dialect = result.instance.dialect
    if dialect == "sqlite":
        text: Any = bindparam(None, json.dumps(ids), unique=True)
        ranking = func.json_each(text).table_valued("key", "value", name="lp_search_rank")
        result._search_ranking = ranking
        result._order = [ranking.c.key]
        result._search_order = ranking.c.key
        result._search_ids = ids
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        array: Any = bindparam(None, ids, type_=ARRAY(BigInteger), unique=True)
        ranking = (
            func.unnest(array)
            .table_valued("value", with_ordinality="ordinality")
            .render_derived(name="lp_search_rank")
        )
        result._search_ranking = ranking
        result._order = [ranking.c.ordinality]
        result._search_order = ranking.c.ordinality
        result._search_ids = ids
    else:
        result = result._where_clause(in_values(id_column, ids, dialect))  # type: ignore[assignment]
        result._order = [case({i: p for p, i in enumerate(ids)}, value=id_column), id_column]
    return result


__all__ = ["SearchQuerySet", "clear_cache", "search"]
