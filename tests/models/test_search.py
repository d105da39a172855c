"""search(): ranking, arguments, and freshness of the in-memory candidate cache."""

from __future__ import annotations

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import FieldError, InvalidArgument
from lamin_pipes.models import QuerySet, _search


def names(qs) -> list[str]:
    return [r.name for r in qs]


@pytest.fixture
def labels(instance):
    return ln.Record.from_values(["Label1", "Label2", "Label3"], field="name", create=True).save()


def test_reference_example(labels):
    result = ln.Record.search("Label2")
    assert isinstance(result, QuerySet)
    assert result.first().name == "Label2"
    assert names(result)[0] == "Label2"
    assert result.first().score == 100.0


def test_typo_finds_the_intended_record_first(labels):
    result = names(ln.Record.search("lable2"))
    assert result[0] == "Label2"
    assert "Label1" not in result  # ratio("lable2", "label1") is below the cutoff


@pytest.fixture
def ranked(instance):
    """One ULabel per kind of match for the query "cell", saved in reverse rank order."""
    specs = [
        ("banana", {}),  # no match
        ("cel1", {}),  # fuzzy
        ("www", {"description": "intracellular"}),  # contains, other field
        ("subcellular", {}),  # contains, name
        ("yyy", {"description": "a cell type"}),  # word, other field
        ("zzz", {"description": "cell-based assay"}),  # prefix, other field
        ("T cell", {}),  # word, name
        ("cellular thing", {}),  # prefix, name
        ("other", {"synonyms": "x|cell"}),  # synonym
        ("cell", {}),  # exact, name
    ]
    return {name: ln.ULabel(name=name, **kwargs).save() for name, kwargs in specs}


def test_ranking(ranked):
    result = ln.ULabel.search("cell")
    assert names(result) == [
        "cell",
        "other",
        "cellular thing",
        "T cell",
        "zzz",
        "yyy",
        "subcellular",
        "www",
        "cel1",
    ]
    scores = [r.score for r in result]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 100 and all(0 <= s <= 100 for s in scores)


def test_case_sensitivity(ranked):
    assert names(ln.ULabel.search("CELL"))[0] == "cell"
    assert names(ln.ULabel.search("CELL", case_sensitive=True)) == []
    assert names(ln.ULabel.search("T cell", case_sensitive=True))[0] == "T cell"


def test_field_argument(ranked):
    by_name = names(ln.ULabel.search("cell", field="name"))
    assert by_name == ["cell", "cellular thing", "T cell", "subcellular", "cel1"]
    assert names(ln.ULabel.search("cell", field=ln.ULabel.name)) == by_name
    assert names(ln.ULabel.search("cell", field=["synonyms", ln.ULabel.description])) == [
        "other",
        "zzz",
        "yyy",
        "www",
    ]
    with pytest.raises(FieldError, match="Not a string field: 'is_type' of ULabel"):
        ln.ULabel.search("cell", field="is_type")
    with pytest.raises(FieldError, match=r"Unknown field 'nope' of ULabel\. String fields: name"):
        ln.ULabel.search("cell", field=["name", "nope"])
    with pytest.raises(InvalidArgument, match="non-empty list of fields"):
        ln.ULabel.search("cell", field=[])


def test_limit(ranked):
    assert names(ln.ULabel.search("cell", limit=2)) == ["cell", "other"]
    assert len(ln.ULabel.search("cell", limit=None)) == 9
    assert ln.ULabel.search("cell", limit=0).count() == 0
    with pytest.raises(InvalidArgument, match="limit must be None or a non-negative integer"):
        ln.ULabel.search("cell", limit=-1)


@pytest.mark.parametrize("query", ["", "   ", None, 3])
def test_invalid_strings(instance, query):
    with pytest.raises(InvalidArgument, match="search"):
        ln.ULabel.search(query)


def test_result_is_a_chainable_query_set(ranked):
    result = ln.ULabel.search("cell")
    assert result.count() == 9
    assert names(result.filter(description__isnull=False)) == ["zzz", "yyy", "www"]
    assert names(result[1:3]) == ["other", "cellular thing"]
    df = result.to_dataframe()
    assert df["name"].tolist()[:3] == ["cell", "other", "cellular thing"]
    assert df["score"].tolist() == sorted(df["score"].tolist(), reverse=True)
    assert [r.score is not None for r in result.filter(name="T cell")] == [True]


def test_search_within_a_query_set(ranked):
    ln.ULabel(name="cell type", is_type=True).save()
    assert names(ln.ULabel.filter(is_type=True).search("cell")) == ["cell type"]
    assert names(ln.ULabel.filter(is_type=False).search("cell", limit=1)) == ["cell"]
    assert names(ln.ULabel.filter(name__startswith="c").order_by("-id")[:2].search("cel")) == [
        "cell",
        "cell type",
    ]
    assert ln.ULabel.filter().none().search("cell").count() == 0


def test_search_by_uid(ranked):
    target = ranked["banana"]
    assert ln.ULabel.search(target.uid).first() == target


def test_empty_registry_and_no_match(instance):
    assert ln.ULabel.search("anything").count() == 0
    ln.ULabel(name="apple").save()
    assert list(ln.ULabel.search("xyz")) == []


def test_multi_word_queries_match_words_in_any_order(instance):
    ln.ULabel(name="positive CD4 T cell").save()
    ln.ULabel(name="CD4").save()
    result = names(ln.ULabel.search("T cell CD4"))
    assert result[0] == "positive CD4 T cell"


def test_many_matches_order_by_rank_then_id(instance):
    labels = ln.ULabel.from_values(
        [f"sample {i:03d}" for i in range(600)], create=True, mute=True
    ).save()
    ln.ULabel(name="sample").save()
    result = ln.ULabel.search("sample", limit=None)
    found = names(result)
    assert len(found) == 601
    assert found[0] == "sample"
    assert found[1:] == [label.name for label in labels]  # equal rank and score: by id
    assert result.count() == 601


# --- freshness -----------------------------------------------------------------------


def _assert_fresh() -> None:
    label = ln.ULabel(name="alpha").save()
    assert names(ln.ULabel.search("alpha")) == ["alpha"]
    ln.ULabel(name="alphabet").save()
    assert names(ln.ULabel.search("alpha")) == ["alpha", "alphabet"]
    label.name = "omega"
    label.save()
    assert names(ln.ULabel.search("alpha")) == ["alphabet"]
    assert names(ln.ULabel.search("omega")) == ["omega"]
    label.delete()  # to the trash
    assert names(ln.ULabel.search("omega")) == []
    label.restore()
    assert names(ln.ULabel.search("omega")) == ["omega"]
    ln.ULabel.filter(name="omega").update(name="gamma")
    assert names(ln.ULabel.search("gamma")) == ["gamma"]
    assert names(ln.ULabel.search("omega")) == []
    label.delete(permanent=True)
    assert names(ln.ULabel.search("gamma")) == []


def test_changes_show_in_the_next_search(instance):
    _assert_fresh()


def test_changes_show_without_the_database_version_check(instance):
    """The aggregate over the candidates alone keeps the cache current too."""
    _search._NO_DB_VERSION.add(instance.db)
    try:
        _assert_fresh()
    finally:
        _search._NO_DB_VERSION.discard(instance.db)


def test_atomic_blocks(instance):
    ln.ULabel(name="kappa").save()
    assert names(ln.ULabel.search("kappa")) == ["kappa"]
    with pytest.raises(RuntimeError), ln.atomic():
        ln.ULabel(name="kappa two").save()
        assert names(ln.ULabel.search("kappa")) == ["kappa", "kappa two"]
        raise RuntimeError("roll back")
    assert names(ln.ULabel.search("kappa")) == ["kappa"]


def test_registry_without_updated_at(instance):
    user = ln.settings.user
    assert ln.User.search(user.handle).first() == user
    user.name = "Zed Quux"
    user.save()
    assert ln.User.search("quux").first() == user


def test_cache_is_reused_and_bounded(instance):
    ln.ULabel(name="delta").save()
    _search.clear_cache()
    ln.ULabel.search("delta")
    assert len(_search._CACHE) == 1
    ln.ULabel.search("delt")  # same candidates: the same entry
    assert len(_search._CACHE) == 1
    for i in range(_search.CACHE_SIZE + 2):
        ln.ULabel.filter(name__startswith=f"{i}").search("delta")
    assert len(_search._CACHE) == _search.CACHE_SIZE


def test_a_dropped_connection_does_not_turn_off_the_change_check(instance):
    # Before, any error of the version check turned it off for the rest of the process.
    if instance.dialect != "postgresql":
        pytest.skip("drops the server's connections")
    from sqlalchemy import create_engine, text

    ln.ULabel(name="sigma").save()
    assert names(ln.ULabel.search("sigma")) == ["sigma"]
    admin = create_engine(instance.db.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    database = instance.engine.url.database
    with admin.connect() as connection:  # every pooled connection of the instance dies
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        )
    admin.dispose()

    assert names(ln.ULabel.search("sigma")) == ["sigma"]  # the check failed, search did not
    assert instance.db not in _search._NO_DB_VERSION


def test_words_are_found_where_occurrences_overlap(instance):
    # "a-a" occurs in "xa-a-a" at 1 (inside "xa") and, overlapping, at 3 (a word at the end)
    ln.ULabel.from_values(["xa-a", "xa-a-a", "ya-a-a-q"], create=True).save()
    assert names(ln.ULabel.search("a-a"))[0] == "xa-a-a"
    ln.ULabel.from_values(["abab", "b abab c"], create=True).save()
    assert names(ln.ULabel.search("abab"))[:2] == ["abab", "b abab c"]


def test_words_in_any_order_and_unicode_letters(instance):
    ln.ULabel.from_values(
        ["zellen typ", "typ der zellen", "zellentyp", "größe über"], create=True
    ).save()
    found = names(ln.ULabel.search("typ zellen"))
    # both hold every word; the more similar comes first; "zellentyp" holds them as no words
    assert found[:2] == ["typ der zellen", "zellen typ"]
    assert "zellentyp" not in found
    assert names(ln.ULabel.search("ÜBER"))[0] == "größe über"
    assert names(ln.ULabel.search("über", case_sensitive=True))[0] == "größe über"


def test_ranked_records_come_the_same_through_either_path(instance):
    from lamin_pipes.orm import _driver_select

    ln.ULabel.from_values(["cell a", "cell b", "b cell", "cellar"], create=True).save()
    plain = ln.ULabel.search("cell")
    assert names(plain) == ["cell a", "cell b", "cellar", "b cell"]  # prefixes before words
    key = ("search", ln.ULabel, instance.engine.dialect.name)
    assert _driver_select._PREPARED[key] is not None  # the records came from the driver
    assert [r.score for r in plain] == [r.score for r in ln.ULabel.search("cell")]
    # anything added to the query set takes the general path, with the same order
    assert names(ln.ULabel.search("cell").filter(name__startswith="cell")) == [
        "cell a",
        "cell b",
        "cellar",
    ]
    assert names(ln.ULabel.search("cell")[1:3]) == ["cell b", "cellar"]
    assert names(ln.ULabel.search("cell").reverse()) == ["b cell", "cellar", "cell b", "cell a"]
    with ln.atomic():
        assert names(ln.ULabel.search("cell")) == names(plain)


def test_a_record_trashed_after_the_search_is_not_returned(instance):
    ln.ULabel.from_values(["cell a", "cell b"], create=True).save()
    result = ln.ULabel.search("cell")
    ln.ULabel.get(name="cell a").delete()  # to the trash, between search and reading
    assert names(result) == ["cell b"]


def test_an_edit_that_keeps_updated_at_shows(instance):
    # The SQLite cache judged edits by max(updated_at): an edit keeping it went unseen.
    from sqlalchemy import text

    label = ln.ULabel(name="delta").save()
    ln.ULabel(name="later").save()  # holds the newest updated_at
    assert names(ln.ULabel.search("delta")) == ["delta"]
    with instance.engine.begin() as connection:  # raw SQL, as another tool would write
        connection.execute(
            text("UPDATE lamindb_ulabel SET name = 'epsilon' WHERE id = :id"), {"id": label.id}
        )
    assert names(ln.ULabel.search("epsilon")) == ["epsilon"]
    assert names(ln.ULabel.search("delta")) == []
    ln.ULabel.filter(id=label.id).update(name="zeta", updated_at=label.updated_at)
    assert names(ln.ULabel.search("zeta")) == ["zeta"]


def test_edits_inside_atomic_and_a_first_search_there(instance):
    ln.ULabel(name="eta").save()
    with ln.atomic():
        assert names(ln.ULabel.search("eta")) == ["eta"]  # no counter created in here
        ln.ULabel.filter(name="eta").update(name="theta")
        assert names(ln.ULabel.search("theta")) == ["theta"]
    assert names(ln.ULabel.search("theta")) == ["theta"]
    ln.ULabel.filter(name="theta").update(name="iota")
    assert names(ln.ULabel.search("iota")) == ["iota"]
