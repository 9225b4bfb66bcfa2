"""The compiler: a shapes graph read into _Shapes and written out as the jobs that find their results."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

from ..namespaces import SH
from .constraints import _Closed, _HasValue, _Pair, _Qualified, _results, _Shape, _Value
from .pattern import _regex
from .results import Compiled, Unsupported, _Job
from .sparql import _SparqlConstraint
from .terms import FOCUS, HIDDEN, XSD_INTEGER, _isa, _sparql_term, _string, _triple, path_text

IGNORABLE = {SH.name, SH.description, SH.order, SH.group, SH.defaultValue, SH.declare, SH.prefix, SH.namespace}
SHAPE_TYPES = {SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint}


def compile_shapes(shapes: Graph) -> Compiled:
    return _Compiler(shapes).compile()


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
