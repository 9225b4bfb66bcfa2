"""pyshacl's results for a graph, normalised to the fast path's Results (the other side of the agreement tests)."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor

from ..namespaces import SH
from .results import Result
from .terms import path_text


def reference(graph: Graph, shapes: Graph) -> list[Result]:
    """pyshacl's results for ``graph``, as validate.py runs it, normalised to Results."""
    with _queries_parsed_once():
        _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                        do_owl_imports=False, js=False)
    rows = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(node, SH.resultPath)
        rows.append((report.value(node, SH.focusNode), path_text(report, path) if path is not None else "",
                     report.value(node, SH.value), str(report.value(node, SH.sourceConstraintComponent)),
                     str(report.value(node, SH.sourceShape)),
                     sorted({str(m) for m in report.objects(node, SH.resultMessage)}) or [""]))
    text = _canonical_texts([term for row in rows for term in (row[0], row[2]) if term is not None])
    return sorted({Result(text[focus], path, text[value] if value is not None else "", component, shape, message)
                   for focus, path, value, component, shape, messages in rows for message in messages})


@contextmanager
def _queries_parsed_once():
    """pyshacl has rdflib parse a SHACL-SPARQL query anew for each focus node (it pre-binds $this; the text stays
    the same), which is most of its time: parse each text once. The same algebra, evaluated the same way."""
    original = SPARQLProcessor.query

    def query(self, text, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803 (rdflib's names)
        if isinstance(text, str):  # the graph's namespaces matter only for prefixes the text uses
            used = tuple(sorted((p, str(ns)) for p, ns in (initNs or {}).items() if f"{p}:" in text))
            text = _translated(text, base, used)
        return original(self, text, initBindings, initNs, base, DEBUG)

    SPARQLProcessor.query = query
    try:
        yield
    finally:
        SPARQLProcessor.query = original


@lru_cache(maxsize=256)
def _translated(text: str, base, namespaces: tuple):
    return translateQuery(parseQuery(text), base, dict(namespaces))


def _ox_term(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))


def _canonical_texts(terms) -> dict:
    """N-Triples text of rdflib terms as a pyoxigraph store holds them (values, not spellings)."""
    store, predicate, subjects = ox.Store(), ox.NamedNode("urn:kzelect:term"), {}
    for index, term in enumerate(set(terms)):
        subjects[term] = ox.NamedNode(f"urn:kzelect:term:{index}")
        store.add(ox.Quad(subjects[term], predicate, _ox_term(term)))
    held = {quad.subject: str(quad.object) for quad in store}
    return {term: held[subject] for term, subject in subjects.items()}
