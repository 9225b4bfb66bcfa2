"""Query text before it runs: parsed once, and refused if it would write or reach the network.

Every query is parsed with rdflib's SPARQL 1.1 grammar before any engine sees it. Refused, with a
message saying why: updates (INSERT, DELETE, LOAD, CLEAR, DROP, ...), ``SERVICE`` anywhere in the
query, and ``FROM``/``FROM NAMED`` naming a graph that is not in the local dataset. A syntax error
names the line, the column and the token found there. rdflib's parser recurses once per level of
brackets, so a query nested deeper than Python's recursion limit allows (some 24 levels of
parentheses, 36 of braces) is refused with a message rather than a RecursionError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from .errors import KzelectError
from .namespaces import PREFIXES


class QueryRefused(KzelectError):
    """The query is well formed but not allowed (it would write, or reach beyond the local dataset)."""


class QuerySyntaxError(KzelectError):
    """The query is not SPARQL 1.1."""

    def __init__(self, line: int, column: int, token: str, expected: str, text: str):
        self.line, self.column, self.token = line, column, token
        source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        pointer = " " * (column - 1) + "^"
        found = f"at {token!r}" if token else "at the end of the query"
        hint = ""
        if re.match(r"[A-Za-z][\w.-]*:[^\s/]*/", token):
            prefix, local = token.split(":", 1)
            hint = (f"\n  A prefixed name cannot contain '/': write the full IRI, "
                    f"<{prefixes().get(prefix, prefix + ':')}{local.rstrip('.;,')}>.")
        super().__init__(f"syntax error at line {line}, column {column} ({found}): {expected}\n"
                         f"  {line} | {source_line}\n  {' ' * len(str(line))} | {pointer}{hint}")


FORMS = {"SelectQuery": "SELECT", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE", "AskQuery": "ASK"}
UPDATE_NAMES = {"Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP", "Create": "CREATE", "Add": "ADD", "Move": "MOVE",
                "Copy": "COPY", "InsertData": "INSERT DATA", "DeleteData": "DELETE DATA", "DeleteWhere": "DELETE WHERE",
                "Modify": "DELETE/INSERT"}


@dataclass(frozen=True)
class Prepared:
    """A query that passed the checks: its text, and its form (SELECT, CONSTRUCT, DESCRIBE or ASK)."""

    text: str
    form: str


def prefixes() -> dict[str, str]:
    """The prefixes every query may use without declaring them."""
    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


TOO_DEEP = ("the query is nested too deeply to be read (the parser's recursion limit was reached; "
            "it allows some 24 levels of parentheses and 36 of braces): flatten the query")


def prepare(text: str, graphs: frozenset[str] = frozenset()) -> Prepared:
    """Check a query; ``graphs`` are the names of the local named graphs that FROM may use."""
    try:
        return _check(text, graphs)
    except RecursionError:
        raise QueryRefused(TOO_DEEP) from None


def _check(text: str, graphs: frozenset[str]) -> Prepared:
    try:
        parsed = parseQuery(text)
    except ParseException as error:
        _refuse_update(text)
        raise _syntax_error(text, error) from None
    try:
        query = translateQuery(parsed, initNs=prefixes())
    except RecursionError:
        raise
    except Exception as error:  # rdflib raises plain Exception for an undeclared prefix
        raise QueryRefused(f"the query cannot be read: {error}") from None
    refusals = _services(parsed) + _foreign_graphs(query.algebra.get("datasetClause") or [], graphs)
    if refusals:
        raise QueryRefused("; ".join(refusals))
    return Prepared(text, FORMS[query.algebra.name])


def _refuse_update(text: str) -> None:
    try:
        update = parseUpdate(text)
    except ParseException:
        return
    names = [UPDATE_NAMES.get(request.name, request.name) for request in update.request]
    if "LOAD" in names:
        raise QueryRefused("LOAD is refused: queries never fetch anything from the network, and the graph is read-only")
    raise QueryRefused(f"{', '.join(dict.fromkeys(names))} is an update, and updates are refused: the graph is read-only. "
                       "Change the data under data/ and rebuild instead.")


def _services(parsed) -> list[str]:
    return [f"SERVICE {_show(node['term'])} is refused: queries never reach the network (no federated queries)"
            for node in _walk(parsed) if isinstance(node, CompValue) and node.name == "ServiceGraphPattern"]


def _foreign_graphs(clauses, graphs: frozenset[str]) -> list[str]:
    refusals = []
    for clause in clauses:
        keyword, iri = ("FROM NAMED", clause["named"]) if "named" in clause else ("FROM", clause["default"])
        if str(iri) not in graphs:
            refusals.append(f"{keyword} <{iri}> is refused: it is not a graph of the local dataset, and queries never "
                            "fetch remote graphs (local graphs: " + (", ".join(sorted(graphs)) or "none") + ")")
    return refusals


def _walk(node):
    yield node
    if isinstance(node, dict):
        children = node.values()
    elif isinstance(node, list | tuple | ParseResults):
        children = node
    else:
        return
    for child in children:
        yield from _walk(child)


def _show(term) -> str:
    return term.n3() if hasattr(term, "n3") else str(term)


def _syntax_error(text: str, error: ParseException) -> QuerySyntaxError:
    """Where rdflib's grammar stopped: the token found there and what it expected instead."""
    message = str(error.msg)
    found = re.search(r", found (?:'(.*)'|end of text)\s*$", message)
    token = found[1] or "" if found else _token_at(text, error.lineno, error.col)
    expected = message[:found.start()] if found else message
    return QuerySyntaxError(error.lineno, error.col, token, _shorten(expected[:1].lower() + expected[1:]), text)


def _token_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return ""
    match = re.match(r"\S+", lines[line - 1][column - 1:])
    return match[0] if match else ""


def _shorten(expected: str, limit: int = 300) -> str:
    expected = " ".join(expected.split())
    return expected if len(expected) <= limit else expected[:limit] + " …"
