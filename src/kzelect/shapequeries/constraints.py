"""A shape as the compiler reads it, its constraints other than value tests (sh:hasValue, sh:equals, sh:lessThan, sh:closed,
qualified value shapes) with the queries each makes, and the Results a shape gives."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, XSD

from ..namespaces import SH
from .results import Result, _Job
from .terms import FOCUS, _sparql_term

if TYPE_CHECKING:
    from .compiler import _Compiler


@dataclass
class _Value:
    """A condition on each value node: ``bad(v)`` is a SPARQL expression true where pyshacl reports v."""
    component: URIRef
    bad: Callable[[str], str]


@dataclass
class _Shape:
    node: object
    path: str | None  # SPARQL path of a property shape (as Results show it); None for a node shape
    steps: list = field(default_factory=list)  # the path as (predicate, inverse) steps: triple patterns join faster
    values: list[_Value] = field(default_factory=list)
    counts: tuple = (None, None)  # sh:minCount, sh:maxCount
    others: list = field(default_factory=list)  # _HasValue, _Pair, _Closed, _Qualified
    properties: list = field(default_factory=list)
    sparql: list = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def _results(shape: _Shape, focus, component, value=None, path: str | None = None, messages=None) -> Iterable[Result]:
    path = (shape.path or "") if path is None else path
    value_text = "" if value is None else str(value)
    for message in (shape.messages if messages is None else messages) or [""]:
        yield Result(str(focus), path, value_text, str(component), str(shape.node), message)


@dataclass
class _HasValue:
    value: object

    def violated(self, compiler: _Compiler, shape: _Shape, focus: str) -> str:
        if shape.path is None:
            return f"!sameTerm({focus}, {_sparql_term(self.value)})"
        return f"NOT EXISTS {{ {compiler.walk(shape, focus, _sparql_term(self.value))} }}"

    def jobs(self, compiler: _Compiler, shape: _Shape, classes: list) -> list[_Job]:
        return [_Job(f"SELECT DISTINCT ?this WHERE {{ {FOCUS} FILTER ({self.violated(compiler, shape, '?this')}) }}", classes,
                     lambda solution, *_: _results(shape, solution["this"], SH.HasValueConstraintComponent))]


@dataclass
class _Pair:
    """sh:equals (every value node is a value of the predicate, and the reverse) and sh:lessThan."""
    component: URIRef
    predicate: URIRef

    def pattern(self, compiler: _Compiler, shape: _Shape, focus: str, value: str, other: str) -> str:
        """Where the node ``focus`` fails for its value node ``value``."""
        q = f"<{self.predicate}>"
        if self.component == SH.EqualsConstraintComponent:
            return (f"{{ {compiler.walk(shape, focus, value)} FILTER NOT EXISTS {{ {compiler.triple(focus, q, value)} }} }} UNION "
                    f"{{ {compiler.triple(focus, q, value)} FILTER NOT EXISTS {{ {compiler.walk(shape, focus, value)} }} }}")
        # pyshacl compares IRIs and strings as text, other literals by value; a string and a non-string fail
        text = "(isIRI({0}) || isLiteral({0}) && DATATYPE({0}) IN (<{1}>, <{2}>))".format("{0}", XSD.string, RDF.langString)
        left, right = text.format(value), text.format(other)
        fails = f"IF({left}, !{right} || !(STR({value}) < STR({other})), {right} || !COALESCE({value} < {other}, false))"
        return f"{compiler.walk(shape, focus, value)} {compiler.triple(focus, q, other)} FILTER ({fails})"

    def violated(self, compiler: _Compiler, shape: _Shape, focus: str) -> str:
        return f"EXISTS {{ {self.pattern(compiler, shape, focus, compiler.var(), compiler.var())} }}"

    def jobs(self, compiler: _Compiler, shape: _Shape, classes: list) -> list[_Job]:
        def rows(solution, *_):
            return _results(shape, solution["this"], self.component, value=solution["value"])

        if self.component != SH.EqualsConstraintComponent:
            query = f"SELECT DISTINCT ?this ?value WHERE {{ {FOCUS} {self.pattern(compiler, shape, '?this', '?value', '?other')} }}"
            return [_Job(query, classes, rows)]
        # each side in a query of its own, the focus nodes first (a UNION would be planned apart from them); the
        # path's values missing from the predicate's: OPTIONAL, as Oxigraph plans a NOT EXISTS of several triples
        # without the variables bound outside it (every citation of every record, for each record)
        q = f"<{self.predicate}>"
        missing = (f"FILTER NOT EXISTS {{ {compiler.walk(shape, '?this', '?value')} }}" if len(shape.steps) == 1 else
                   f"OPTIONAL {{ {compiler.walk(shape, '?this', '?found')} FILTER (sameTerm(?found, ?value)) }} FILTER (!BOUND(?found))")
        return [_Job(f"SELECT DISTINCT ?this ?value WHERE {{ {FOCUS} {compiler.walk(shape, '?this', '?value')} "
                     f"FILTER NOT EXISTS {{ {compiler.triple('?this', q, '?value')} }} }}", classes, rows),
                _Job(f"SELECT DISTINCT ?this ?value WHERE {{ {FOCUS} {compiler.triple('?this', q, '?value')} {missing} }}", classes, rows)]


@dataclass
class _Closed:
    allowed: list

    def pattern(self, compiler: _Compiler, focus: str, p: str, o: str) -> str:
        allowed = f"FILTER ({p} NOT IN ({', '.join(f'<{a}>' for a in self.allowed)}))" if self.allowed else ""
        return (f"{compiler.triple(focus, p, o)} {allowed} "
                f"FILTER (!(sameTerm({p}, <{RDF.type}>) && sameTerm({o}, <{RDFS.Resource}>)))")

    def violated(self, compiler: _Compiler, shape: _Shape, focus: str) -> str:
        return f"EXISTS {{ {self.pattern(compiler, focus, compiler.var(), compiler.var())} }}"

    def jobs(self, compiler: _Compiler, shape: _Shape, classes: list) -> list[_Job]:
        query = f"SELECT DISTINCT ?this ?p ?o WHERE {{ {FOCUS} {self.pattern(compiler, '?this', '?p', '?o')} }}"
        return [_Job(query, classes, lambda solution, *_: _results(shape, solution["this"], SH.ClosedConstraintComponent,
                                                                  value=solution["o"], path=str(solution["p"])))]


@dataclass
class _Qualified:
    value_shape: object
    low: int | None
    high: int | None

    def violated(self, compiler: _Compiler, shape: _Shape, focus: str) -> str:
        tests = []
        if self.low:
            tests.append("NOT " + compiler.distinct_values(shape, focus, self.low, lambda x: compiler.conforms(self.value_shape, x)))
        if self.high is not None:
            tests.append(compiler.distinct_values(shape, focus, self.high + 1, lambda x: compiler.conforms(self.value_shape, x)))
        return "(" + " || ".join(tests or ["false"]) + ")"

    def jobs(self, compiler: _Compiler, shape: _Shape, classes: list) -> list[_Job]:
        tests = ([f"COUNT(DISTINCT ?value) < {self.low}"] if self.low else []) + \
                ([f"COUNT(DISTINCT ?value) > {self.high}"] if self.high is not None else [])
        query = (f"SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{ {FOCUS} OPTIONAL {{ {compiler.walk(shape, '?this', '?value')} "
                 f"FILTER ({compiler.conforms(self.value_shape, '?value')}) }} }} "
                 f"GROUP BY ?this HAVING ({' || '.join(tests or ['false'])})")

        def rows(solution, *_):
            n = int(solution["n"].value)
            if self.high is not None and n > self.high:
                yield from _results(shape, solution["this"], SH.QualifiedMaxCountConstraintComponent)
            if self.low is not None and n < self.low:
                yield from _results(shape, solution["this"], SH.QualifiedMinCountConstraintComponent)
        return [_Job(query, classes, rows)]
