"""The fast SHACL path (kzelect.shapequeries) reports exactly what pyshacl reports: the same Results, term for term,
on the real graph, on every shape fixture, on small synthetic graphs and their broken variants, and on seeded
corruptions of the real graph. A shapes graph with a feature the compiler does not handle is refused, naming it.

The data goes into a pyoxigraph store in named graphs, a triple in several of them where the build puts it so,
and the fast path validates their union."""

from __future__ import annotations

import random
from collections.abc import Iterable
from decimal import Decimal
from functools import cache

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from kzelect.data import load_data
from kzelect.errors import DataError
from kzelect.graph import triples_by_graph
from kzelect.namespaces import KZE, OA
from kzelect.shapequeries import Result, Unsupported, compile_shapes, reference, run
from kzelect.synth import BROKEN, FAULTS, synth
from kzelect.validate import load_shapes
from test_shapes import INVALID, VALID, merged

EX = Namespace("https://example.org/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # not rdflib's closed XSD, which warns when pytest probes it
SHAPES = Namespace("https://w3id.org/kzelect/shapes#")


@cache
def shapes() -> Graph:
    return load_shapes()


@cache
def compiled():
    return compile_shapes(shapes())


def both(groups: dict[str | None, Iterable], shapes_graph: Graph | None = None, compiled_shapes=None) -> tuple[list, list]:
    """(the fast path's Results, pyshacl's) for the union of the named graphs ``groups`` (None: the default graph)."""
    store, union = ox.Store(), Graph()
    for name, triples in groups.items():
        graph = Graph()
        for triple in triples:
            graph.add(triple)
            union.add(triple)
        store.load(graph.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES,
                   to_graph=ox.DefaultGraph() if name is None else ox.NamedNode(f"https://w3id.org/kzelect/id/graph/{name}"))
    slow = reference(union, shapes_graph if shapes_graph is not None else shapes())
    return run(store, compiled_shapes or compiled()), slow


def split(graph: Graph) -> dict[str, list]:
    """A graph in two named graphs, every third triple in both (the union graph repeats it)."""
    triples = sorted(graph)
    return {"first": triples, "second": triples[::3]}


def about(results: list[Result], nodes: set[str]) -> list[Result]:
    return [r for r in results if r.focus in nodes]


# ------------------------------------------------------------------------------------------------ the real graph

@cache
def real_groups() -> dict[str, list]:
    return triples_by_graph(load_data())


def test_the_real_graph_conforms_on_both_engines():
    fast, slow = both(real_groups())
    assert fast == slow == []


# ------------------------------------------------------------------------------------------------ shape fixtures

@pytest.mark.parametrize("path", [None, *VALID, *INVALID], ids=["base", *(p.stem for p in VALID), *(p.stem for p in INVALID)])
def test_a_shape_fixture_gives_the_same_results(path):
    fast, slow = both(split(merged(path)))
    assert fast == slow
    assert bool(fast) == (path in INVALID)


# ------------------------------------------------------------------------------------------------ synthetic graphs

@pytest.mark.parametrize("broken", [None, *BROKEN])
def test_a_small_synthetic_graph_gives_the_same_results(tmp_path, broken):
    if broken == "negative-votes":  # the loader refuses the folder: negate votes in the clean graph instead
        with pytest.raises(DataError):
            load_data(synth(tmp_path / "refused", 1, 6, 3, broken=(broken,)).folder)
    made = synth(tmp_path / "s", 1, 6, 3, broken=(broken,) if broken and broken != "negative-votes" else ())
    groups = triples_by_graph(load_data(made.folder))
    if broken == "negative-votes":
        votes = sorted({t for triples in groups.values() for t in triples if t[1] == KZE.votes})
        chosen = set(random.Random(7).sample(votes, FAULTS))
        groups = {name: [(s, p, Literal(str(-o.toPython()), datatype=XSD.integer)) if (s, p, o) in chosen else (s, p, o)
                         for s, p, o in triples] for name, triples in groups.items()}
    fast, slow = both(groups)
    assert fast == slow
    if broken == "negative-votes":
        assert {f"<{s}>" for s, _, _ in chosen} <= {r.focus for r in fast}


# ------------------------------------------------------------------------------------------------ corruptions

def corrupt(graph: Graph, rng: random.Random) -> dict[str, set[str]]:
    """Seeded corruptions of the real graph: what each is -> the focus nodes it must be reported on."""
    def pick(cls, predicate=None):
        nodes = sorted(s for s in graph.subjects(RDF.type, cls) if predicate is None or (s, predicate, None) in graph)
        return rng.choice(nodes)

    def replace(subject, predicate, new) -> None:
        graph.remove((subject, predicate, None))
        graph.add((subject, predicate, new))

    done = {}
    result = pick(KZE.PartyResult)
    graph.remove((result, KZE.party, None))
    done["a required triple deleted"] = {result}
    figure = pick(KZE.Figure)
    value = graph.value(figure, KZE.value).toPython()
    graph.add((figure, KZE.value, Literal(format(value + 1, "f"), datatype=XSD.decimal)))
    done["a single-valued field given a second value"] = {figure}
    result = pick(KZE.PartyResult, KZE.votes)
    replace(result, KZE.votes, Literal(f"{graph.value(result, KZE.votes)}.0", datatype=XSD.decimal))
    done["a count typed xsd:decimal"] = {result}
    person = pick(KZE.Person)
    replace(person, SKOS.prefLabel, Literal(str(graph.value(person, SKOS.prefLabel)), lang="ru"))
    done["a label tagged @ru"] = {person}
    party = pick(KZE.PoliticalParty)
    graph.add((party, DCTERMS.description, Literal("a predicate the closed shape does not allow")))
    done["a predicate outside a closed shape"] = {party}
    assessment = pick(KZE.Assessment)
    replace(assessment, KZE.assessmentOf, pick(KZE.Person))
    done["a reference to a node of the wrong class"] = {assessment}
    result = pick(KZE.PartyResult, KZE.voteShare)
    replace(result, KZE.voteShare, Literal("150.0", datatype=XSD.decimal))
    done["a vote share out of range"] = {result, graph.value(result, KZE.inReport)}
    position = pick(OA.TextPositionSelector)
    replace(position, OA.end, Literal(str(graph.value(position, OA.end).toPython() + 3), datatype=XSD.nonNegativeInteger))
    target = graph.value(predicate=OA.hasSelector, object=position)
    done["a citation's span made longer than its quote"] = {graph.value(target, OA.hasSource), position}
    return {what: {f"<{n}>" for n in nodes} for what, nodes in done.items()}


def test_corruptions_of_the_real_graph_give_the_same_results():
    groups = real_groups()
    graph = Graph()
    for triples in groups.values():
        for triple in triples:
            graph.add(triple)
    expected = corrupt(graph, random.Random(20240818))
    kept = {name: [t for t in triples if t in graph] for name, triples in groups.items()}
    everywhere = {t for triples in groups.values() for t in triples}
    kept["corrupted"] = [t for t in graph if t not in everywhere]
    fast, slow = both(kept)
    assert fast == slow
    for what, nodes in expected.items():
        assert about(fast, nodes), f"{what}: nothing reported on {nodes}"


def test_subclasses_in_the_data_and_a_default_graph_give_the_same_results():
    """Class membership through rdfs:subClassOf in the data (targets and sh:class), and a store with data in its
    default graph as well as in a named graph."""
    graph = merged(None)
    observer = URIRef("https://w3id.org/kzelect/id/person/observer")
    graph.remove((observer, RDF.type, KZE.Person))
    graph.add((observer, RDF.type, EX.Observer))
    graph.add((EX.Observer, RDFS.subClassOf, KZE.Person))
    graph.remove((observer, RDFS.label, None))
    triples = sorted(graph)
    fast, slow = both({None: triples[::2], "named": triples[1::2] + triples[::5]})
    assert fast == slow and about(fast, {f"<{observer}>"})


# ------------------------------------------------------------------------------------------------ terms, rules, refusals

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/> . @prefix kze: <https://w3id.org/kzelect/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""


def test_literals_render_alike_on_both_engines():
    """Escapes, language tags (any case), xsd:string and typed literals, spelled canonically or not."""
    rules = Graph().parse(data=PREFIXES + """
        ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property ex:Thing-value ; sh:message "a thing"@en .
        ex:Thing-value a sh:PropertyShape ; sh:path ex:value ; sh:datatype xsd:integer ; sh:maxLength 3 ;
            sh:message "an integer"@en , "eine ganze Zahl"@de .
    """, format="turtle")
    data = Graph().parse(data=PREFIXES + r"""
        ex:a a ex:Thing ; ex:value "quote \" backslash \\ newline \n tab \t é ☃" , "x"@en-US , "x"^^xsd:string , "7.0"^^xsd:decimal ,
            "-0"^^xsd:decimal , "1e3"^^xsd:double , "2007-08-18"^^xsd:date , "abc"^^xsd:integer , 12345 , <https://example.org/iri> .
    """, format="turtle")
    fast, slow = both(split(data), rules, compile_shapes(rules))
    assert fast == slow and len({r.value for r in fast}) == 10 and {r.message for r in fast} == {"an integer", "eine ganze Zahl"}


ASIDE = PREFIXES + """
    <https://example.org/rules> a owl:Ontology ;
        sh:declare [ sh:prefix "kze" ; sh:namespace "https://w3id.org/kzelect/ontology#"^^xsd:anyURI ] .
    ex:ResultsOfOtherReports a sh:NodeShape ; sh:targetClass kze:ResultReport ;
        sh:sparql [ a sh:SPARQLConstraint ; sh:prefixes <https://example.org/rules> ;
            sh:message "{$this}: {?value} ({?n}, {?missing})"@en ;
            sh:select \"\"\"%s\"\"\" ] .
"""
NOT_LIFTED = """
    SELECT $this ?value ?n WHERE {
        $this kze:election ?election .
        { ?value kze:inReport ?report ; kze:votes ?n . FILTER (?report = $this && ?n > 50) }
    }"""
LIFTED = """
    SELECT $this ?value (COUNT(DISTINCT ?other) AS ?n) WHERE {
        ?value kze:inReport $this .
        OPTIONAL { $this kze:isComplete ?complete }
        { ?other kze:inReport $this } UNION { ?other kze:party ?party . ?value kze:party ?party }
        FILTER (!BOUND(?complete) || ?complete)
    } GROUP BY $this ?value HAVING (COUNT(DISTINCT ?other) > 2)"""


@pytest.mark.parametrize("select, mode", [(NOT_LIFTED, "per focus node"), (LIFTED, "lifted")], ids=["per-focus", "lifted"])
def test_a_sparql_rule_is_lifted_or_run_per_focus_node_with_the_same_results(select, mode):
    rules = Graph().parse(data=ASIDE % select, format="turtle")
    rules_compiled = compile_shapes(rules)
    assert rules_compiled.sparql == {str(EX.ResultsOfOtherReports): mode}
    report = next(p for p in VALID if p.stem == "result-report-complete")
    fast, slow = both(split(merged(report)), rules, rules_compiled)
    assert fast == slow and fast


def test_our_sparql_rules_are_all_lifted():
    modes = compiled().sparql
    assert len(modes) == 12 and set(modes.values()) == {"lifted", "lifted, deduplicated"}
    assert {shape for shape, mode in modes.items() if mode == "lifted, deduplicated"} == {
        str(SHAPES.ResultShareConsistentWithVotesShape), str(SHAPES.ReportSharesSumShape)}  # they SUM


def test_a_feature_the_compiler_does_not_handle_is_refused_by_name():
    extra = Graph().parse(data=PREFIXES + """
        ex:Odd a sh:NodeShape ; sh:targetSubjectsOf kze:party ; sh:node ex:Other ; sh:message "odd"@en ;
            sh:xone ( [ sh:class kze:Person ] [ sh:class kze:Place ] ) .
        ex:Other a sh:NodeShape ; sh:message "other"@en .
    """, format="turtle")
    with pytest.raises(Unsupported) as refused:
        compile_shapes(shapes() + extra)
    for feature in ("sh:targetSubjectsOf", "sh:node", "sh:xone"):
        assert any(f"{feature} " in line and "Odd" in line for line in str(refused.value).splitlines()), feature


def test_every_decimal_of_a_message_is_spelled_as_rdflib_spells_it():
    """The store keeps 7.0 as 7; a message says 7.0, as pyshacl writes the value of the kzelect graph."""
    fast, slow = both(split(merged(next(p for p in INVALID if p.stem == "result-passed-threshold-below-threshold"))))
    assert fast == slow and any("threshold of 7.0 percent" in r.message for r in fast)


def test_a_decimal_spelled_otherwise_is_found_alike_and_spelled_as_kzelect_spells_it():
    """The store keeps 120.00 as 120; messages spell it 120.0 (see the module doc of kzelect.shapequeries)."""
    graph = merged(next(p for p in INVALID if p.stem == "figure-percent-over-100"))
    for s, p, o in list(graph.triples((None, KZE.value, None))):
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            graph.set((s, p, Literal(format(Decimal(str(o)).quantize(Decimal("0.01")), "f"), datatype=XSD.decimal)))
    fast, slow = both(split(graph))
    assert [(r.focus, r.path, r.value, r.component, r.shape) for r in fast] == \
        [(r.focus, r.path, r.value, r.component, r.shape) for r in slow]
    assert [r.message.replace("120.0 ", "120.00 ") for r in fast] == [r.message for r in slow]  # the store keeps no spelling
