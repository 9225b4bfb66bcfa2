"""The build's fast writers (pyoxigraph, and kzelect's own JSON-LD node writer) agree with rdflib's, the reference.

On the real graph, on a synthetic one, and on literals chosen to be awkward: the same N-Triples and JSON-LD
bytes as rdflib writes, Turtle and TriG that rdflib reads as the same graph and named graphs, and every
literal's spelling kept (a pyoxigraph store would turn "12.0"^^xsd:decimal into "12").
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from kzelect import export
from kzelect.data import load_data
from kzelect.graph import named_graphs, triples_by_graph, union_graph
from kzelect.quads import Quads
from kzelect.rows import OxigraphTerms

EX = "https://w3id.org/kzelect/id/thing/"


def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth") / "data"
    subprocess.run([sys.executable, "-m", "kzelect", "synth", str(folder), "--elections", "1", "--stations", "6",
                    "--parties", "3"], check=True, capture_output=True)
    return folder


@pytest.fixture(scope="module", params=["real", "synthetic"])
def data(request, tmp_path_factory):
    return load_data() if request.param == "real" else load_data(synthetic(tmp_path_factory))


@pytest.fixture(scope="module")
def groups(data):
    return triples_by_graph(data)


def test_result_rows_made_by_pyoxigraph_are_the_rows_rdflib_makes(data, groups):
    """The build makes the result tables' terms with pyoxigraph directly; the quads are the same."""
    fast = Quads.of(triples_by_graph(data, OxigraphTerms))
    assert fast.graphs == Quads.of(groups).graphs  # the same N-Triples, line for line, graph for graph


def awkward_groups():
    """Literals whose spelling a store or a careless writer would change, in two named graphs."""
    s, p = URIRef(EX + "a"), URIRef("https://w3id.org/kzelect/ontology#value")
    values = [Literal("12.0", datatype=XSD.decimal), Literal("0012", datatype=XSD.nonNegativeInteger),
              Literal("007", datatype=XSD.integer), Literal("1", datatype=XSD.boolean), Literal("1e3", datatype=XSD.double),
              Literal("2011-12", datatype=XSD.gYearMonth), Literal("Nur\u2028Otan \"q\" \\ \n\t</script>"),
              Literal("Жаңаөзен", lang="kk"), Literal("Zhanaozen", lang="en-gb"),
              Literal("", lang="en")]  # not "x"^^xsd:string: RDF 1.1 makes it "x", which rdflib alone keeps apart
    first = [(s, p, value) for value in values]
    second = [(URIRef(EX + "b"), URIRef("http://www.w3.org/ns/oa#motivatedBy"), URIRef("http://www.w3.org/ns/oa#describing")),
              (URIRef(EX + "b"), URIRef("http://example.org/no-prefix#p"), URIRef(EX + "a")), first[0]]
    return {"first": first, "second": second}


def check_agreement(groups, same_bytes: bool = True):
    """``same_bytes``: the N-Triples bytes equal rdflib's (they escape some characters differently: a tab is
    ``\\t`` from pyoxigraph, itself from rdflib, both valid), else the same triples."""
    quads, graph, dataset = Quads.of(groups), union_graph(groups), named_graphs(groups)
    if same_bytes:
        assert export.to_ntriples(quads) == export.rdflib_ntriples(graph)
    assert set(Graph().parse(data=export.to_ntriples(quads).decode("utf-8"), format="nt")) == set(graph)
    assert export.to_jsonld(quads) == export.rdflib_jsonld(graph)
    turtle = Graph().parse(data=export.to_turtle(quads).decode("utf-8"), format="turtle")
    assert isomorphic(turtle, graph)
    assert set(turtle) == set(graph)  # the same terms, spelled the same (no blank nodes here)
    trig = Dataset()
    trig.parse(data=export.to_trig(quads).decode("utf-8"), format="trig")
    assert export.to_trig(quads) == export.to_trig(dataset)
    named = {str(g.identifier): set(g) for g in trig.graphs() if len(g)}
    assert named == {str(g.identifier): set(g) for g in dataset.graphs() if len(g)}
    assert len(quads) == len(graph)


def test_fast_writers_agree_with_rdflib(groups):
    check_agreement(groups)


def test_fast_writers_agree_with_rdflib_on_awkward_literals():
    check_agreement(awkward_groups(), same_bytes=False)


def test_spelling_of_literals_is_kept():
    written = export.to_ntriples(Quads.of(awkward_groups())).decode("utf-8")
    assert '"12.0"^^<http://www.w3.org/2001/XMLSchema#decimal>' in written
    assert '"12"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in written  # a store says xsd:integer
    assert '"Zhanaozen"@en-gb' in written  # pyoxigraph lower-cases language tags (they compare case-insensitively);
    # the build writes only "en"


def test_a_triple_in_two_named_graphs_is_written_once_in_the_union():
    quads = Quads.of(awkward_groups())
    lines = export.to_ntriples(quads).splitlines()
    assert len(lines) == len(set(lines)) == len(union_graph(awkward_groups()))


def test_json_ld_of_the_build_refuses_blank_nodes_rather_than_guess():
    from rdflib import BNode

    with pytest.raises(ValueError, match="blank node"):
        export.to_jsonld(Quads.of({"g": [(BNode("x"), URIRef(EX + "p"), Literal("v"))]}))
