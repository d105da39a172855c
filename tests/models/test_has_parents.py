"""HasParents: links, walks to any depth, cycles, and the parent/child views."""

from __future__ import annotations

import re
import shutil

import pytest

import lamin_pipes as ln
from lamin_pipes.errors import FieldError, InvalidArgument
from lamin_pipes.models._graph import Graph

MODELS = [ln.Record, ln.ULabel, ln.Project]
MODEL_IDS = [m.__name__ for m in MODELS]


def _ontology(model):
    """A DAG: dog and cat have two parents each; animal is reached along three paths.

    being > animal > {mammal, pet} > {dog, cat}; animal > dog; dog > {puppy, lab};
    puppy > newborn.
    """
    names = ["being", "animal", "mammal", "pet", "dog", "cat", "puppy", "lab", "newborn"]
    r = {name: model(name=name).save() for name in names}
    r["animal"].parents.add(r["being"])
    r["mammal"].parents.add(r["animal"])
    r["pet"].parents.add(r["animal"])
    r["dog"].parents.add(r["mammal"], r["pet"], r["animal"])
    r["cat"].parents.add(r["mammal"], r["pet"])
    r["dog"].children.add(r["puppy"], r["lab"])
    r["puppy"].children.add(r["newborn"])
    return r


def _tree(text: str) -> list[tuple[int, str]]:
    """(depth, text) for each line of a text tree; the root (and notes) at depth 0."""
    rows = []
    for line in text.splitlines():
        position = line.find("── ")
        if position < 0:
            rows.append((0, line))
        else:
            assert line[position - 1] in "├└"
            rows.append(((position - 1) // 4 + 1, line[position + 3 :]))
    return rows


def _sections(graph) -> dict[str, list[tuple[int, str]]]:
    out = {}
    for block in str(graph).split("\n\n"):
        heading, *lines = block.splitlines()
        out[heading.split(" of ")[0]] = _tree("\n".join(lines))
    return out


# --- links -------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_add_remove_set_clear(instance, model):
    a, b, c, d = (model(name=n).save() for n in "abcd")
    d.parents.add(a, b)
    assert sorted(d.parents.to_list("name")) == ["a", "b"]
    assert a.children.to_list("name") == ["d"]
    d.parents.add(a)  # already linked: no duplicate, no error
    assert d.parents.count() == 2
    d.parents.remove(a)
    assert d.parents.to_list("name") == ["b"]
    d.parents.set([c])
    assert d.parents.to_list("name") == ["c"]
    assert b.children.count() == 0
    c.children.add(a)
    assert sorted(c.children.to_list("name")) == ["a", "d"]
    c.children.clear()
    assert c.children.count() == 0
    assert d.parents.count() == 0


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_query_parents_and_children_all_depths(instance, model):
    r = _ontology(model)
    model(name="unrelated").save()
    assert sorted(r["newborn"].query_parents().to_list("name")) == [
        "animal",
        "being",
        "dog",
        "mammal",
        "pet",
        "puppy",
    ]
    assert sorted(r["animal"].query_children().to_list("name")) == [
        "cat",
        "dog",
        "lab",
        "mammal",
        "newborn",
        "pet",
        "puppy",
    ]
    assert r["being"].query_parents().count() == 0
    assert r["newborn"].query_children().count() == 0
    # a query set: chains, counts each record once although it is reached many times
    qs = r["being"].query_children()
    assert isinstance(qs, ln.models.QuerySet)
    assert qs.count() == 8
    assert qs.filter(name__startswith="p").order_by("name").to_list("name") == ["pet", "puppy"]


def test_walks_follow_the_main_branch(instance):
    r = _ontology(ln.ULabel)
    r["puppy"].delete()
    assert "newborn" not in r["dog"].query_children().to_list("name")
    assert "puppy" not in r["dog"].query_children().to_list("name")
    r["puppy"].restore()
    assert "newborn" in r["dog"].query_children().to_list("name")


def test_query_needs_a_saved_record(instance):
    with pytest.raises(InvalidArgument, match="Save"):
        ln.ULabel(name="unsaved").query_parents()


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_cycles_are_refused(instance, model):
    r = _ontology(model)
    with pytest.raises(InvalidArgument, match="cycle") as info:
        r["being"].parents.add(r["newborn"])
    assert "'newborn'" in str(info.value) and "'being'" in str(info.value)
    with pytest.raises(InvalidArgument, match="its own parent"):
        r["dog"].parents.add(r["dog"])
    with pytest.raises(InvalidArgument, match="cycle"):
        r["newborn"].children.add(r["animal"])
    with pytest.raises(InvalidArgument, match="its own child"):
        r["dog"].children.add(r["dog"])
    assert r["being"].parents.count() == 0
    assert r["newborn"].children.count() == 0


def test_refused_set_keeps_the_old_links(instance):
    r = _ontology(ln.Record)
    with pytest.raises(InvalidArgument, match="cycle"):
        r["mammal"].parents.set([r["being"], r["dog"]])
    assert r["mammal"].parents.to_list("name") == ["animal"]


def test_siblings_and_diamonds_are_not_cycles(instance):
    r = _ontology(ln.ULabel)
    r["cat"].parents.add(r["animal"])  # a second path to animal
    r["newborn"].parents.add(r["lab"])
    assert sorted(r["cat"].parents.to_list("name")) == ["animal", "mammal", "pet"]


# --- views -------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_view_parents_text_tree(instance, model):
    r = _ontology(model)
    graph = r["dog"].view_parents()
    assert isinstance(graph, Graph)
    text = str(graph)
    assert repr(graph) == text
    assert text.splitlines()[0] == f"Parents of {model.__name__} 'dog' (distance ≤ 5):"
    rows = _sections(graph)["Parents"]
    assert rows[0] == (0, "dog")
    assert (1, "animal") in rows and (1, "mammal") in rows and (1, "pet") in rows
    assert (2, "being") in rows
    # animal was drawn with its parent under dog; later paths refer back to it
    assert (2, "animal (see above)") in rows
    assert "puppy" not in text and "cat" not in text


@pytest.mark.parametrize("model", MODELS, ids=MODEL_IDS)
def test_view_children_text_tree(instance, model):
    r = _ontology(model)
    rows = _sections(r["being"].view_children())["Children"]
    assert rows[0] == (0, "being")
    assert rows[1] == (1, "animal")
    assert {(2, "dog"), (2, "mammal"), (2, "pet")} <= set(rows)
    assert (2, "cat") not in rows
    assert (3, "lab") in rows and (3, "puppy") in rows and (4, "newborn") in rows
    assert (3, "cat") in rows  # below mammal and below pet
    assert (3, "dog (see above)") in rows
    names = {name.split(" (")[0] for _, name in rows}
    assert names == {"being", "animal", "mammal", "pet", "dog", "cat", "lab", "puppy", "newborn"}


def test_view_respects_distance(instance):
    r = _ontology(ln.ULabel)
    graph = r["being"].view_children(distance=2)
    rows = _sections(graph)["Children"]
    assert max(depth for depth, _ in rows) == 2
    assert (2, "dog …") in rows and (2, "mammal …") in rows and (2, "pet …") in rows
    assert "puppy" not in str(graph) and "newborn" not in str(graph)
    assert str(graph).splitlines()[-1] == "(… more beyond distance 2)"
    one = _sections(r["dog"].view_parents(distance=1))["Parents"]
    assert one == [
        (0, "dog"),
        (1, "animal …"),
        (1, "mammal …"),
        (1, "pet …"),
        (0, "(… more beyond distance 1)"),
    ]
    zero = str(r["dog"].view_parents(distance=0))
    assert zero.splitlines()[1] == "dog …"
    # nothing beyond: no marks
    assert "…" not in str(r["puppy"].view_children(distance=1))
    with pytest.raises(InvalidArgument, match="distance"):
        r["dog"].view_parents(distance=-1)


def test_view_parents_with_children(instance):
    r = _ontology(ln.Record)
    graph = r["dog"].view_parents(with_children=True, distance=1)
    sections = _sections(graph)
    assert [name for _, name in sections["Parents"]][:4] == ["dog", "animal …", "mammal …", "pet …"]
    assert sections["Children"] == [
        (0, "dog"),
        (1, "lab"),
        (1, "puppy …"),
        (0, "(… more beyond distance 1)"),
    ]


def test_view_without_relatives(instance):
    lonely = ln.ULabel(name="lonely").save()
    assert str(lonely.view_parents()).splitlines()[1] == "lonely (no parents)"
    assert str(lonely.view_children()).splitlines()[1] == "lonely (no children)"


def test_view_field_by_name_or_attribute(instance):
    r = _ontology(ln.ULabel)
    for label in r.values():
        label.description = f"the {label.name}"
        label.save()
    by_attribute = str(r["dog"].view_parents(field=ln.ULabel.description))
    by_name = str(r["dog"].view_parents(field="description"))
    assert by_attribute.replace("'dog'", "") == by_name.replace("'dog'", "")
    assert "the being" in by_name and "the mammal" in by_name
    by_uid = str(r["pet"].view_children(field="uid"))
    assert r["dog"].uid in by_uid and r["cat"].uid in by_uid
    with pytest.raises(FieldError, match="Unknown field 'nme'"):
        r["dog"].view_parents(field="nme")
    with pytest.raises(FieldError, match="many values"):
        r["dog"].view_parents(field="children")


def test_view_prints_labels_literally_and_in_full(instance):
    root = ln.ULabel(name="[bold]root[/bold]").save()
    middle = ln.ULabel(name="middle", description="the middle " + "x" * 300).save()
    leaf = ln.ULabel(name="[red]leaf", description="[red]leaf :smile:\nwith a second line").save()
    middle.parents.add(root)
    leaf.parents.add(middle)
    by_name = str(root.view_children())
    assert by_name.splitlines() == [
        "Children of ULabel '[bold]root[/bold]' (distance ≤ 5):",
        "[bold]root[/bold]",
        "└── middle",
        "    └── [red]leaf",
    ]
    by_description = str(leaf.view_parents(field="description"))
    assert by_description.splitlines()[1:] == [
        "[red]leaf :smile: with a second line",  # one line per record
        "└── the middle " + "x" * 300,
        f"    └── {root.uid}",  # no description: the uid
    ]
    for text in (by_name, by_description):
        assert all(line == line.rstrip() for line in text.splitlines())


def test_records_without_a_name_are_labelled_by_uid(instance):
    parent = ln.Record().save()
    child = ln.Record(name="named").save()
    child.parents.add(parent)
    assert parent.uid in str(child.view_parents())


def test_dot_has_every_node_and_edge(instance):
    r = _ontology(ln.ULabel)
    dot = r["dog"].view_parents(with_children=True).dot
    assert dot.startswith("digraph {") and dot.rstrip().endswith("}")
    nodes = dict(re.findall(r"^\s+n(\d+) \[label=\"([^\"]*)\"", dot, flags=re.M))
    edges = set(re.findall(r"^\s+n(\d+) -> n(\d+);$", dot, flags=re.M))
    name_of = {rid: name for rid, name in nodes.items()}
    named_edges = {(name_of[p], name_of[c]) for p, c in edges}
    assert named_edges == {
        ("being", "animal"),
        ("animal", "mammal"),
        ("animal", "pet"),
        ("animal", "dog"),
        ("mammal", "dog"),
        ("pet", "dog"),
        ("dog", "puppy"),
        ("dog", "lab"),
        ("puppy", "newborn"),
    }
    assert f'n{r["dog"].id} [label="dog", fillcolor=' in dot
    # cat is no ancestor or descendant of dog
    assert "cat" not in dot
    # braces and brackets balance
    assert dot.count("{") == dot.count("}") and dot.count("[") == dot.count("]")


def test_dot_escapes_labels(instance):
    parent = ln.ULabel(name='say "hi" \\ bye').save()
    child = ln.ULabel(name="child").save()
    child.parents.add(parent)
    dot = child.view_parents().dot
    assert 'label="say \\"hi\\" \\\\ bye"' in dot


def test_svg_when_graphviz_is_installed(instance):
    r = _ontology(ln.ULabel)
    svg = r["dog"].view_parents()._repr_svg_()
    if shutil.which("dot") is None:
        assert svg is None
    else:
        assert svg is not None and "<svg" in svg and "mammal" in svg
