"""The ontology (ontology/kzelect.ttl) and the SHACL shapes (shapes/kzelect.shapes.ttl).

Shape fixtures live in tests/fixtures/shapes/: every file under valid/ must conform and every file
under invalid/ must not. Each fixture is validated merged with tests/fixtures/shapes/base.ttl, a
small world (sources, a country, the Mazhilis, the 2007 election and its rules, parties, concept
schemes) that conforms on its own, so that a fixture only holds the records it is about.

The first line of an invalid fixture names the shape(s) it violates::

    # violates: shapes:PartyResult-voteShare

(prefixed with ``shapes:`` or as a full ``<IRI>``). Every reported result must come from a named
shape, or from a property shape of a named node shape, and every named shape must be reported.

Validation is closed-world: no inference and no ontology (``inference="none"``, ``ont_graph=None``).
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # pytest normally has it from pyproject's pythonpath
    sys.path.insert(0, str(ROOT / "src"))

from kzelect.namespaces import KZE  # noqa: E402
from kzelect.schema import COMMON, KINDS  # noqa: E402

ONTOLOGY_FILE = ROOT / "ontology" / "kzelect.ttl"
SHAPES_FILE = ROOT / "shapes" / "kzelect.shapes.ttl"
MAPPING_DOC = ROOT / "docs" / "rdf-mapping.md"
FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
BASE_FIXTURE = FIXTURES / "base.ttl"
VALID = sorted((FIXTURES / "valid").glob("*.ttl"))
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))

SH = Namespace("http://www.w3.org/ns/shacl#")
# A plain Namespace: rdflib's closed XSD namespace warns when pytest probes module attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SHAPES = Namespace("https://w3id.org/kzelect/shapes#")
ONTOLOGY_IRI = URIRef("https://w3id.org/kzelect/ontology")
OWN_NAMESPACES = (str(KZE), "https://w3id.org/kzelect/")
DATE_TYPES = {XSD.date, XSD.gYearMonth, XSD.gYear}
LITERAL_TYPES = {"str": XSD.string, "int": XSD.integer, "decimal": XSD.decimal, "bool": XSD.boolean}


# ------------------------------------------------------------------------------------ loading

@cache
def shapes_graph() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


@cache
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@cache
def base_graph() -> Graph:
    return Graph().parse(BASE_FIXTURE, format="turtle")


@cache
def fixture_graph(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def merged(path: Path | None) -> Graph:
    graph = Graph()
    for triple in base_graph():
        graph.add(triple)
    if path is not None:
        for triple in fixture_graph(path):
            graph.add(triple)
    return graph


@cache
def validation(path: Path | None) -> tuple[bool, Graph, str]:
    """Validate base.ttl merged with the fixture at ``path`` (None: base.ttl alone)."""
    conforms, results, text = pyshacl.validate(
        merged(path), shacl_graph=shapes_graph(), ont_graph=None, inference="none",
        advanced=True, allow_warnings=False)
    return bool(conforms), results, text


def results_of(results: Graph) -> list[tuple]:
    """(focus node, source shape, message) of every validation result."""
    return [(results.value(r, SH.focusNode), results.value(r, SH.sourceShape), results.value(r, SH.resultMessage))
            for r in results.subjects(RDF.type, SH.ValidationResult)]


def named_shapes(path: Path) -> list[URIRef]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.match(r"#\s*violates:\s*(.+)$", first)
    assert match, f"{path.name}: the first line must be '# violates: <shape> ...'"
    names = []
    for token in match.group(1).split():
        if token.startswith("<") and token.endswith(">"):
            names.append(URIRef(token[1:-1]))
        elif token.startswith("shapes:"):
            names.append(SHAPES[token[len("shapes:"):]])
        else:
            raise AssertionError(f"{path.name}: cannot read the shape name {token!r}")
    return names


# ------------------------------------------------------------------------------------ shapes

def node_shapes() -> list[URIRef]:
    return sorted(shapes_graph().subjects(RDF.type, SH.NodeShape))


def belongs(source: URIRef, shape: URIRef) -> bool:
    """A result's source shape is the shape itself or one of its property shapes."""
    return source == shape or (shape, SH.property, source) in shapes_graph()


def focus_nodes(shape: URIRef, graph: Graph) -> set:
    sg, nodes = shapes_graph(), set()
    for cls in sg.objects(shape, SH.targetClass):
        nodes.update(graph.subjects(RDF.type, cls))
    for predicate in sg.objects(shape, SH.targetSubjectsOf):
        nodes.update(graph.subjects(predicate, None))
    for predicate in sg.objects(shape, SH.targetObjectsOf):
        nodes.update(graph.objects(None, predicate))
    nodes.update(sg.objects(shape, SH.targetNode))
    return nodes


def shape_for_class(cls: URIRef) -> URIRef:
    candidates = [s for s in node_shapes() if (s, SH.targetClass, cls) in shapes_graph()
                  and (s, SH.property, None) in shapes_graph()]
    assert len(candidates) == 1, f"expected one node shape with properties for {cls}, found {candidates}"
    return candidates[0]


def property_shapes(node_shape: URIRef, path: URIRef) -> list[URIRef]:
    sg = shapes_graph()
    return [p for p in sg.objects(node_shape, SH.property) if sg.value(p, SH.path) == path]


def classes_in_or(shape: URIRef) -> set:
    """The classes of an sh:class, or of the members of an sh:or of sh:class shapes."""
    sg = shapes_graph()
    classes = set(sg.objects(shape, SH["class"]))
    for lst in sg.objects(shape, SH["or"]):
        for member in Collection(sg, lst):
            classes.update(sg.objects(member, SH["class"]))
    return classes


def datatypes_in_or(shape: URIRef) -> set:
    sg = shapes_graph()
    types = set(sg.objects(shape, SH.datatype))
    for lst in sg.objects(shape, SH["or"]):
        for member in Collection(sg, lst):
            types.update(sg.objects(member, SH.datatype))
    return types


# ------------------------------------------------------------------------------------ fixtures

def test_base_fixture_conforms():
    conforms, _, text = validation(None)
    assert conforms, text


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_fixture_conforms(path):
    conforms, _, text = validation(path)
    assert conforms, text


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_violates_the_named_shape(path):
    names = named_shapes(path)
    for name in names:
        assert (name, RDF.type, None) in shapes_graph(), f"{path.name}: {name} is not a shape in {SHAPES_FILE.name}"
    conforms, results, text = validation(path)
    assert not conforms, f"{path.name} conforms, but should violate {names}"
    found = results_of(results)
    stray = [(str(f), str(s), str(m)) for f, s, m in found if not any(belongs(s, n) for n in names)]
    assert not stray, f"{path.name}: results from shapes it does not name:\n{stray}\n{text}"
    for name in names:
        assert any(belongs(s, name) for _, s, _ in found), f"{path.name}: {name} reported nothing\n{text}"


def test_every_node_shape_has_valid_and_invalid_fixtures():
    """A fixture covers a node shape when it holds one of the shape's focus nodes (valid), or when
    a result of the shape (or of one of its property shapes) is about one of them (invalid)."""
    shapes = node_shapes()
    valid_cover, invalid_cover = set(), set()
    for path in VALID:
        own = fixture_graph(path)
        valid_cover.update(s for s in shapes if focus_nodes(s, own))
    for path in INVALID:
        graph = merged(path)
        for focus, source, _ in results_of(validation(path)[1]):
            invalid_cover.update(s for s in shapes if belongs(source, s) and focus in focus_nodes(s, graph))
    assert not [s for s in shapes if s not in valid_cover], "node shapes without a valid fixture"
    assert not [s for s in shapes if s not in invalid_cover], "node shapes without an invalid fixture"


def test_every_sparql_rule_has_its_own_node_shape_with_message_and_prefixes():
    sg = shapes_graph()
    constraints = list(sg.objects(None, SH.sparql))
    assert constraints
    for constraint in constraints:
        owners = list(sg.subjects(SH.sparql, constraint))
        assert len(owners) == 1 and len(list(sg.objects(owners[0], SH.sparql))) == 1, owners
        assert sg.value(constraint, SH.message) is not None
        assert sg.value(constraint, SH.prefixes) is not None
        assert sg.value(constraint, SH.select) is not None


def test_every_shape_has_an_iri_and_says_what_it_checks():
    sg = shapes_graph()
    shapes = set(sg.subjects(RDF.type, SH.NodeShape)) | set(sg.subjects(RDF.type, SH.PropertyShape))
    shapes |= set(sg.objects(None, SH.property))
    for shape in shapes:
        assert isinstance(shape, URIRef) and shape.startswith(str(SHAPES)), f"shape without an IRI: {shape}"
        assert sg.value(shape, SH.message) is not None or sg.value(shape, RDFS.comment) is not None, shape
        assert sg.value(shape, RDFS.comment) is not None, f"{shape} has no rdfs:comment"


# ------------------------------------------------------------------------------------ shapes vs schema.py

def test_every_schema_class_has_a_node_shape():
    for cls in {kind.cls for kind in KINDS.values()}:
        shape_for_class(cls)


def test_every_field_has_a_matching_property_shape():
    sg = shapes_graph()
    for kind in KINDS.values():
        node = shape_for_class(kind.cls)
        for field in COMMON + kind.fields:
            props = property_shapes(node, field.predicate)
            assert len(props) == 1, f"{kind.name}.{field.name}: {len(props)} property shapes for {field.predicate}"
            prop = props[0]
            where = f"{kind.name}.{field.name} ({prop})"
            min_count = sg.value(prop, SH.minCount)
            max_count = sg.value(prop, SH.maxCount)
            assert (min_count is not None and min_count.toPython() >= 1) == field.required, f"{where}: sh:minCount"
            assert (max_count is not None and max_count.toPython() == 1) == (not field.many), f"{where}: sh:maxCount"
            if field.predicate in (SKOS.prefLabel, SKOS.altLabel):
                assert sg.value(prop, SH.datatype) == RDF.langString, where
            elif field.type in LITERAL_TYPES:
                assert sg.value(prop, SH.datatype) == LITERAL_TYPES[field.type], f"{where}: sh:datatype"
            elif field.type == "date":
                assert datatypes_in_or(prop) == DATE_TYPES, f"{where}: date types"
            elif field.type == "uri":
                assert sg.value(prop, SH.nodeKind) == SH.IRI, where
            elif field.type == "ref":
                assert sg.value(prop, SH.nodeKind) == SH.IRI, where
                expected = {KINDS[k].cls for k in field.kinds}
                assert classes_in_or(prop) == expected, f"{where}: classes {classes_in_or(prop)} != {expected}"
                for k in field.kinds:
                    if KINDS[k].concept:
                        pattern = str(sg.value(prop, SH.pattern))
                        assert f"/id/{k}/" in pattern, f"{where}: no IRI pattern for the {k} scheme"
            else:
                raise AssertionError(f"{where}: unknown field type {field.type}")
        cited = [p for p in sg.objects(node, SH.property) if sg.value(p, SH.path) == KZE.citation]
        if kind.cited:
            assert cited and sg.value(cited[0], SH.minCount).toPython() >= 1, f"{kind.name}: no citation required"
        else:
            assert not cited, f"{kind.name} is not cited but its shape has kze:citation"


def test_record_shapes_are_closed():
    sg = shapes_graph()
    for cls in {kind.cls for kind in KINDS.values()}:
        assert sg.value(shape_for_class(cls), SH.closed) == Literal(True), cls


def test_every_kze_term_in_the_shapes_is_declared_in_the_ontology():
    declared = set(ontology().subjects(RDF.type, None))
    used = {t for t in shapes_graph().all_nodes() if isinstance(t, URIRef) and str(t).startswith(str(KZE))}
    assert used and not sorted(used - declared)


# ------------------------------------------------------------------------------------ ontology

def schema_terms() -> tuple[set, set]:
    classes = {kind.cls for kind in KINDS.values()}
    predicates = {f.predicate for kind in KINDS.values() for f in COMMON + kind.fields}
    return classes, predicates


def mapping_terms() -> set:
    text = MAPPING_DOC.read_text(encoding="utf-8")
    return {KZE[name] for name in re.findall(r"\bkze:([A-Za-z][A-Za-z0-9]*)", text)}


def test_ontology_declares_every_kze_term_with_label_and_comment():
    onto = ontology()
    classes, predicates = schema_terms()
    terms = {t for t in classes | predicates | mapping_terms() if str(t).startswith(str(KZE))}
    for term in sorted(terms):
        types = set(onto.objects(term, RDF.type))
        assert types & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}, f"{term} is not declared"
        for predicate in (RDFS.label, RDFS.comment):
            values = list(onto.objects(term, predicate))
            assert values and all(isinstance(v, Literal) and v.language == "en" for v in values), \
                f"{term}: needs an English {predicate}"


def test_ontology_declares_the_mapping_terms():
    assert {KZE.citation, KZE.Citation, KZE.election, KZE.sha256, KZE.characterCount} <= mapping_terms()


def test_ontology_property_kinds_match_field_types():
    onto = ontology()
    for kind in KINDS.values():
        for field in kind.fields:
            if not str(field.predicate).startswith(str(KZE)):
                continue
            expected = OWL.ObjectProperty if field.type in ("ref", "uri") else OWL.DatatypeProperty
            assert (field.predicate, RDF.type, expected) in onto, f"{field.predicate} should be a {expected}"


def test_schema_classes_are_declared_or_reused():
    onto = ontology()
    classes, _ = schema_terms()
    for cls in classes:
        if str(cls).startswith(str(KZE)):
            assert (cls, RDF.type, OWL.Class) in onto, cls
        else:
            assert (cls, RDF.type, None) not in onto, f"{cls} is another vocabulary's class: reuse, do not redeclare"


def test_every_kze_class_is_aligned_with_an_external_vocabulary():
    onto = ontology()

    def external_superclasses(cls, seen=()):
        found = set()
        for sup in onto.objects(cls, RDFS.subClassOf):
            if isinstance(sup, URIRef) and not str(sup).startswith(OWN_NAMESPACES):
                found.add(sup)
            elif isinstance(sup, URIRef) and sup not in seen:
                found |= external_superclasses(sup, seen + (cls,))
        return found

    kze_classes = [c for c in onto.subjects(RDF.type, OWL.Class)
                   if isinstance(c, URIRef) and str(c).startswith(str(KZE))]
    assert kze_classes
    for cls in kze_classes:
        assert external_superclasses(cls), f"{cls} has no superclass outside kze:"


def test_ontology_header():
    onto = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert onto.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef("https://w3id.org/kzelect/ontology/0.1.0")
    assert str(onto.value(ONTOLOGY_IRI, OWL.versionInfo)) == "0.1.0"
    dct = Namespace("http://purl.org/dc/terms/")
    assert onto.value(ONTOLOGY_IRI, dct.title) is not None and onto.value(ONTOLOGY_IRI, dct.description) is not None
    assert onto.value(ONTOLOGY_IRI, OWL.imports) is None, "no owl:imports: the ontology must load offline"


def test_ontology_does_not_redeclare_other_vocabularies():
    onto = ontology()
    declared = {s for s in onto.subjects(RDF.type, None) if isinstance(s, URIRef)}
    foreign = [s for s in declared if not str(s).startswith(OWN_NAMESPACES)]
    assert not foreign, foreign


def test_no_blank_node_shapes_are_targets():
    """Targets are only declared on named node shapes (anonymous shapes are sh:or members)."""
    sg = shapes_graph()
    for predicate in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode):
        assert not [s for s in sg.subjects(predicate, None) if isinstance(s, BNode)]
