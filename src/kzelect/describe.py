"""What the graph says about one resource, for its page and its data documents.

Everything is looked up in the build's store by IRI, never by a path on disk: a request for
``/id/party/x`` becomes a question about ``https://w3id.org/kzelect/id/party/x``. A resource's
description is every triple whose subject is its IRI or one of its hash IRIs (``...#target``),
plus the labels of what it links to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from .namespaces import BASE, curie
from .results import Term, oxigraph_term

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
LABELS = (PREF_LABEL, "http://www.w3.org/2000/01/rdf-schema#label", "http://purl.org/dc/terms/title")
DEPRECATED = "http://www.w3.org/2002/07/owl#deprecated"
REPLACED_BY = "http://purl.org/dc/terms/isReplacedBy"


@dataclass
class Description:
    iri: str
    triples: list[tuple[Term, Term, Term]]  # (subject, predicate, object), sorted
    incoming: list[tuple[str, str]] = field(default_factory=list)  # (subject IRI, predicate IRI)

    def values(self, predicate: str, subject: str | None = None) -> list[Term]:
        subject = subject or self.iri
        return [o for s, p, o in self.triples if s["value"] == subject and p["value"] == predicate]

    def value(self, predicate: str, subject: str | None = None) -> str | None:
        found = self.values(predicate, subject)
        return found[0]["value"] if found else None

    @property
    def types(self) -> list[str]:
        return [t["value"] for t in self.values(RDF_TYPE)]


COMMON_LABELS = {
    "http://www.w3.org/2000/01/rdf-schema#label": "label",
    "http://www.w3.org/2000/01/rdf-schema#comment": "comment",
    PREF_LABEL: "name",
    ALT_LABEL: "also called",
    "http://www.w3.org/2004/02/skos/core#editorialNote": "editorial note",
    "http://www.w3.org/2004/02/skos/core#definition": "definition",
    "http://www.w3.org/2004/02/skos/core#inScheme": "in scheme",
    "http://www.w3.org/ns/prov#wasDerivedFrom": "source",
    "http://purl.org/dc/terms/title": "title",
    "http://purl.org/dc/terms/publisher": "publisher",
    "http://purl.org/dc/terms/creator": "author",
    "http://purl.org/dc/terms/issued": "published",
    "http://purl.org/dc/terms/language": "language",
    "http://purl.org/dc/terms/isReplacedBy": "replaced by",
    "http://www.w3.org/2002/07/owl#deprecated": "retired",
    "http://www.w3.org/2002/07/owl#differentFrom": "not the same as",
    "https://schema.org/url": "web address",
    "https://schema.org/startDate": "date",
    "https://schema.org/location": "place",
    "http://www.w3.org/ns/org#member": "member",
    "http://www.w3.org/ns/org#role": "role",
    "http://www.w3.org/ns/org#organization": "organization",
}


class Graph:
    """The build's store, read-only, with the ontology's labels for classes and properties."""

    def __init__(self, store: pyoxigraph.Store, ontology: Path | None = None):
        self.store = store
        self.vocabulary: dict[str, str] = dict(COMMON_LABELS)
        if ontology and ontology.exists():
            for quad in pyoxigraph.parse(path=str(ontology), format=pyoxigraph.RdfFormat.TURTLE):
                if quad.predicate.value == LABELS[1] and isinstance(quad.object, pyoxigraph.Literal):
                    self.vocabulary.setdefault(quad.subject.value, quad.object.value)

    def select(self, text: str) -> list[dict[str, Term]]:
        solutions = self.store.query(text)
        names = [v.value for v in solutions.variables]
        return [{n: oxigraph_term(s[n]) for n in names if s[n] is not None} for s in solutions]

    def exists(self, iri: str) -> bool:
        node = pyoxigraph.NamedNode(iri)
        return any(True for _ in self.store.quads_for_pattern(node, None, None, pyoxigraph.DefaultGraph()))

    def describe(self, iri: str) -> Description:
        node = pyoxigraph.NamedNode(iri)
        triples = [(q.subject, q.predicate, q.object) for q in self.store.quads_for_pattern(node, None, None, pyoxigraph.DefaultGraph())]
        for hashed in self._hash_children(iri):
            triples += [(q.subject, q.predicate, q.object)
                        for q in self.store.quads_for_pattern(pyoxigraph.NamedNode(hashed), None, None, pyoxigraph.DefaultGraph())]
        terms = sorted(((oxigraph_term(s), oxigraph_term(p), oxigraph_term(o)) for s, p, o in triples),
                       key=lambda t: (t[0]["value"], t[1]["value"], t[2]["value"]))
        incoming = sorted({(q.subject.value, q.predicate.value)
                           for q in self.store.quads_for_pattern(None, None, node, pyoxigraph.DefaultGraph())
                           if isinstance(q.subject, pyoxigraph.NamedNode) and "#" not in q.subject.value})
        return Description(iri, terms, incoming)

    def _hash_children(self, iri: str) -> list[str]:
        """``iri#...`` nodes reachable from ``iri`` in one or two steps (a citation's target and selectors)."""
        found, frontier = [], [iri]
        for _ in range(2):
            step = []
            for subject in frontier:
                for quad in self.store.quads_for_pattern(pyoxigraph.NamedNode(subject), None, None, pyoxigraph.DefaultGraph()):
                    value = quad.object.value if isinstance(quad.object, pyoxigraph.NamedNode) else ""
                    if value.startswith(iri + "#") and value not in found:
                        found.append(value)
                        step.append(value)
            frontier = step
        return found

    def label(self, iri: str) -> str:
        if iri in self.vocabulary:
            return self.vocabulary[iri]
        node = pyoxigraph.NamedNode(iri)
        for predicate in LABELS:
            for quad in self.store.quads_for_pattern(node, pyoxigraph.NamedNode(predicate), None, pyoxigraph.DefaultGraph()):
                return quad.object.value
        return curie(iri)

    def replacement(self, iri: str) -> str | None:
        node = pyoxigraph.NamedNode(iri)
        if not any(True for _ in self.store.quads_for_pattern(node, pyoxigraph.NamedNode(DEPRECATED), None)):
            return None
        for quad in self.store.quads_for_pattern(node, pyoxigraph.NamedNode(REPLACED_BY), None):
            return quad.object.value
        return None

    def instances(self, cls: str) -> list[tuple[str, str]]:
        """(IRI, label) of every resource of a class, by label."""
        rows = self.select(f"SELECT ?s WHERE {{ ?s a <{cls}> }}")
        return sorted(((r["s"]["value"], self.label(r["s"]["value"])) for r in rows), key=lambda x: (x[1].lower(), x[0]))

    def names(self, iri: str) -> list[str]:
        """Every label and alternative label of a resource (for search)."""
        node, found = pyoxigraph.NamedNode(iri), set()
        for predicate in (PREF_LABEL, ALT_LABEL, LABELS[1]):
            found |= {q.object.value for q in self.store.quads_for_pattern(node, pyoxigraph.NamedNode(predicate), None,
                                                                            pyoxigraph.DefaultGraph())}
        return sorted(found)


def local_path(iri: str) -> str | None:
    """The path at which the server and the static site answer for an IRI of ours (``/id/...``), else None."""
    if not iri.startswith(BASE + "id/"):
        return None
    return "/" + iri[len(BASE):].split("#", 1)[0]
