"""Validating a graph against the shapes: ``validate(graph) -> Report``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.util import guess_format

from . import paths
from .errors import InputError
from .namespaces import ID, OA, SH, sparql_prologue


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
                                            allow_warnings=False)
    locations = locations or {}
    violations = [_violation(results, node, graph, locations)
                  for node in results.subjects(RDF.type, SH.ValidationResult)]
    for name, query in checks.items():
        for row in graph.query(query):
            owner = _owner(graph, row.this)
            violations.append(Violation(locations.get(str(owner), ""), str(row.this), _label(graph, owner), "",
                                        str(row.message), f"check:{name}"))
    return Report(bool(conforms) and not violations, sorted(set(violations)))


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
    """Validate RDF files (any format rdflib reads); raise InputError if one cannot be read."""
    graph, problems = Graph(), []
    for file in files:
        try:
            if _format(file) == "json-ld":
                refuse_remote_contexts(file)
            graph.parse(file, format=_format(file))
        except Exception as error:  # rdflib raises many parser-specific exception types
            problems.append(f"{file}: cannot read as RDF: {error}")
    if problems:
        raise InputError("\n".join(problems))
    return validate(graph)


def refuse_remote_contexts(file: Path) -> None:
    """JSON-LD whose @context (or @import) names a document would be fetched: refuse it."""
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("@context", "@import") and _names_document(value):
                    raise ValueError("it names a remote JSON-LD context; only inline contexts are "
                                     "accepted (no network): embed the context object instead")
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(Path(file).read_text(encoding="utf-8")))


def _names_document(value) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and any(isinstance(v, str) for v in value)


def _format(file: Path) -> str:
    name = str(file)
    if name.endswith(".jsonld"):
        return "json-ld"
    return guess_format(name) or "turtle"
