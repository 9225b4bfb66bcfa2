"""The compiled queries (jobs), running them on a store, and the Results they give."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib.namespace import RDF, RDFS

from .terms import _MARK, FOCUS, HIDDEN, THIS, TYPE_PATH, _isa


@dataclass(frozen=True, order=True)
class Result:
    focus: str      # the focus node as N-Triples term text
    path: str       # sh:resultPath as SPARQL path text ("<iri>", "^<iri>", "<a>/<b>"), "" if none
    value: str      # sh:value as N-Triples text, "" if none
    component: str  # sh:sourceConstraintComponent IRI
    shape: str      # sh:sourceShape IRI
    message: str    # sh:resultMessage text


class Unsupported(Exception):
    """The shapes use SHACL features the compiler does not handle; the message names each shape and feature."""


@dataclass
class _Job:
    query: str  # with marks for the focus nodes (binding ?this), triple patterns and class membership: see text()
    classes: list  # the target classes of the focus nodes
    rows: Callable  # (solution, focus term or None, projected variable names) -> Iterable[Result]
    per_focus: bool = False  # run ``query`` once per focus node, ?this substituted

    def text(self, plain: bool, graphs: bool) -> str:
        """The query. ``plain`` where the data has no rdfs:subClassOf, so that rdf:type alone gives class
        membership: then the focus nodes are a pattern of the query (a subquery would hide them from Oxigraph's join
        planner). ``graphs`` where the store's default graph is empty: then each triple pattern is in a GRAPH of its
        own, which matches what the union default graph matches, far faster."""
        names = itertools.count()

        def triple(body: str) -> str:
            return f"GRAPH ?{HIDDEN}g{next(names)} {{ {body} }}" if graphs else f"{body} ."

        def mark(match) -> str:
            if match[1] == "T":
                return triple(match[2])
            node, cls = match[2].split(" ", 1)
            return triple(f"{node} <{RDF.type}> {cls}") if plain else f"{node} {TYPE_PATH} {cls} ."

        if plain:
            focus = " UNION ".join(f"{{ {_isa('?this', c)} }}" for c in self.classes)
            focus = focus if len(self.classes) > 1 else _isa("?this", self.classes[0])
        else:
            focus = "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(f"{{ ?this {TYPE_PATH} <{c}> }}" for c in self.classes) + " } }"
        return _MARK.sub(mark, self.query.replace(FOCUS, focus))


@dataclass
class Compiled:
    jobs: list[_Job] = field(default_factory=list)
    sparql: dict[str, str] = field(default_factory=dict)  # SPARQL-based shape -> "lifted", "lifted, deduplicated" or "per focus node"


def run(store: ox.Store, compiled: Compiled, threads: int | None = None) -> list[Result]:
    """The Results of the union of the store's graphs, sorted; the queries run on ``threads`` threads (default:
    the processors, at most 4), as pyoxigraph lets go of the GIL while it evaluates."""
    plain = not store.query(f"ASK {{ ?class <{RDFS.subClassOf}> ?other }}", use_default_graph_as_union=True)
    graphs = not store.query("ASK { ?s ?p ?o }")  # the default graph alone
    with ThreadPoolExecutor(threads or min(4, os.cpu_count() or 1)) as pool:
        found = pool.map(lambda job: _job_results(store, job, plain, graphs), compiled.jobs)
        return sorted(set().union(*found))


def _job_results(store: ox.Store, job: _Job, plain: bool, graphs: bool) -> set[Result]:
    query = job.text(plain, graphs)
    if not job.per_focus:
        return set(_rows(store.query(query, use_default_graph_as_union=True), job, None))
    found = set()
    for row in store.query(_Job(f"SELECT DISTINCT ?this WHERE {{ {FOCUS} }}", job.classes, None).text(plain, graphs),
                           use_default_graph_as_union=True):
        found.update(_rows(store.query(query, use_default_graph_as_union=True, substitutions={THIS: row["this"]}), job, row["this"]))
    return found


def _rows(solutions, job: _Job, focus) -> Iterable[Result]:
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        yield from job.rows(solution, focus, names)
