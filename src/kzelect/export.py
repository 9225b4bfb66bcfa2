"""Serialising the graph: Turtle, JSON-LD (own inline context), N-Triples, TriG; byte-stable."""

from __future__ import annotations

import hashlib
import json
from itertools import pairwise
from pathlib import Path

import pyoxigraph
from rdflib.plugins.shared.jsonld.util import split_iri

from . import paths
from .folder import MANIFEST  # the one name of the build's checksum list
from .namespaces import PREFIXES
from .progress import bar
from .quads import Quads

TURTLE, JSONLD, NTRIPLES, TRIG = "kzelect.ttl", "kzelect.jsonld", "kzelect.nt", "kzelect.trig"
CONTEXT, ONTOLOGY, SHAPES = "context.jsonld", "ontology.ttl", "shapes.ttl"


def context() -> dict:
    """The JSON-LD context: the project's prefixes, nothing remote."""
    return {"@context": {prefix: str(ns) for prefix, ns in PREFIXES.items()}}


NT = pyoxigraph.RdfFormat.N_TRIPLES
# The id: prefix is left out of Turtle and TriG: its local names hold ``/`` and ``#``, which pyoxigraph
# escapes (``id:graph\\/parties``, valid Turtle 1.1) and Virtuoso 7 reads with the backslash kept.
WRITTEN_PREFIXES = {prefix: str(ns) for prefix, ns in PREFIXES.items() if prefix != "id"}


# Each writer takes the build's ``Quads`` (pyoxigraph writes them) or a small rdflib graph, such as a page's or a
# query's (rdflib writes it, blank nodes and lists included). Tests check both give the same bytes or graph.

def to_ntriples(source) -> bytes:
    """The union graph as N-Triples, a triple a line, sorted: byte-stable and diffable."""
    if not isinstance(source, Quads):
        return rdflib_ntriples(source)
    lines = source.union_lines()
    return b"\n".join(lines) + b"\n" if lines else b""


def to_turtle(source) -> bytes:
    """Turtle written by pyoxigraph from the sorted triples (so a subject's triples are together)."""
    if not isinstance(source, Quads):
        return rdflib_turtle(source)
    triples = pyoxigraph.parse(to_ntriples(source), format=NT)
    return pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.TURTLE, prefixes=WRITTEN_PREFIXES)


def to_trig(source) -> bytes:
    """TriG written by pyoxigraph, graphs by name and each graph's triples sorted (rdflib's graph order varies by run).

    ``source`` is ``Quads`` or an rdflib Dataset.
    """
    if isinstance(source, Quads):
        graphs = source.graph_lines()
    else:
        graphs = [(str(g.identifier), Quads.of_graph(g).union_lines())
                  for g in sorted(source.graphs(), key=lambda g: str(g.identifier)) if len(g)]
    quads = []
    for name, lines in graphs:
        tail = f" <{name}> .\n".encode()
        quads += [line[:-2] + tail for line in lines]
    parsed = pyoxigraph.parse(b"".join(quads), format=pyoxigraph.RdfFormat.N_QUADS)
    return pyoxigraph.serialize(parsed, format=pyoxigraph.RdfFormat.TRIG, prefixes=WRITTEN_PREFIXES)


def to_jsonld(source) -> bytes:
    """Compact JSON-LD with the inline context: one node per subject, sorted by ``@id``, keys and values sorted.

    Written node by node (the same bytes as rdflib's compaction with this context, which a test checks, at a
    fraction of its time and memory): names compact to ``prefix:local`` where the part before their last ``/`` or
    ``#`` is a prefix's namespace (so ``id:`` never applies, its names having more ``/``); xsd:string, xsd:integer,
    xsd:boolean and xsd:double literals become JSON values, other literals keep their type.
    """
    if not isinstance(source, Quads):
        return rdflib_jsonld(source)
    ctx = context()["@context"]
    compact = _Compactor(ctx)
    # The lines are sorted, so each subject's triples come together: a node is written out as soon as its subject
    # changes, and only the nodes' texts are kept (then sorted by @id, as rdflib's output is).
    parts: list[tuple[str, bytes]] = []
    iri, node = None, {}
    for triple in pyoxigraph.parse(to_ntriples(source), format=NT):
        subject = triple.subject
        if not isinstance(subject, pyoxigraph.NamedNode):
            raise ValueError(f"blank node {subject} in the graph: every node of kzelect's graph has an IRI")
        if subject.value != iri:
            if node:
                parts.append((iri, _node(node).encode("utf-8")))
            iri, node = subject.value, {"@id": [_string(subject.value)]}
        predicate, obj = triple.predicate.value, triple.object
        if predicate == RDF_TYPE and isinstance(obj, pyoxigraph.NamedNode):
            key, value = "@type", _string(compact.symbol(obj.value))
        else:
            key, value = compact.symbol(predicate), compact.value(obj)
        values = node.get(key)
        if values is None:
            node[key] = [value]
        else:
            values.append(value)
    if node:
        parts.append((iri, _node(node).encode("utf-8")))
    parts.sort(key=lambda part: part[0])
    if any(a[0] == b[0] for a, b in pairwise(parts)):
        raise ValueError("the N-Triples lines are not sorted: a subject's triples are apart")
    before, after = _dump({"@context": ctx, "@graph": []}).split(b'"@graph": []')
    if not parts:
        return before + b'"@graph": []' + after
    return b"".join([before, b'"@graph": [\n    ', b",\n    ".join(text for _, text in parts), b"\n  ]", after])


# A value of the JSON-LD writer is its JSON text (a string, number or boolean) or, for an object, a tuple of
# (key, value) JSON texts in key order. ``_node`` writes a node as ``json.dumps(..., indent=2, sort_keys=True,
# ensure_ascii=False)`` does inside the "@graph" list, in a fraction of its time (json's indenting encoder is pure
# Python), several values of a key in the order ``_sorted_values`` gives them.

_string = json.encoder.encode_basestring  # a JSON string, non-ASCII kept (ensure_ascii=False)
_KEYS, _ITEMS = " " * 6, " " * 8


def _node(node: dict[str, list]) -> str:
    lines = []
    for key in sorted(node):
        values = node[key]
        if len(values) == 1:
            text = _pretty(values[0], _KEYS)
        else:
            text = "[\n" + ",\n".join(_ITEMS + _pretty(v, _ITEMS) for v in sorted(values, key=_compact)) + "\n" + _KEYS + "]"
        lines.append(f"{_KEYS}{_string(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n    }"


def _pretty(value, indent: str) -> str:
    if type(value) is str:
        return value
    inner = indent + "  "
    return "{\n" + ",\n".join(f"{inner}{k}: {v}" for k, v in value) + "\n" + indent + "}"


def _compact(value) -> str:
    """The value as ``json.dumps(v, sort_keys=True, ensure_ascii=False)`` writes it: the sort key of ``_sorted_values``."""
    if type(value) is str:
        return value
    return "{" + ", ".join(f"{k}: {v}" for k, v in value) + "}"


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_NATIVE = {"http://www.w3.org/2001/XMLSchema#integer": int, "http://www.w3.org/2001/XMLSchema#double": float,
           "http://www.w3.org/2001/XMLSchema#boolean": lambda text: text in ("true", "1")}


class _Compactor:
    """IRIs to ``prefix:local`` the way rdflib's JSON-LD compaction does: split at the last ``#`` or ``/``."""

    def __init__(self, ctx: dict):
        self.prefixes = {ns: prefix for prefix, ns in ctx.items()}
        self.symbols: dict[str, str] = {}
        self.ids: dict[str, tuple] = {}

    def symbol(self, iri: str) -> str:
        symbol = self.symbols.get(iri)
        if symbol is None:
            namespace, name = split_iri(iri)
            prefix = self.prefixes.get(namespace)
            symbol = self.symbols[iri] = f"{prefix}:{name}" if prefix else iri
        return symbol

    def value(self, term):
        """The JSON text of an object, or the (key, value) texts of its JSON object (see ``_node``)."""
        if isinstance(term, pyoxigraph.NamedNode):
            value = self.ids.get(term.value)
            if value is None:
                value = self.ids[term.value] = (('"@id"', _string(self.symbol(term.value))),)
            return value
        if isinstance(term, pyoxigraph.BlankNode):
            raise ValueError(f"blank node {term} in the graph: every node of kzelect's graph has an IRI")
        if term.language:
            return ('"@language"', _string(term.language)), ('"@value"', _string(term.value))
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return _string(term.value)
        native = _NATIVE.get(datatype)
        if native is not None:
            try:
                return json.dumps(native(term.value))
            except ValueError:
                pass
        return ('"@type"', _string(self.symbol(datatype))), ('"@value"', _string(term.value))


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _sorted_values(node, ordered: bool = False):
    """Values in a stable order; an ``@list`` (an RDF collection) keeps its own order."""
    if isinstance(node, dict):
        return {key: _sorted_values(value, key == "@list") for key, value in sorted(node.items())}
    if isinstance(node, list):
        items = [_sorted_values(v) for v in node]
        return items if ordered else sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return node


def _dump(document) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


# rdflib's writers: the reference the fast writers above are tested against (tests/test_export_agreement.py), and
# the benchmark's baseline. Not used by the build.

def rdflib_ntriples(graph) -> bytes:
    lines = graph.serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
    return b"".join(sorted(line for line in lines if line.strip()))


def rdflib_turtle(graph) -> bytes:
    return graph.serialize(format="turtle", encoding="utf-8")


def rdflib_jsonld(graph) -> bytes:
    """Compact JSON-LD by rdflib with the inline context, nodes and values put in the same stable order."""
    ctx = context()["@context"]
    document = json.loads(graph.serialize(format="json-ld", context=ctx, auto_compact=True))
    nodes = document.get("@graph", [document] if "@id" in document else [])
    nodes = sorted((_sorted_values(n) for n in nodes), key=lambda n: n.get("@id", ""))
    return _dump({"@context": ctx, "@graph": nodes})


def render(source, named=None) -> dict[str, bytes]:
    """Every output file's bytes, before anything is written.

    ``source`` is the build's ``Quads`` (its named graphs make the TriG, their union the rest), or an rdflib
    graph with ``named`` the rdflib dataset of its named graphs.
    """
    named = source if named is None else named
    writers = ((NTRIPLES, to_ntriples, source), (TURTLE, to_turtle, source), (JSONLD, to_jsonld, source),
               (TRIG, to_trig, named))
    files = {name: write(data) for name, write, data in bar(writers, "write the exports", total=len(writers), unit="file")}
    files.update({CONTEXT: _dump(context()), ONTOLOGY: paths.ONTOLOGY.read_bytes(), SHAPES: paths.SHAPES.read_bytes()})
    for check in sorted(paths.CHECKS.glob("*-violation.rq")):
        files[f"checks/{check.name}"] = check.read_bytes()
    files[MANIFEST] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                              for name, data in sorted(files.items())).encode("utf-8")
    return dict(sorted(files.items()))


def write(files: dict[str, bytes], out: Path) -> None:
    """Write every file into ``out``, a fresh folder (see ``folder.staged``, which syncs and swaps it in)."""
    for name, data in sorted(files.items()):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as stream:
            stream.write(data)
