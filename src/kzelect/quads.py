"""The graph in a pyoxigraph store: the fast engine of the build (validation, exports), from rdflib-term triples.

The records become triples as rdflib terms (``graph.triples_by_graph``); this module puts them, one named
graph per data file, into an in-memory ``pyoxigraph.Store``. Names are converted once each (they repeat:
predicates, classes, parties); literals keep their exact spelling (lexical form, datatype, language).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from .graph import GRAPH_BASE, Triple
from .progress import bar

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class Terms:
    """rdflib terms to pyoxigraph terms, names cached."""

    def __init__(self):
        self.names: dict[str, ox.NamedNode] = {}

    def name(self, iri: str) -> ox.NamedNode:
        node = self.names.get(iri)
        if node is None:
            node = self.names[iri] = ox.NamedNode(iri)
        return node

    def term(self, term):
        kind = type(term)
        if kind is ox.NamedNode or kind is ox.Literal:  # made by rows.OxigraphTerms
            return term
        if isinstance(term, URIRef):
            return self.name(term)
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            if term.datatype is not None and str(term.datatype) != XSD_STRING:
                return ox.Literal(str(term), datatype=self.name(term.datatype))
            return ox.Literal(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        raise TypeError(f"not an RDF term: {term!r}")

    def triples(self, triples: Iterable[Triple]) -> Iterator[ox.Triple]:
        term = self.term
        for s, p, o in triples:
            yield ox.Triple(term(s), term(p), term(o))


class Quads:
    """The graph as N-Triples text per named graph (written by pyoxigraph, so each term's spelling is kept
    exactly), and the views the exports need: the union's triples, and each named graph's, as sorted unique
    N-Triples lines.

    Not a pyoxigraph ``Store``: a store keeps literal values rather than their spelling (``"12.0"^^xsd:decimal``
    comes back as ``"12"``, ``xsd:nonNegativeInteger`` as ``xsd:integer``), which the exports must not change.
    """

    def __init__(self, graphs: dict[str, bytes]):
        self.graphs = graphs  # named graph IRI -> its triples as N-Triples
        self._lines: list[tuple[str, list[bytes]]] | None = None
        self._union: list[bytes] | None = None

    @classmethod
    def of(cls, groups: dict[str, list[Triple]]) -> Quads:
        """The triples of each group in its named graph ``id:graph/{name}``."""
        terms, nt = Terms(), ox.RdfFormat.N_TRIPLES
        return cls({str(GRAPH_BASE + name): ox.serialize(terms.triples(groups[name]), format=nt)
                    for name in bar(sorted(groups), "graph as N-Triples", total=len(groups), unit="graph")})

    @classmethod
    def of_graph(cls, triples: Iterable[Triple], name: str = "graph") -> Quads:
        """The triples of one rdflib graph, in one named graph."""
        return cls({str(GRAPH_BASE + name): ox.serialize(Terms().triples(triples), format=ox.RdfFormat.N_TRIPLES)})

    def graph_lines(self) -> list[tuple[str, list[bytes]]]:
        """Each named graph's IRI and its triples as sorted unique N-Triples lines (no newline), graphs by IRI."""
        if self._lines is None:
            # N-Triples escapes newlines, so a line is a triple; U+2028 stays inside its line
            self._lines = [(name, sorted(set(self.graphs[name].split(b"\n")) - {b""})) for name in sorted(self.graphs)]
        return self._lines

    def union_lines(self) -> list[bytes]:
        """Each triple of the union once, an N-Triples line (no newline), in byte order."""
        if self._union is None:
            graphs = self.graph_lines()
            self._union = graphs[0][1] if len(graphs) == 1 else sorted({line for _, lines in graphs for line in lines})
        return self._union

    def __len__(self) -> int:
        return len(self.union_lines())

    def store(self) -> ox.Store:
        """An in-memory store of the quads, for queries (validation): values, not spellings (see above)."""
        store = ox.Store()
        for name, data in self.graphs.items():
            store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
        return store
