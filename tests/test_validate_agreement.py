"""The build's validation (``validate_quads``: compiled shapes and the checks on pyoxigraph) gives the same Report as
``validate`` (pyshacl and the checks on rdflib): the same violations, with the same locations, labels, paths and
messages, on the real graph, on every invalid shape fixture, on synthetic broken variants and on corruptions of the
real graph. tests/test_shapequeries.py compares the shapes' raw results; this compares what users read."""

from __future__ import annotations

import random

import pytest
from rdflib import Dataset, Graph, URIRef

from kzelect.build import Locations, assemble
from kzelect.data import load_data
from kzelect.errors import InputError
from kzelect.graph import triples_by_graph, union_graph
from kzelect.quads import Quads
from kzelect.rdfinput import read_all, read_quads
from kzelect.synth import BROKEN, synth
from kzelect.validate import _curie_path, validate, validate_files, validate_quads
from test_shapequeries import corrupt, split
from test_shapes import FIXTURES as SHAPE_FIXTURES
from test_shapes import INVALID, merged


def reports(groups: dict[str, list], locations=None):
    """(validate_quads's Report, validate's) on the named graphs ``groups`` and their union."""
    union = union_graph(groups)  # with the project's prefixes, as the build's graph: validate shows paths in them
    return validate_quads(Quads.of(groups), locations=locations), validate(union, locations=locations)


def test_the_real_graph_gives_the_same_report():
    loaded = load_data()
    fast, slow = reports(triples_by_graph(loaded), Locations(loaded))
    assert fast == slow
    assert fast.conforms


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_an_invalid_shape_fixture_gives_the_same_report(path):
    fast, slow = reports(split(merged(path)))
    assert fast == slow
    assert not fast.conforms


@pytest.mark.parametrize("fixture, shape", [("record-derived-from-uncited-source", "Fact-sources"),
                                             ("result-election-differs-from-report", "PartyResult-reportElection")])
def test_a_sequence_path_is_shown_as_validate_shows_it(fixture, shape):
    """Regression: the fast path showed a sequence path (``<a>/<b>``) as a mangled CURIE; validate shows ""."""
    fast, slow = reports(split(merged(next(p for p in INVALID if p.stem == fixture))))
    assert [v.path for v in fast.violations if v.shape.endswith(f"#{shape}")] == [""]
    assert fast == slow


def test_a_path_is_a_curie_only_when_it_is_one_iri():
    assert _curie_path("<https://w3id.org/kzelect/ontology#votes>") == "kze:votes"
    for text in ("<https://w3id.org/kzelect/ontology#a>/<https://w3id.org/kzelect/ontology#b>",
                 "^<https://w3id.org/kzelect/ontology#a>", "(<http://example.org/a>|<http://example.org/b>)",
                 "<http://example.org/a>*"):
        assert _curie_path(text) == ""


@pytest.mark.parametrize("broken", sorted(set(BROKEN) - {"negative-votes"}))  # negative votes: the loader refuses
def test_a_synthetic_broken_variant_gives_the_same_report(tmp_path, broken):
    made = synth(tmp_path / "s", 1, 6, 3, broken=(broken,))
    built = assemble(made.folder, check=False)
    assert built.report == validate(built.graph, locations=Locations(built.data))
    assert not built.report.conforms


def test_corruptions_of_the_real_graph_give_the_same_report():
    graph = union_graph(triples_by_graph(load_data()))
    corrupt(graph, random.Random(20240818))
    fast, slow = reports({"corrupted": sorted(graph)})
    assert fast == slow
    assert {v.path for v in fast.violations} > {""}


@pytest.mark.parametrize("fixture", ["record-derived-from-uncited-source", "report-two-results-for-one-party",
                                     "label-without-language-tag", "citation-beyond-end-of-source"])
def test_validating_files_gives_the_report_of_validate(fixture):
    """``kzelect validate FILE...`` reads with rdflib and validates the build's way; pyshacl gives the same Report."""
    files = [SHAPE_FIXTURES / "base.ttl", SHAPE_FIXTURES / "invalid" / f"{fixture}.ttl"]
    fast = validate_files(files)
    assert fast == validate(read_all(files))
    assert not fast.conforms


@pytest.mark.filterwarnings("ignore:Dataset.contexts is deprecated:DeprecationWarning")  # rdflib's own serialisers
@pytest.mark.parametrize("suffix", [".nt", ".nq", ".trig", ".jsonld"])
def test_validating_files_in_each_format_gives_the_report_of_validate(tmp_path, suffix):
    """pyoxigraph reads N-Triples, N-Quads, Turtle and TriG for validation, rdflib the other formats."""
    fixture = SHAPE_FIXTURES / "invalid" / "report-two-results-for-one-party.ttl"
    dataset = Dataset()
    dataset.graph(URIRef("https://example.org/graph/one")).parse(SHAPE_FIXTURES / "base.ttl")
    dataset.graph(URIRef("https://example.org/graph/two")).parse(fixture)
    combined = tmp_path / f"combined{suffix}"
    if suffix == ".nt":
        graph = Graph()
        for s, p, o, _ in dataset.quads():
            graph.add((s, p, o))
        graph.serialize(combined, format="nt", encoding="utf-8")
    else:
        dataset.serialize(combined, format={".nq": "nquads", ".trig": "trig", ".jsonld": "json-ld"}[suffix])
    fast = validate_files([combined])
    assert fast == validate(read_all([combined]))
    assert not fast.conforms


def test_each_file_keeps_its_own_blank_nodes(tmp_path):
    for name, value in (("a.nt", "x"), ("b.nt", "y"), ("c.ttl", "z")):
        (tmp_path / name).write_text(f'_:b0 <https://example.org/p> "{value}" .\n')
    store = read_quads([tmp_path / "a.nt", tmp_path / "b.nt", tmp_path / "c.ttl"]).store()
    subjects = {quad.subject for quad in store.quads_for_pattern(None, None, None)}
    assert len(subjects) == 3


def test_a_file_pyoxigraph_cannot_read_is_reported_as_before(tmp_path):
    broken = tmp_path / "broken.nt"
    broken.write_text('<https://example.org/a> <https://example.org/p> "x" .\n<https://example.org/a> <p> .\n')
    with pytest.raises(InputError) as caught:
        read_quads([broken, tmp_path / "missing.ttl"])
    with pytest.raises(InputError) as before:
        read_all([broken, tmp_path / "missing.ttl"])
    assert str(caught.value) == str(before.value)
    assert "broken.nt:2" in str(caught.value) and "missing.ttl" in str(caught.value)
