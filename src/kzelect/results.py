"""Query answers, engine-neutral, and how they are written out.

An ``Answer`` holds SELECT rows, ASK's boolean or CONSTRUCT/DESCRIBE triples, with every RDF term
in the form of the SPARQL 1.1 Query Results JSON format (``{"type": "uri", "value": ...}``). Both
engines (pyoxigraph and rdflib) and remote stores answer in that form, so answers compare directly.
Writing to CSV, TSV, JSON and XML is pyoxigraph's, graphs are written as the exports are, the table is ours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyoxigraph

from .namespaces import curie

Term = dict[str, str]
XSD = "http://www.w3.org/2001/XMLSchema#"
SELECT_FORMATS = {"table": None, "csv": pyoxigraph.QueryResultsFormat.CSV, "tsv": pyoxigraph.QueryResultsFormat.TSV,
                  "json": pyoxigraph.QueryResultsFormat.JSON, "xml": pyoxigraph.QueryResultsFormat.XML}
GRAPH_FORMATS = ("turtle", "nt", "jsonld")
FORMATS = tuple(SELECT_FORMATS) + GRAPH_FORMATS


@dataclass
class Answer:
    """What a query returned: ``rows`` (SELECT), ``boolean`` (ASK) or ``triples`` (CONSTRUCT, DESCRIBE)."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Term]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Term, Term, Term]] = field(default_factory=list)
    truncated: bool = False  # the row limit cut the answer short
    limit: int = 0

    def sparql_json(self) -> dict:
        """The answer as SPARQL 1.1 Query Results JSON (SELECT and ASK)."""
        if self.form == "ASK":
            return {"head": {}, "boolean": self.boolean}
        return {"head": {"vars": self.variables}, "results": {"bindings": self.rows}}

    def texts(self) -> list[dict[str, str]]:
        """SELECT rows as {variable: lexical value}, unbound variables left out."""
        return [{name: term["value"] for name, term in row.items()} for row in self.rows]


# -- terms from each engine ---------------------------------------------------------------------

def oxigraph_term(term) -> Term:
    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, pyoxigraph.Literal):
        return _literal(term.value, term.language, term.datatype.value)
    raise TypeError(f"unsupported term in an answer: {term!r}")


def rdflib_term(term) -> Term:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype else XSD + "string"
        return _literal(str(term), term.language, datatype)
    raise TypeError(f"unsupported term in an answer: {term!r}")


def _literal(value: str, language: str | None, datatype: str) -> Term:
    if language:
        return {"type": "literal", "value": value, "xml:lang": language}
    if datatype == XSD + "string":
        return {"type": "literal", "value": value}
    return {"type": "literal", "value": value, "datatype": datatype}


def to_rdflib(term: Term):
    from rdflib import BNode, Literal, URIRef

    if term["type"] == "uri":
        return URIRef(term["value"])
    if term["type"] == "bnode":
        return BNode(term["value"])
    return Literal(term["value"], lang=term.get("xml:lang"), datatype=term.get("datatype"))


# -- writing ------------------------------------------------------------------------------------

def write(answer: Answer, fmt: str) -> bytes:
    """The answer in ``fmt``: table, csv, tsv, json or xml for SELECT and ASK; turtle, nt or jsonld for graphs."""
    if answer.form in ("CONSTRUCT", "DESCRIBE"):
        return _write_graph(answer, fmt if fmt in GRAPH_FORMATS else "turtle")
    if fmt not in SELECT_FORMATS:
        raise ValueError(f"{fmt} is for CONSTRUCT and DESCRIBE; a {answer.form} answer is written as "
                         + ", ".join(SELECT_FORMATS))
    if fmt == "table":
        return table(answer).encode("utf-8")
    document = json.dumps(answer.sparql_json()).encode("utf-8")
    parsed = pyoxigraph.parse_query_results(document, format=pyoxigraph.QueryResultsFormat.JSON)
    if isinstance(parsed, pyoxigraph.QueryBoolean):
        return pyoxigraph.QueryBoolean.serialize(parsed, format=SELECT_FORMATS[fmt])
    return parsed.serialize(format=SELECT_FORMATS[fmt])


def _write_graph(answer: Answer, fmt: str) -> bytes:
    """Triples written as the exports are (sorted N-Triples, rdflib's Turtle, JSON-LD with our context)."""
    from rdflib import Graph

    from .export import to_jsonld, to_ntriples, to_turtle
    from .namespaces import bind_prefixes

    graph = bind_prefixes(Graph())
    for triple in answer.triples:
        graph.add(tuple(to_rdflib(t) for t in triple))
    return {"turtle": to_turtle, "nt": to_ntriples, "jsonld": to_jsonld}[fmt](graph)


def show(term: Term) -> str:
    """A term as a reader wants it in a table: an IRI as prefix:name, a literal as its text (no language tag)."""
    if term["type"] == "uri":
        shown = curie(term["value"])
        return shown if shown != term["value"] else f"<{shown}>"
    if term["type"] == "bnode":
        return f"_:{term['value']}"
    return term["value"].replace("\n", "\\n")


def table(answer: Answer) -> str:
    """A plain-text table with a header, a rule and one line per row (ASK: yes or no)."""
    if answer.form == "ASK":
        return ("yes" if answer.boolean else "no") + "\n"
    header = answer.variables
    cells = [[show(row[v]) if v in row else "" for v in header] for row in answer.rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    count = f"{len(cells)} row{'s' if len(cells) != 1 else ''}"
    if answer.truncated:
        count += f" (truncated at the row limit of {answer.limit}; raise it with --limit)"
    return "\n".join(lines + [count]) + "\n"
