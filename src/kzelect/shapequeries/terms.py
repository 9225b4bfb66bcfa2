"""The text the compiler writes queries in: marks for what _Job.text spells out, SHACL paths and constants as SPARQL."""

from __future__ import annotations

import re

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD

from ..namespaces import SH

THIS = ox.Variable("this")
TYPE_PATH = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
FOCUS = "\x1eFOCUS\x1f"  # marks that _Job.text writes out
HIDDEN = "_kz_"  # how the variables the compiler adds begin
_MARK = re.compile("\x1e([TI]) ([^\x1e\x1f]*)\x1f")


def _triple(s: str, p: str, o: str) -> str:
    """A triple pattern of the union of the named graphs."""
    return f"\x1eT {s} {p} {o}\x1f"


def _isa(node: str, cls) -> str:
    """``node`` is a SHACL instance of ``cls`` (rdf:type/rdfs:subClassOf*)."""
    return f"\x1eI {node} <{cls}>\x1f"


XSD_INTEGER, XSD_DECIMAL = str(XSD.integer), str(XSD.decimal)


def path_text(graph: Graph, node) -> str:
    """A SHACL path as SPARQL property path text: <p>, ^<p>, <a>/<b>, (<a>|<b>), <p>*, <p>+, <p>?."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if (node, RDF.first, None) in graph:
        return "/".join(_grouped(path_text(graph, part)) for part in Collection(graph, node))
    for predicate, prefix, suffix in ((SH.inversePath, "^", ""), (SH.zeroOrMorePath, "", "*"),
                                      (SH.oneOrMorePath, "", "+"), (SH.zeroOrOnePath, "", "?")):
        inner = graph.value(node, predicate)
        if inner is not None:
            return prefix + _grouped(path_text(graph, inner)) + suffix
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(graph, part) for part in Collection(graph, alternatives)) + ")"
    raise ValueError(f"not a SHACL path: {node}")


def _grouped(text: str) -> str:
    return text if re.fullmatch(r"\^?<[^>]*>|\(.*\)", text) else f"({text})"


def _sparql_term(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = '"' + str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^<{term.datatype}>" if term.datatype else text
    raise ValueError(f"not a constant: {term!r}")


def _string(text: str) -> str:
    return _sparql_term(Literal(text))
