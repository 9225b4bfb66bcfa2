"""SHACL-SPARQL: an sh:sparql constraint lifted to one query over all its focus nodes, or run once per focus node."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

import pyoxigraph as ox
from pyparsing import ParseResults
from rdflib import Literal, URIRef, Variable
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from ..namespaces import SH
from .constraints import _results, _Shape
from .results import Result, _Job
from .terms import FOCUS, HIDDEN, XSD_DECIMAL

if TYPE_CHECKING:
    from .compiler import _Compiler

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
        """Whether joining the focus nodes into the WHERE group gives what pre-binding $this gives (see the doc of kzelect.shapequeries)."""
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
        """str() of the value as rdflib would hold it (see the doc of kzelect.shapequeries on decimals)."""
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
