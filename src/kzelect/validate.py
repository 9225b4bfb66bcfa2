"""Validating a graph against the shapes: ``validate(graph) -> Report``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from . import paths, rdfinput, shapequeries
from .namespaces import ID, OA, SH, bind_prefixes, sparql_prologue
from .progress import bar, step
from .quads import Quads


@dataclass(frozen=True, order=True)
class Violation:
    location: str  # "data/records/x.yaml:12" for the project's data, else ""
    focus: str
    label: str
    path: str
    message: str
    shape: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        path = f" [{self.path}]" if self.path else ""
        return f"- {where}{self.label} <{self.focus}>{path}: {self.message}"


@dataclass
class Report:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    def text(self) -> str:
        if self.conforms:
            return "Conforms: the graph satisfies every shape."
        count = len(self.violations)
        lines = [f"Does not conform: {count} violation{'s' if count != 1 else ''}."]
        return "\n".join(lines + [str(v) for v in self.violations])


def load_shapes(path: Path = paths.SHAPES) -> Graph:
    return Graph().parse(path, format="turtle")


def load_checks(folder: Path = paths.CHECKS) -> dict[str, str]:
    """The named violation queries: file stem -> SPARQL (prefixes predeclared)."""
    return {p.stem: sparql_prologue() + p.read_text(encoding="utf-8") for p in sorted(folder.glob("*-violation.rq"))}


def validate(graph: Graph, shapes: Graph | None = None, locations: dict[str, str] | None = None,
             checks: dict[str, str] | None = None) -> Report:
    """Validate ``graph`` against the shapes and the named violation queries.

    ``locations`` maps node URIs to the data file and line that produced them.
    """
    shapes = shapes if shapes is not None else load_shapes()
    checks = checks if checks is not None else load_checks()
    conforms, results, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                            allow_warnings=False, do_owl_imports=False, js=False)
    locations = locations or {}
    violations = [_violation(results, node, graph, locations)
                  for node in results.subjects(RDF.type, SH.ValidationResult)]
    for name, query in checks.items():
        for row in graph.query(query):
            owner = _owner(graph, row.this)
            violations.append(Violation(locations.get(str(owner), ""), str(row.this), _label(graph, owner), "",
                                        str(row.message), f"check:{name}"))
    return Report(bool(conforms) and not violations, sorted(set(violations)))


def validate_quads(quads: Quads, shapes: Graph | None = None, locations: dict[str, str] | None = None,
                   checks: dict[str, str] | None = None) -> Report:
    """The fast path of ``validate``, for the build: the same shapes and checks, on a pyoxigraph store of ``quads``.

    The shapes are compiled to whole-graph SPARQL queries (``shapequeries``) and the checks run as they are;
    tests/test_shapequeries.py shows the results equal pyshacl's.
    """
    shapes = shapes if shapes is not None else load_shapes()
    checks = checks if checks is not None else load_checks()
    with step("load the graph for validation"):
        store = quads.store()
    locations, compiled, violations = locations or {}, shapequeries.compile_shapes(shapes), []
    with step("validate against the shapes"):
        results = shapequeries.run(store, compiled)
    for result in results:
        focus = _iri(result.focus)
        owner = _owner_in(store, focus)
        violations.append(Violation(locations.get(owner, ""), focus, _label_in(store, owner), _curie_path(result.path),
                                    result.message, result.shape))
    for name, query in bar(checks.items(), "run the checks", total=len(checks), unit="check"):
        for row in store.query(query, use_default_graph_as_union=True):
            focus = row["this"].value
            owner = _owner_in(store, focus)
            violations.append(Violation(locations.get(owner, ""), focus, _label_in(store, owner), "", row["message"].value,
                                        f"check:{name}"))
    return Report(not violations, sorted(set(violations)))


def _iri(term: str) -> str:
    return term[1:-1] if term.startswith("<") else term


_NAMES = bind_prefixes(Graph()).namespace_manager  # the build's graph has the project's prefixes


def _curie_path(path: str) -> str:
    """A result path as ``validate`` shows it: ``prefix:local`` for a single IRI, "" for any other path.

    ``path`` is SPARQL property-path text (``<p>``, ``^<p>``, ``<a>/<b>``, ...); pyshacl reports a path that is not
    a single IRI as a blank node, which ``validate`` shows as "".
    """
    return _NAMES.normalizeUri(URIRef(path[1:-1])) if re.fullmatch(r"<[^<>]*>", path) else ""


def _owner_in(store: ox.Store, node: str) -> str:
    """``_owner`` on the store."""
    node = node.split("#", 1)[0]
    if node.startswith(str(ID["quote/"])):
        for quad in store.quads_for_pattern(ox.NamedNode(node), ox.NamedNode(str(OA.hasBody)), None):
            return quad.object.value
    return node


def _label_in(store: ox.Store, node: str) -> str:
    if not node.startswith(("http:", "https:")):
        return node
    for predicate in (SKOS.prefLabel, RDFS.label):
        for quad in store.quads_for_pattern(ox.NamedNode(node), ox.NamedNode(str(predicate)), None):
            if isinstance(quad.object, ox.Literal):
                return quad.object.value
    return node


def _violation(results: Graph, node, graph: Graph, locations: dict[str, str]) -> Violation:
    focus = results.value(node, SH.focusNode)
    path = results.value(node, SH.resultPath)
    message = results.value(node, SH.resultMessage) or "violates a shape"
    shape = results.value(node, SH.sourceShape)
    owner = _owner(graph, focus)
    return Violation(locations.get(str(owner), ""), str(focus), _label(graph, owner),
                     graph.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else "",
                     str(message), str(shape))


def _owner(graph: Graph, node):
    """The record a node belongs to: itself, or for citations and selectors the cited record."""
    if isinstance(node, URIRef) and "#" in str(node):
        node = URIRef(str(node).split("#", 1)[0])
    if isinstance(node, URIRef) and str(node).startswith(str(ID["quote/"])):
        body = graph.value(node, OA.hasBody)
        return body if body is not None else node
    return node


def _label(graph: Graph, node) -> str:
    for predicate in (SKOS.prefLabel, RDFS.label):
        value = graph.value(node, predicate)
        if isinstance(value, Literal):
            return str(value)
    return str(node)


def validate_data(data_dir: Path = paths.DATA) -> Report:
    """Validate the project's own data, locating each violation in its data file."""
    from .build import assemble

    return assemble(data_dir, check=False).report


def validate_files(files: list[Path]) -> Report:
    """Validate RDF files (formats and refusals: ``rdfinput``); InputError lists every file that cannot be read.

    ``rdfinput.read_quads`` reads them (refusing what must not be fetched), and their union is validated the build's
    way (``validate_quads``): pyshacl would take hours on an export of millions of triples.
    """
    return validate_quads(rdfinput.read_quads(files))
