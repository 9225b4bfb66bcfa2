"""Answers in a canonical form, for comparing engines and stores (pyoxigraph, rdflib, Virtuoso).

Terms come as SPARQL 1.1 Query Results JSON (``{"type": "uri", "value": ...}``), which is what
``kzelect.results.Answer`` holds and what stores answer. Each term is compared in a canonical form
that applies only normalisations RDF's own semantics justify, and nothing else:

* a literal typed ``xsd:string`` is the simple literal with that lexical form (RDF 1.1: every simple
  literal *is* an ``xsd:string``);
* numeric literals are compared by value within their family: ``xsd:decimal`` and every type derived
  from it (``xsd:integer``, ``xsd:int``, ``xsd:nonNegativeInteger``, ...) by decimal value, so
  ``"9.0"^^xsd:decimal`` equals ``"9"^^xsd:decimal`` (Oxigraph stores values, not spellings) and
  ``"714"^^xsd:nonNegativeInteger`` equals ``"714"^^xsd:integer`` (Oxigraph keeps the base type);
  ``xsd:double`` and ``xsd:float`` each by value within that one type; XSD gives the families
  disjoint value spaces, so ``3`` (integer) and ``3.0E0`` (double) differ;
* ``xsd:boolean`` by value: ``"1"`` is ``"true"`` and ``"0"`` is ``"false"`` (Virtuoso writes 1 and 0);
* blank nodes are compared by position only (any blank node equals any blank node).

IRIs, language-tagged literals, literals of any other datatype and unbound variables are compared
exactly. Rows are compared in order when the query has a top-level ORDER BY (each shipped query
orders by all it returns), else as multisets.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from rdflib.plugins.sparql.parser import parseQuery

XSD = "http://www.w3.org/2001/XMLSchema#"
DECIMALS = {XSD + t for t in (
    "decimal", "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
    "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "positiveInteger",
)}
FLOATING = {XSD + "double", XSD + "float"}
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True)
class Cell:
    """One term (or None for unbound) in canonical form; ``shown`` is how the engine wrote it."""

    key: tuple | None
    shown: str = field(compare=False)

    def __str__(self) -> str:
        return self.shown


def _float(lexical: str):
    value = float(lexical.strip().replace("INF", "inf"))
    return "NaN" if value != value else value  # NaN is not equal to itself; as a key it must be


def cell(term: dict | None) -> Cell:
    """The canonical form of a SPARQL JSON term (Virtuoso also writes the older ``typed-literal``)."""
    if term is None:
        return Cell(None, "(unbound)")
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return Cell(("iri", value), f"<{value}>")
    if kind == "bnode":
        return Cell(("bnode",), f"_:{value}")
    if "xml:lang" in term:
        return Cell(("lang", value, term["xml:lang"]), f'"{value}"@{term["xml:lang"]}')
    datatype = term.get("datatype") or XSD + "string"
    shown = f'"{value}"' + ("" if datatype == XSD + "string" else f"^^<{datatype}>")
    if datatype == XSD + "string":
        return Cell(("string", value), shown)
    try:
        if datatype in DECIMALS:
            return Cell(("decimal", Decimal(value.strip())), shown)
        if datatype in FLOATING:
            return Cell((datatype, _float(value)), shown)
    except (InvalidOperation, ValueError):
        pass  # an ill-typed literal: compared as written
    if datatype == XSD + "boolean" and value.strip() in BOOLEANS:
        return Cell(("boolean", BOOLEANS[value.strip()]), shown)
    return Cell(("typed", value, datatype), shown)


def rows(variables: list[str], bindings: list[dict]) -> list[tuple[Cell, ...]]:
    return [tuple(cell(binding.get(v)) for v in variables) for binding in bindings]


def has_order_by(query: str) -> bool:
    """Whether the solutions are ordered: a top-level ORDER BY (one inside a sub-query does not count)."""
    return "orderby" in parseQuery(query)[1]


def same(ours: list[tuple], theirs: list[tuple], ordered: bool) -> bool:
    return ours == theirs if ordered else Counter(ours) == Counter(theirs)


def _show(row: tuple[Cell, ...], names: list[str]) -> str:
    return "  ".join(f"?{n}={c}" for n, c in zip(names, row, strict=True))


def difference(names: list[str], ours: list[tuple], theirs: list[tuple], ordered: bool, labels=("ours", "theirs"),
               limit: int = 5) -> str:
    """A readable account of how two answers differ: the first differing row, and rows found on one side only."""
    lines = [f"rows: {labels[0]} {len(ours)}, {labels[1]} {len(theirs)}"]
    if ordered:
        lines.append("the same rows, in a different order" if Counter(ours) == Counter(theirs) else "the rows differ")
        for i, (a, b) in enumerate(zip(ours, theirs, strict=False)):
            if a != b:
                lines += [f"first difference at row {i}:", f"  {labels[0]}: {_show(a, names)}", f"  {labels[1]}: {_show(b, names)}"]
                break
    for label, side, other in ((labels[0], ours, theirs), (labels[1], theirs, ours)):
        extra = list((Counter(side) - Counter(other)).elements())
        if extra:
            lines.append(f"only in {label} ({len(extra)}):")
            lines += [f"  {_show(row, names)}" for row in extra[:limit]]
            if len(extra) > limit:
                lines.append(f"  ... and {len(extra) - limit} more")
    return "\n".join(lines)
