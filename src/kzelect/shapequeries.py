"""SHACL validation at scale: the shapes compiled into whole-graph SPARQL queries run on a pyoxigraph store.

pyshacl evaluates each constraint once per focus node (and parses a SHACL-SPARQL constraint anew for each);
here each constraint becomes a query that finds all its violations at once::

    compiled = compile_shapes(shapes)        # raises Unsupported, naming every feature it cannot compile
    results = run(store, compiled)           # validates the union of the store's named graphs
    results == reference(graph, shapes)      # pyshacl on the same graph, normalised to the same Results

The semantics are pyshacl's (inference="none", advanced=True): sh:class follows rdf:type/rdfs:subClassOf* in
the data graph; sh:closed gives one result per (focus, predicate, object); sh:or, sh:qualifiedValueShape and
the property shapes of sh:or members are conformance tests compiled into FILTER (NOT) EXISTS; results of a
shape carry its sh:message (a result with several messages becomes one Result per message, their language
dropped); sh:minCount, sh:maxCount, sh:hasValue and qualified counts give no sh:value; a SHACL-SPARQL message's
{?var} and {$var} are filled in as pyshacl fills them (re.sub with str() of the value; unbound ones stay).

A SHACL-SPARQL constraint is lifted to one query: the focus nodes are joined first into its WHERE group, which
pre-binding $this amounts to where $this is used in the outer group, in its OPTIONALs and FILTER (NOT)
EXISTS, or only in triple patterns of nested groups and unions; with aggregates the query must also GROUP BY
$this. Another query is run once per focus node (pyoxigraph ``substitutions``). The union graph repeats a
triple found in several named graphs, which changes SUM, COUNT, AVG and GROUP_CONCAT: a query with one has its
pattern deduplicated (SELECT DISTINCT *), allowed only where the pattern is plain triples (no paths, no blank
nodes), FILTERs and BINDs; any other such query is Unsupported.

How Oxigraph (0.5) runs them shapes the queries: the focus nodes are a pattern, not a subquery (which its
planner cannot see into); each triple pattern is in a GRAPH of its own where the default graph is empty (the
union default graph is about ten times slower); paths are spelt out as triple patterns, and a FILTER NOT
EXISTS holds a single triple pattern (it plans a longer one without the variables bound outside it: every
citation of every record for each record); sh:maxCount 1 is tested in the query of the value constraints and
sh:minCount 1 in one query per set of focus classes, rather than by grouping and counting.

What a pyoxigraph store cannot tell apart, the fast path cannot either:
- the store keeps literal values, not spellings: "7.0"^^xsd:decimal reads back as "7", and xsd:nonNegativeInteger
  (and the other integer subtypes) as xsd:integer; so sh:datatype xsd:nonNegativeInteger is checked as "an
  xsd:integer of at least 0", and an xsd:integer or xsd:int literal where it expects xsd:nonNegativeInteger (or
  the reverse) goes unreported. Results render terms as the store holds them, on both sides (``reference``
  canonicalises pyshacl's terms through a scratch store), and language tags in lower case;
- in SHACL-SPARQL messages, pyshacl writes a value's spelling; the fast path spells an xsd:decimal bound by a
  triple pattern with at least one fractional digit (as kzelect writes decimals: "7.0") and a SUM of such
  values with the most fractional digits of its terms (as rdflib's Decimal arithmetic does); other computed
  values as the store gives them. A decimal spelled otherwise in the data ("1.10") shows differently;
- ill-typed literals are those the store's parser rejects (rdflib's parser differs at the margins: it accepts
  NaN as xsd:decimal, drops a date's time zone); sh:pattern, sh:minLength and sh:maxLength see the store's
  lexical form of a number; sh:minInclusive and sh:maxInclusive compare as SPARQL does (rdflib orders some
  incomparable literals by their datatype IRIs); blank nodes get other labels on each side.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

import pyoxigraph as ox
import pyshacl
from pyparsing import ParseResults
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.processor import SPARQLProcessor

from .namespaces import SH


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


def compile_shapes(shapes: Graph) -> Compiled:
    return _Compiler(shapes).compile()


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


def reference(graph: Graph, shapes: Graph) -> list[Result]:
    """pyshacl's results for ``graph``, as validate.py runs it, normalised to Results."""
    with _queries_parsed_once():
        _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                        do_owl_imports=False, js=False)
    rows = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(node, SH.resultPath)
        rows.append((report.value(node, SH.focusNode), path_text(report, path) if path is not None else "",
                     report.value(node, SH.value), str(report.value(node, SH.sourceConstraintComponent)),
                     str(report.value(node, SH.sourceShape)),
                     sorted({str(m) for m in report.objects(node, SH.resultMessage)}) or [""]))
    text = _canonical_texts([term for row in rows for term in (row[0], row[2]) if term is not None])
    return sorted({Result(text[focus], path, text[value] if value is not None else "", component, shape, message)
                   for focus, path, value, component, shape, messages in rows for message in messages})


@contextmanager
def _queries_parsed_once():
    """pyshacl has rdflib parse a SHACL-SPARQL query anew for each focus node (it pre-binds $this; the text stays
    the same), which is most of its time: parse each text once. The same algebra, evaluated the same way."""
    original = SPARQLProcessor.query

    def query(self, text, initBindings=None, initNs=None, base=None, DEBUG=False):  # noqa: N803 (rdflib's names)
        if isinstance(text, str):  # the graph's namespaces matter only for prefixes the text uses
            used = tuple(sorted((p, str(ns)) for p, ns in (initNs or {}).items() if f"{p}:" in text))
            text = _translated(text, base, used)
        return original(self, text, initBindings, initNs, base, DEBUG)

    SPARQLProcessor.query = query
    try:
        yield
    finally:
        SPARQLProcessor.query = original


@lru_cache(maxsize=256)
def _translated(text: str, base, namespaces: tuple):
    return translateQuery(parseQuery(text), base, dict(namespaces))


# ------------------------------------------------------------------------------------------------ terms

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
IGNORABLE = {SH.name, SH.description, SH.order, SH.group, SH.defaultValue, SH.declare, SH.prefix, SH.namespace}
SHAPE_TYPES = {SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint}


def _ox_term(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))


def _canonical_texts(terms) -> dict:
    """N-Triples text of rdflib terms as a pyoxigraph store holds them (values, not spellings)."""
    store, predicate, subjects = ox.Store(), ox.NamedNode("urn:kzelect:term"), {}
    for index, term in enumerate(set(terms)):
        subjects[term] = ox.NamedNode(f"urn:kzelect:term:{index}")
        store.add(ox.Quad(subjects[term], predicate, _ox_term(term)))
    held = {quad.subject: str(quad.object) for quad in store}
    return {term: held[subject] for term, subject in subjects.items()}


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


# ------------------------------------------------------------------------------------------------ sh:pattern

def _regex(pattern: str) -> str | None:
    """A Python regular expression (pyshacl's re.search) as one the store's REGEX (Rust's regex crate) reads the
    same way, or None where the two syntaxes or meanings part (\\w, \\b, look-arounds, flags, nested classes)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char, rest = pattern[i], pattern[i + 1:]
        if char == "\\":
            escape = re.match(r"[sS]|[dDtnrfv.^$*+?()\[\]{}|\\\-/#]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}", rest)
            if not escape:
                return None
            token = escape.group()
            if token == "s":  # Python's \s is Unicode's White_Space and U+001C..U+001F
                token = "\\s\\x1C-\\x1F" if in_class else "[\\s\\x1C-\\x1F]"
            elif token == "S":
                token = "[^\\s\\x1C-\\x1F]"
            else:
                token = "\\" + token
            out.append(token)
            i += 1 + escape.end()
            continue
        if in_class:
            if char == "[" or char in "&~-" and rest[:1] == char:
                return None
            in_class = char != "]" or out[-1] in ("[", "[^")
            out.append(char)
            i += 1
            continue
        token = char
        if char == "[":
            in_class = True
            token = "[^" if rest.startswith("^") else "["
        elif char == "(" and rest.startswith("?") and not rest.startswith("?:") or char == "}":
            return None
        elif char == "$":
            if rest[:1] not in ("", ")", "|"):
                return None
            token = "\\n?$"  # Python's $ also matches before a final newline
        elif char == "{":
            quantifier = re.match(r"\{\d+(,\d*)?\}", pattern[i:])
            if not quantifier:
                return None
            token = quantifier.group()
        i += len(token) if char in "[{" else 1
        if token[-1] in "*+?}" and pattern[i:i + 1] == "+":
            return None  # possessive in Python, an error in Rust
        out.append(token)
    return None if in_class else "".join(out)


# ------------------------------------------------------------------------------------------------ the compiler

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


class _Compiler:
    def __init__(self, graph: Graph):
        self.g, self.problems, self.used = graph, [], set()
        self.fresh, self.shapes, self.expanding = itertools.count(), {}, set()
        self.required: dict[tuple, list[_Shape]] = defaultdict(list)  # focus classes -> shapes of sh:minCount 1, one step
        self.compiled = Compiled()

    # --- reading the shapes graph

    def objects(self, subject, predicate) -> list:
        found = sorted(self.g.objects(subject, predicate))
        self.used.update((subject, predicate, o) for o in found)
        return found

    def one(self, subject, predicate):
        found = self.objects(subject, predicate)
        if len(found) > 1:
            self.problem(subject, f"{len(found)} values of {self.name(predicate)} (pyshacl takes one)")
        return found[0] if found else None

    def items(self, subject, predicate) -> list:
        node = self.one(subject, predicate)
        return [] if node is None else list(Collection(self.g, node))

    def name(self, node) -> str:
        return self.g.namespace_manager.normalizeUri(node) if isinstance(node, URIRef) else f"[{node}]"

    def problem(self, shape, feature: str) -> None:
        self.problems.append(f"{self.name(shape)}: {feature}")

    def var(self, stem: str = "x") -> str:
        return f"?{HIDDEN}{stem}{next(self.fresh)}"

    def integer(self, shape, predicate) -> int | None:
        value = self.one(shape, predicate)
        if value is None:
            return None
        if not (isinstance(value, Literal) and value.datatype == XSD.integer and isinstance(value.value, int)):
            self.problem(shape, f"{self.name(predicate)} {value} is not an xsd:integer")
            return None
        return value.value

    # --- the whole graph

    def compile(self) -> Compiled:
        parents: dict = defaultdict(set)
        for predicate in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
            for subject in sorted(set(self.g.subjects(predicate, None))):
                self.problem(subject, f"{self.name(predicate)} (only sh:targetClass is supported)")
        for node in sorted(set(self.g.subjects(SH.targetClass, None))):
            classes = self.objects(node, SH.targetClass)
            shape = self.shape(node)
            if shape.path is not None:
                self.problem(node, "a target on a property shape")
                continue
            self.result_jobs(shape, classes)
            for prop in shape.properties:
                parents[prop].update(classes)
        for prop, classes in sorted(parents.items()):
            self.result_jobs(self.shape(prop), sorted(classes))
        for classes, shapes in sorted(self.required.items()):
            self.compiled.jobs.append(self.required_job(list(classes), shapes))
        self.check_everything_used()
        if self.problems:
            raise Unsupported("the shapes use what the compiler does not handle:\n" + "\n".join(sorted(set(self.problems))))
        return self.compiled

    def check_everything_used(self) -> None:
        """Every sh: triple was compiled (or cannot change results): no shape is ever silently ignored."""
        for s, p, o in sorted(self.g):
            if (s, p, o) in self.used or p in IGNORABLE:
                continue
            if str(p).startswith(str(SH)):
                self.problem(s, f"{self.name(p)} {self.name(o) if isinstance(o, URIRef) else o}")
            elif p == RDF.type and str(o).startswith(str(SH)) and o not in SHAPE_TYPES:
                self.problem(s, f"rdf:type {self.name(o)}")
            elif p == RDF.type and o in (RDFS.Class, OWL.Class) and ((s, SH.property, None) in self.g or s in self.shapes):
                self.problem(s, f"rdf:type {self.name(o)} (an implicit class target)")

    # --- one shape: its constraints

    def shape(self, node) -> _Shape:
        if node in self.shapes:
            return self.shapes[node]
        path = self.one(node, SH.path)
        shape = self.shapes[node] = _Shape(node, None if path is None else "", [] if path is None else self.steps(node, path))
        if path is not None and not self.problems_with(node):
            shape.path = path_text(self.g, path)
        self.objects(node, RDF.type)
        shape.messages = [str(m) for m in self.objects(node, SH.message)]
        for cls in self.objects(node, SH["class"]):
            shape.values.append(_Value(SH.ClassConstraintComponent, self.class_test(cls)))
        self.value_constraints(shape)
        if shape.path is not None:
            shape.counts = (self.integer(node, SH.minCount), self.integer(node, SH.maxCount))
            for predicate in self.objects(node, SH.equals):
                shape.others.append(_Pair(SH.EqualsConstraintComponent, predicate))
            for predicate in self.objects(node, SH.lessThan):
                shape.others.append(_Pair(SH.LessThanConstraintComponent, predicate))
            self.qualified(shape)
        for value in self.objects(node, SH.hasValue):
            shape.others.append(_HasValue(value))
        shape.properties = self.objects(node, SH.property)
        for prop in shape.properties:
            if self.g.value(prop, SH.path) is None:
                self.problem(prop, "an sh:property value without sh:path")
        if shape.path is not None and shape.properties:
            self.problem(node, "sh:property on a property shape")
        closed = self.one(node, SH.closed)
        ignored = self.items(node, SH.ignoredProperties)
        if closed is not None and closed.toPython() is True:
            if shape.path is not None:
                self.problem(node, "sh:closed on a property shape")
            allowed = {self.g.value(p, SH.path) for p in shape.properties}
            shape.others.append(_Closed(sorted(p for p in allowed | set(ignored) if isinstance(p, URIRef))))
        shape.sparql = self.objects(node, SH.sparql)
        return shape

    def problems_with(self, node) -> bool:
        return any(problem.startswith(f"{self.name(node)}: ") for problem in self.problems)

    def steps(self, shape, node, inverse: bool = False) -> list[tuple[URIRef, bool]]:
        """A path of IRIs, sequences and sh:inversePath as (predicate, inverse) steps."""
        if isinstance(node, URIRef):
            return [(node, inverse)]
        if (node, RDF.first, None) in self.g:
            steps = [step for part in Collection(self.g, node) for step in self.steps(shape, part, inverse)]
            return steps[::-1] if inverse else steps
        inner = self.one(node, SH.inversePath)
        others = [p for p in self.g.predicates(node, None) if p != SH.inversePath]
        if inner is None or others:
            self.problem(shape, f"the path {', '.join(self.name(p) for p in others) or node} (only IRIs, sequences "
                                "and sh:inversePath are supported)")
            return [(URIRef("urn:kzelect:unsupported-path"), False)]
        return self.steps(shape, inner, not inverse)

    def walk(self, shape: _Shape, subject: str, value: str) -> str:
        """Triple patterns from ``subject`` along the shape's path to ``value``, fresh variables in between."""
        nodes = [subject] + [self.var("step") for _ in shape.steps[1:]] + [value]
        return " ".join(self.triple(b, f"<{p}>", a) if inverse else self.triple(a, f"<{p}>", b)
                        for (p, inverse), a, b in zip(shape.steps, nodes, nodes[1:], strict=False))

    def triple(self, s: str, p: str, o: str) -> str:
        return _triple(s, p, o)

    def value_constraints(self, shape: _Shape) -> None:
        node, add = shape.node, shape.values.append
        datatype = self.one(node, SH.datatype)
        if datatype is not None:
            add(_Value(SH.DatatypeConstraintComponent, self.datatype_test(node, datatype)))
        kind = self.one(node, SH.nodeKind)
        if kind is not None:
            tests = {SH.IRI: "!isIRI({v})", SH.BlankNode: "!isBlank({v})", SH.Literal: "!isLiteral({v})",
                     SH.BlankNodeOrIRI: "isLiteral({v})", SH.BlankNodeOrLiteral: "isIRI({v})", SH.IRIOrLiteral: "isBlank({v})"}
            if kind in tests:
                add(_Value(SH.NodeKindConstraintComponent, lambda v, test=tests[kind]: test.format(v=v)))
            else:
                self.problem(node, f"sh:nodeKind {kind}")
        for pattern in self.objects(node, SH.pattern):
            regex = _regex(str(pattern))
            if regex is None:
                self.problem(node, f"sh:pattern {str(pattern)!r} (regex syntax the store may read otherwise)")
                continue
            text = _string(regex)
            add(_Value(SH.PatternConstraintComponent, lambda v, r=text: f"(isBlank({v}) || !REGEX(STR({v}), {r}))"))
        low, high = self.integer(node, SH.minLength), self.integer(node, SH.maxLength)
        if low:
            add(_Value(SH.MinLengthConstraintComponent, lambda v, n=low: f"(isBlank({v}) || STRLEN(STR({v})) < {n})"))
        if high is not None:
            add(_Value(SH.MaxLengthConstraintComponent, lambda v, n=high: f"(isBlank({v}) || STRLEN(STR({v})) > {n})"))
        if (node, SH.languageIn, None) in self.g:
            add(_Value(SH.LanguageInConstraintComponent, self.language_test(node)))
        for predicate, operator, component in ((SH.minInclusive, ">=", SH.MinInclusiveConstraintComponent),
                                               (SH.maxInclusive, "<=", SH.MaxInclusiveConstraintComponent)):
            for bound in self.objects(node, predicate):
                if not isinstance(bound, Literal):
                    self.problem(node, f"{self.name(predicate)} {bound} is not a literal")
                    continue
                term = _sparql_term(bound)
                add(_Value(component, lambda v, b=term, o=operator: f"!(isLiteral({v}) && COALESCE({v} {o} {b}, false))"))
        if (node, SH["in"], None) in self.g:
            members = [_sparql_term(m) for m in self.items(node, SH["in"])]
            add(_Value(SH.InConstraintComponent,
                       lambda v, ms=members: "!(" + " || ".join(f"sameTerm({v}, {m})" for m in ms or ["false"]) + ")"))
        for members in self.objects(node, SH["or"]):
            shapes = list(Collection(self.g, members))
            add(_Value(SH.OrConstraintComponent, lambda v, ss=shapes: "!(" + " || ".join(self.conforms(s, v) for s in ss) + ")"))

    def class_test(self, cls) -> Callable[[str], str]:
        return lambda v: f"NOT EXISTS {{ {_isa(v, cls)} }}"

    def datatype_test(self, node, datatype) -> Callable[[str], str]:
        d = str(datatype)
        if datatype in (XSD.string, XSD.gYear, XSD.gYearMonth):  # pyshacl checks no spelling of these
            ok = f"isLiteral({{v}}) && DATATYPE({{v}}) = <{d}>"
        elif datatype == RDF.langString:
            ok = 'isLiteral({v}) && LANG({v}) != ""'
        elif datatype in (XSD.integer, XSD.decimal):
            ok = f"isLiteral({{v}}) && DATATYPE({{v}}) = <{d}> && isNumeric({{v}})"
        elif datatype == XSD.nonNegativeInteger:  # the store keeps it as an xsd:integer
            ok = f"isLiteral({{v}}) && DATATYPE({{v}}) = <{XSD_INTEGER}> && isNumeric({{v}}) && {{v}} >= 0"
        elif datatype in (XSD.boolean, XSD.date):
            ok = f"isLiteral({{v}}) && DATATYPE({{v}}) = <{d}> && COALESCE(isLiteral(<{d}>({{v}})), false)"
        else:
            self.problem(node, f"sh:datatype {self.name(datatype)} (its well-formedness is not checked like pyshacl's)")
            ok = "false"
        return lambda v: "!(" + ok.format(v=v) + ")"

    def language_test(self, node) -> Callable[[str], str]:
        ranges = []
        for item in self.items(node, SH.languageIn):
            if not (isinstance(item, Literal) and isinstance(item.value, str)):
                self.problem(node, f"sh:languageIn member {item} is not a string")
            ranges.append(str(item).lower())
        if "*" in ranges:
            return lambda v: f'!(isLiteral({v}) && LANG({v}) != "")'
        listed = ", ".join(_string(r) for r in sorted(set(ranges))) or '""'
        return lambda v: (f'!(isLiteral({v}) && LANG({v}) != "" && (LCASE(LANG({v})) IN ({listed})'
                          f' || LCASE(STRBEFORE(CONCAT(LANG({v}), "-"), "-")) IN ({listed})))')

    def qualified(self, shape: _Shape) -> None:
        node = shape.node
        values = self.objects(node, SH.qualifiedValueShape)
        low, high = self.integer(node, SH.qualifiedMinCount), self.integer(node, SH.qualifiedMaxCount)
        disjoint = self.one(node, SH.qualifiedValueShapesDisjoint)
        if disjoint is not None and disjoint.toPython() is True:
            self.problem(node, "sh:qualifiedValueShapesDisjoint")
        if values and low is None and high is None:
            self.problem(node, "sh:qualifiedValueShape without sh:qualifiedMinCount or sh:qualifiedMaxCount")
        for value in values:
            shape.others.append(_Qualified(value, low, high))

    # --- conformance of a value node to a shape (sh:or members, qualified value shapes)

    def conforms(self, node, var: str) -> str:
        if node in self.expanding:
            self.problem(node, "a recursive shape")
            return "true"
        self.expanding.add(node)
        try:
            shape = self.shape(node)
            tests = self.violated(shape, var)
            for prop in shape.properties:
                tests += self.violated(self.shape(prop), var)
        finally:
            self.expanding.discard(node)
        return "!(" + " || ".join(tests) + ")" if tests else "true"

    def violated(self, shape: _Shape, focus: str) -> list[str]:
        """SPARQL expressions, one per constraint, true where ``shape`` has a result for the node ``focus``."""
        tests = []
        if shape.values and shape.path is None:
            tests += [value.bad(focus) for value in shape.values]
        elif shape.values:
            x = self.var()
            tests.append(f"EXISTS {{ {self.walk(shape, focus, x)} FILTER ({' || '.join(value.bad(x) for value in shape.values)}) }}")
        low, high = shape.counts
        if low:
            tests.append("NOT " + self.distinct_values(shape, focus, low, lambda x: "true"))
        if high is not None:
            tests.append(self.distinct_values(shape, focus, high + 1, lambda x: "true"))
        for other in shape.others:
            tests.append(other.violated(self, shape, focus))
        for constraint in shape.sparql:
            self.problem(shape.node, f"sh:sparql {constraint} in a shape used inside another (sh:or, sh:qualifiedValueShape)")
        return tests

    def distinct_values(self, shape: _Shape, focus: str, count: int, test: Callable[[str], str]) -> str:
        """EXISTS { ``count`` distinct value nodes of ``focus`` on which ``test`` holds }."""
        if count > 4:
            self.problem(shape.node, f"a count of {count} inside sh:or or a qualified value shape")
        xs = [self.var() for _ in range(count)]
        pairs = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(xs, 2)]
        return (f"EXISTS {{ {' '.join(self.walk(shape, focus, x) for x in xs)} "
                f"FILTER ({' && '.join(pairs + [test(x) for x in xs])}) }}")

    # --- the queries that report results

    def result_jobs(self, shape: _Shape, classes: list) -> None:
        if not shape.messages and (shape.values or shape.others or any(shape.counts)):
            self.problem(shape.node, "no sh:message (pyshacl would write a generic one)")
        low, high = shape.counts
        one_step = len(shape.steps) == 1
        if low == 1 and one_step:  # one query per set of focus classes finds every missing value
            self.required[tuple(sorted(classes))].append(shape)
            low = 0
        if shape.values or high == 1 and one_step:
            self.compiled.jobs.append(self.value_job(shape, classes))
        if high == 1 and one_step:  # reported by the value query
            high = None
        if low or high is not None:
            self.compiled.jobs.append(self.count_job(shape, classes, low or 0, high))
        for other in shape.others:
            self.compiled.jobs.extend(other.jobs(self, shape, classes))
        for constraint in shape.sparql:
            job = _SparqlConstraint(self, shape, constraint).job(classes)
            if job is not None:
                self.compiled.jobs.append(job)

    def value_job(self, shape: _Shape, classes: list) -> _Job:
        """The value nodes that fail a value constraint; and, for sh:maxCount 1, those beside another value node."""
        value = "?this" if shape.path is None else "?value"
        flags = [f"?b{i}" for i in range(len(shape.values))]
        binds = " ".join(f"BIND ({v.bad(value)} AS {flag})" for v, flag in zip(shape.values, flags, strict=True))
        step = "" if shape.path is None else self.walk(shape, "?this", "?value")
        if shape.counts[1] == 1 and len(shape.steps) == 1:
            step += f" OPTIONAL {{ {self.walk(shape, '?this', '?other')} FILTER (!sameTerm(?other, ?value)) }}"
            binds += " BIND (BOUND(?other) AS ?more)"
            flags.append("?more")
        query = (f"SELECT ?this {'?value ' if shape.path else ''}{' '.join(flags)} WHERE {{ {FOCUS} {step} {binds} "
                 f"FILTER ({' || '.join(flags)}) }}")

        def rows(solution, *_):
            for v, flag in zip(shape.values, flags, strict=False):
                if _true(solution[flag[1:]]):
                    yield from _results(shape, solution["this"], v.component, value=solution[value[1:]])
            if _true(solution["more"]):
                yield from _results(shape, solution["this"], SH.MaxCountConstraintComponent)
        return _Job(query, classes, rows)

    def required_job(self, classes: list, shapes: list[_Shape]) -> _Job:
        """The focus nodes without a value for shapes of sh:minCount 1 and a path of one step."""
        rows = " ".join(f"(<{shape.steps[0][0]}> {'true' if shape.steps[0][1] else 'false'} {i})" for i, shape in enumerate(shapes))
        query = (f"SELECT ?this ?i WHERE {{ {FOCUS} VALUES (?p ?inverse ?i) {{ {rows} }} "
                 f"FILTER (IF(?inverse, NOT EXISTS {{ {_triple('?value', '?p', '?this')} }}, "
                 f"NOT EXISTS {{ {_triple('?this', '?p', '?value')} }})) }}")
        return _Job(query, classes, lambda solution, *_: _results(shapes[int(solution["i"].value)], solution["this"],
                                                                 SH.MinCountConstraintComponent))

    def count_job(self, shape: _Shape, classes: list, low: int, high: int | None) -> _Job:
        tests = [f"COUNT(DISTINCT ?value) < {low}"] if low else []
        tests += [f"COUNT(DISTINCT ?value) > {high}"] if high is not None else []
        query = (f"SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{ {FOCUS} OPTIONAL {{ {self.walk(shape, '?this', '?value')} }} }} "
                 f"GROUP BY ?this HAVING ({' || '.join(tests)})")

        def rows(solution, *_):
            n = int(solution["n"].value)
            if n < low:
                yield from _results(shape, solution["this"], SH.MinCountConstraintComponent)
            if high is not None and n > high:
                yield from _results(shape, solution["this"], SH.MaxCountConstraintComponent)
        return _Job(query, classes, rows)


def _true(term) -> bool:
    return term is not None and term.value == "true"


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


# ------------------------------------------------------------------------------------------------ SHACL-SPARQL

AGGREGATES_FOOLED_BY_REPEATS = ("Aggregate_Sum", "Aggregate_Count", "Aggregate_Avg", "Aggregate_GroupConcat")
AGGREGATES = AGGREGATES_FOOLED_BY_REPEATS + ("Aggregate_Min", "Aggregate_Max", "Aggregate_Sample")
_LEXER = re.compile(r"""(?P<comment>\#[^\n]*)|(?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
                    r"""|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)|(?P<select>\bSELECT\b(?:\s+(?:DISTINCT|REDUCED)\b)?)|(?P<bracket>[{}()])""",
                    re.S | re.I)


def _nodes(node) -> Iterable:
    """A parse tree node and everything under it."""
    yield node
    if isinstance(node, dict):
        children = list(node.values())
    elif isinstance(node, ParseResults):
        children = list(node) + list(node.values())
    else:
        children = node if isinstance(node, list | tuple) else ()
    for child in children:
        yield from _nodes(child)


def _mentions(node, name: str = "this") -> bool:
    return any(isinstance(n, Variable) and str(n) == name for n in _nodes(node))


def _named(node, *names: str) -> bool:
    return any(isinstance(n, CompValue) and n.name in names for n in _nodes(node))


def _get(node, key: str):
    """A part of a parse tree node (CompValue.get returns the key itself where the part is missing)."""
    return dict.get(node, key) if isinstance(node, dict) else None


def _plain_term(term, predicate: bool) -> bool:
    """A variable, IRI or literal; as a predicate, not a property path."""
    if predicate and isinstance(term, CompValue) and term.name == "PathAlternative":
        if len(term["part"]) != 1 or len(term["part"][0]["part"]) != 1:
            return False
        element = term["part"][0]["part"][0]
        return element.name == "PathElt" and _get(element, "mod") is None and _plain_term(element["part"], False)
    return isinstance(term, URIRef | Variable | Literal) or isinstance(term, CompValue) and term.name in ("pname", "literal")


def _unwrap(expr):
    while isinstance(expr, CompValue) and "expr" in expr and not _get(expr, "other"):
        expr = expr["expr"]
    return expr


class _SparqlConstraint:
    def __init__(self, compiler: _Compiler, shape: _Shape, node):
        self.c, self.shape, self.node = compiler, shape, node
        select = compiler.one(node, SH.select)
        compiler.objects(node, RDF.type)
        self.messages = [str(m) for m in compiler.objects(node, SH.message)]
        if shape.path is not None:
            compiler.problem(shape.node, "sh:sparql on a property shape ($PATH)")
        if not (isinstance(select, Literal) and isinstance(select.value, str)):
            compiler.problem(shape.node, f"sh:sparql {node} without an sh:select string")
            select = Literal("SELECT * {}")
        self.text = str(select)
        self.prolog = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self.prefixes().items())

    def prefixes(self) -> dict[str, str]:
        """pyshacl's: rdf, rdfs, owl, and the sh:declare of the sh:prefixes node (with the ontologies' if it is none)."""
        g, found = self.c.g, {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
        ontologies = set(g.subjects(RDF.type, OWL.Ontology))
        graph_declares = set(g.objects(g.identifier, SH.declare))
        everywhere = graph_declares.union(*(set(g.objects(o, SH.declare)) for o in ontologies))
        for node in self.c.objects(self.node, SH.prefixes):
            own = set(g.objects(node, SH.declare))
            for declaration in (own | graph_declares if own and node in ontologies else everywhere | own):
                prefix, namespace = g.value(declaration, SH.prefix), g.value(declaration, SH.namespace)
                if prefix is None or namespace is None or found.get(str(prefix), str(namespace)) != str(namespace):
                    self.c.problem(self.shape.node, f"the sh:declare of {prefix} is missing a part or conflicts with another")
                found[str(prefix)] = str(namespace)
        return found

    def job(self, classes: list) -> _Job | None:
        try:
            query = parseQuery(self.prolog + self.text)[1]
        except Exception as error:  # rdflib raises pyparsing's ParseException, and plain Exceptions for unknown prefixes
            self.c.problem(self.shape.node, f"its sh:select does not parse: {error}")
            return None
        if query.name != "SelectQuery" or not _get(query, "where"):
            self.c.problem(self.shape.node, "an sh:sparql that is not a SELECT")
            return None
        for part, what in (("MinusGraphPattern", "MINUS"), ("InlineData", "VALUES"), ("ServiceGraphPattern", "SERVICE")):
            if _named(query, part):
                self.c.problem(self.shape.node, f"{what} in an sh:select (pyshacl refuses it)")
        for name in ("currentShape", "shapesGraph", "PATH", "failure"):
            if _mentions(query, name):
                self.c.problem(self.shape.node, f"${name} in an sh:select")
        projection = _get(query, "projection") or []
        self.names = [str(_get(p, "var") or _get(p, "evar")) for p in projection]
        self.star = not projection
        self.this_projected = _mentions(query) and ("this" in self.names or self.star)
        self.kinds, scales = self.value_kinds(query, projection)
        repeats = _named(query, *AGGREGATES_FOOLED_BY_REPEATS) and not all(
            _get(n, "distinct") for n in _nodes(query) if isinstance(n, CompValue) and n.name in AGGREGATES_FOOLED_BY_REPEATS)
        safe = self.liftable(query)
        if repeats and not (safe and self.plain(query["where"])):
            self.c.problem(self.shape.node, "an aggregate (SUM, COUNT, AVG, GROUP_CONCAT) over a pattern that is not plain triples, "
                                            "FILTERs and BINDs with GROUP BY $this: repeated triples of the union graph would change it")
            return None
        hidden = ("" if "this" in self.names or self.star else " ?this") + "".join(
            f" (MAX(IF(isLiteral(?{v}) && DATATYPE(?{v}) = <{XSD_DECIMAL}>, IF(CONTAINS(STR(?{v}), \".\"), "
            f"STRLEN(STRAFTER(STR(?{v}), \".\")), 1), 0)) AS ?{HIDDEN}scale_{name})" for name, v in scales.items())
        where = _where(self.text)
        if where is None:
            self.c.problem(self.shape.node, "its sh:select has no WHERE group the compiler can find")
            return None
        after_select, opening, closing = where
        mode = self.c.compiled.sparql[str(self.shape.node)] = (
            "lifted, deduplicated" if repeats else "lifted" if safe else "per focus node")
        head, body, tail = self.text[:opening], self.text[opening + 1:closing], self.text[closing + 1:]
        head = head[:after_select] + hidden + head[after_select:]
        if mode == "per focus node":
            if hidden and (_get(query, "groupby") is not None or _named(query, *AGGREGATES)):
                self.c.problem(self.shape.node, "an aggregate query run per focus node that does not select $this")
                return None
            return _Job(self.prolog + head + "{" + body + "}" + tail, classes, self.rows, per_focus=True)
        where_text = (f"{{ {{ SELECT DISTINCT * WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {FOCUS} }} }} {body} }} }} }}" if repeats
                      else f"{{ {FOCUS} {body} }}")
        return _Job(self.prolog + head + where_text + tail, classes, self.rows)

    def value_kinds(self, query, projection) -> tuple[dict, dict]:
        """How each projected variable is bound, for spelling its value in messages: "data" (a triple pattern),
        "sum" (the SUM of such a variable), or "other"; and the SUMs' variables."""
        computed = {str(n["var"]) for n in _nodes(query["where"]) if isinstance(n, CompValue) and n.name == "Bind"}
        triples = {str(t) for n in _nodes(query["where"]) if isinstance(n, CompValue) and n.name == "TriplesBlock"
                   for t in _nodes(n["triples"]) if isinstance(t, Variable)}
        data = triples - computed
        kinds, scales = {}, {}
        for item in projection:
            if _get(item, "var") is not None:
                kinds[str(item["var"])] = "data" if str(item["var"]) in data else "other"
                continue
            expr, name = _unwrap(item["expr"]), str(item["evar"])
            plain_sum = isinstance(expr, CompValue) and expr.name == "Aggregate_Sum" and not _get(expr, "distinct")
            summed = _unwrap(expr["vars"]) if plain_sum else None
            if isinstance(summed, Variable) and str(summed) in data:
                kinds[name], scales[name] = "sum", str(summed)
            else:
                kinds[name] = "other"
        return kinds, scales

    def liftable(self, query) -> bool:
        """Whether joining the focus nodes into the WHERE group gives what pre-binding $this gives (see the module doc)."""
        where = query["where"]
        if _get(query, "limitoffset") is not None or where.name != "GroupGraphPatternSub" or not self.outer_ok(where):
            return False
        if _named(query, *AGGREGATES) or _get(query, "groupby") is not None:
            keys = _get(_get(query, "groupby") or {}, "condition") or []
            return any(isinstance(k, Variable) and str(k) == "this" for k in keys)
        return True

    def outer_ok(self, group) -> bool:
        for part in _get(group, "part") or []:
            if part.name in ("TriplesBlock", "Filter", "Bind"):
                if part.name != "TriplesBlock" and _named(part, "SubSelect", "GraphGraphPattern") and _mentions(part):
                    return False
            elif part.name == "OptionalGraphPattern":
                inner = part["graph"]
                if inner.name != "GroupGraphPatternSub" or not all(
                        p.name in ("TriplesBlock", "Filter") or self.nested_ok(p) for p in _get(inner, "part") or []):
                    return False
            elif not self.nested_ok(part):
                return False
        return True

    def nested_ok(self, part) -> bool:
        if not _mentions(part):
            return True
        if part.name == "TriplesBlock":
            return True
        if part.name == "GroupOrUnionGraphPattern":
            return all(g.name == "GroupGraphPatternSub" and all(self.nested_ok(p) for p in _get(g, "part") or [])
                       for g in part["graph"])
        return False

    def plain(self, group) -> bool:
        """Plain triples (no paths, no blank nodes), FILTERs and BINDs: a pattern that gives no row twice on a set of triples."""
        for part in _get(group, "part") or []:
            if part.name == "TriplesBlock":
                for triple in part["triples"]:
                    terms = list(triple)
                    if not all(_plain_term(t, i % 3 == 1) for i, t in enumerate(terms)):
                        return False
            elif part.name not in ("Filter", "Bind"):
                return False
        return True

    def rows(self, solution, focus, variables) -> Iterable[Result]:
        names = self.names or sorted(v for v in variables if not v.startswith(HIDDEN))
        value, path = solution["value"] if "value" in names else None, solution["path"] if "path" in names else None
        this = solution["this"] if self.this_projected else None
        if this is None and value is None and path is None:
            return []
        focus = this if this is not None else focus if focus is not None else solution["this"]
        value = value if value is not None else focus
        bound = {n: solution[n] for n in names if n not in ("this", "path", "value", "failure") and solution[n] is not None}
        bound |= {k: t for k, t in (("this", this), ("path", path), ("value", value)) if t is not None}
        texts = {n: self.spelling(n, t, solution) for n, t in bound.items()}
        messages = [self.fill(m, texts) for m in self.messages + [m for m in self.shape.messages if m not in self.messages]]
        return _results(self.shape, focus, SH.SPARQLConstraintComponent, value=value,
                        path=str(path) if path is not None else "", messages=messages)

    def spelling(self, name: str, term, solution) -> str:
        """str() of the value as rdflib would hold it (see the module doc on decimals)."""
        if not isinstance(term, ox.Literal) or term.datatype.value != XSD_DECIMAL:
            return term.value
        kind = self.kinds.get(name, "data" if name == "this" else "other")
        if kind == "data":
            return term.value if "." in term.value else term.value + ".0"
        if kind == "sum" and solution[f"{HIDDEN}scale_{name}"] is not None:
            places = int(solution[f"{HIDDEN}scale_{name}"].value)
            return format(Decimal(term.value).quantize(Decimal(1).scaleb(-places)), "f")
        return term.value

    @staticmethod
    def fill(message: str, texts: dict[str, str]) -> str:
        for name, text in texts.items():  # exactly pyshacl's substitution
            message = re.sub(f"{{[?$]{name}}}", text, message)
        return message


def _where(text: str) -> tuple[int, int, int] | None:
    """(end of "SELECT [DISTINCT]", the WHERE group's opening brace, its closing brace) in a SELECT query's text."""
    after_select, depth, opening, braces = None, 0, None, 0
    for match in _LEXER.finditer(text):
        kind = match.lastgroup
        if kind == "select" and after_select is None:
            after_select = match.end()
        elif kind != "bracket" or after_select is None:
            continue
        char = match.group()
        if opening is None:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == "{" and depth == 0:
                opening, braces = match.start(), 1
            continue
        braces += {"{": 1, "}": -1}.get(char, 0)
        if braces == 0:
            return after_select, opening, match.start()
    return None
