"""Answers in a canonical form, for comparing engines and stores.

Only normalisations that RDF itself justifies are applied:
- a literal typed ``xsd:string`` is the simple literal with the same text (RDF 1.1);
- a numeric literal is compared by its value within its family (the integer types, ``xsd:decimal``,
  ``xsd:float``, ``xsd:double``): stores keep values, not spellings, so ``"9.0"^^xsd:decimal`` comes
  back from Oxigraph as ``"9"``, and ``xsd:nonNegativeInteger`` as ``xsd:integer``;
- blank nodes are compared by position only (their labels are local to one answer).
Rows are compared in order when the query orders them (every shipped query orders totally), else as
multisets.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {XSD + t for t in ("integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                              "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
FAMILIES = {XSD + "decimal": "decimal", XSD + "float": "float", XSD + "double": "double"} | {t: "integer" for t in INTEGERS}


def term(t: dict) -> tuple:
    kind = t["type"]
    if kind == "bnode":
        return ("bnode",)
    if kind == "uri":
        return ("uri", t["value"])
    datatype = t.get("datatype", XSD + "string")
    if "xml:lang" in t:
        return ("literal", t["value"], "@" + t["xml:lang"].lower())
    if datatype in FAMILIES:
        try:
            return ("number", FAMILIES[datatype], Decimal(t["value"]))
        except InvalidOperation:
            pass
    return ("literal", t["value"], "" if datatype == XSD + "string" else datatype)


def rows(variables: list[str], bindings: list[dict], ordered: bool) -> list:
    out = [tuple(term(b[v]) if v in b else None for v in variables) for b in bindings]
    return out if ordered else sorted(out, key=repr)


def orders(text: str) -> bool:
    return "ORDER BY" in text.upper()
