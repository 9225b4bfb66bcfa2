"""Serialising the graph: Turtle, JSON-LD (own inline context), N-Triples, TriG; byte-stable."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyoxigraph
from rdflib import Dataset, Graph

from . import paths
from .folder import MANIFEST  # the one name of the build's checksum list
from .namespaces import PREFIXES

TURTLE, JSONLD, NTRIPLES, TRIG = "kzelect.ttl", "kzelect.jsonld", "kzelect.nt", "kzelect.trig"
CONTEXT, ONTOLOGY, SHAPES = "context.jsonld", "ontology.ttl", "shapes.ttl"


def context() -> dict:
    """The JSON-LD context: the project's prefixes, nothing remote."""
    return {"@context": {prefix: str(ns) for prefix, ns in PREFIXES.items()}}


def to_ntriples(graph: Graph) -> bytes:
    lines = graph.serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
    return b"".join(sorted(line for line in lines if line.strip()))


def to_turtle(graph: Graph) -> bytes:
    return graph.serialize(format="turtle", encoding="utf-8")


def to_trig(dataset: Dataset) -> bytes:
    """TriG written by pyoxigraph from quads in sorted order (rdflib's graph order varies by run).

    The ``id:`` prefix is left out: its local names hold ``/`` and ``#``, which pyoxigraph escapes
    (``id:graph\\/parties``, valid Turtle 1.1) and Virtuoso 7 reads with the backslash kept.
    """
    quads = []
    for graph in sorted(dataset.graphs(), key=lambda g: str(g.identifier)):
        name = graph.identifier.n3()
        lines = to_ntriples(graph).decode("utf-8").split("\n")  # not splitlines(): U+2028 may sit inside a literal
        quads += [line[:-2] + f" {name} .\n" for line in lines if line]
    parsed = pyoxigraph.parse("".join(quads).encode("utf-8"), format=pyoxigraph.RdfFormat.N_QUADS)
    prefixes = {prefix: str(ns) for prefix, ns in PREFIXES.items() if prefix != "id"}
    return pyoxigraph.serialize(parsed, format=pyoxigraph.RdfFormat.TRIG, prefixes=prefixes)


def to_jsonld(graph: Graph) -> bytes:
    """Compact JSON-LD with the inline context, nodes and values in a stable order."""
    ctx = context()["@context"]
    document = json.loads(graph.serialize(format="json-ld", context=ctx, auto_compact=True))
    nodes = document.get("@graph", [document] if "@id" in document else [])
    nodes = sorted((_sorted_values(n) for n in nodes), key=lambda n: n.get("@id", ""))
    return _dump({"@context": ctx, "@graph": nodes})


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


def render(graph: Graph, dataset: Dataset) -> dict[str, bytes]:
    """Every output file's bytes, before anything is written."""
    files = {
        TURTLE: to_turtle(graph),
        JSONLD: to_jsonld(graph),
        NTRIPLES: to_ntriples(graph),
        TRIG: to_trig(dataset),
        CONTEXT: _dump(context()),
        ONTOLOGY: paths.ONTOLOGY.read_bytes(),
        SHAPES: paths.SHAPES.read_bytes(),
    }
    for check in sorted(paths.CHECKS.glob("*-violation.rq")):
        files[f"checks/{check.name}"] = check.read_bytes()
    files[MANIFEST] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                              for name, data in sorted(files.items())).encode("utf-8")
    return files


def write(files: dict[str, bytes], out: Path) -> None:
    """Write every file into ``out``, a fresh folder (see ``folder.staged``, which syncs and swaps it in)."""
    for name, data in sorted(files.items()):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as stream:
            stream.write(data)
