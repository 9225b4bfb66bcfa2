"""The named queries shipped with the package (competency questions), and running them."""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from . import paths
from .errors import InputError, KzelectError
from .namespaces import sparql_prologue


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    text: str  # with the project's prefixes declared

    def select(self, graph: Graph) -> tuple[list[str], list[dict[str, str]]]:
        """The variables, and the rows as {variable: value as text} with unbound variables left out."""
        result = graph.query(self.text)
        names = [str(v) for v in result.vars]
        return names, [{n: str(row[n]) for n in names if row[n] is not None} for row in result]

    def run(self, graph: Graph) -> list[dict[str, str]]:
        return self.select(graph)[1]


def _description(text: str) -> str:
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("#")]
    return " ".join(lines)


class UnknownQuery(KzelectError):
    """A name that is not one of the named queries."""


NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def query_text(argument: str, stdin=None) -> str:
    """The SPARQL text an argument stands for: ``-`` (standard input), a named query, a file, or the text itself."""
    if argument == "-":
        return (stdin or sys.stdin).read()
    shipped = named_queries()
    if argument in shipped:
        return shipped[argument].text
    path = Path(argument)
    if path.suffix in (".rq", ".sparql") or (NAME.fullmatch(argument) is None and _is_file(path)):
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{argument}: cannot read the query file: {error}") from None
    if NAME.fullmatch(argument):
        close = difflib.get_close_matches(argument, shipped, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise UnknownQuery(f"no named query {argument!r}.{hint} The named queries are: {', '.join(shipped)} "
                           "(`kzelect query --list` describes them)")
    return argument


def _is_file(path: Path) -> bool:
    """Whether the argument names a file; query text too long to be a file name is not one."""
    try:
        return "\n" not in str(path) and path.is_file()
    except OSError:  # ENAMETOOLONG
        return False


def named_queries() -> dict[str, NamedQuery]:
    out = {}
    for path in sorted(paths.QUERIES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        out[path.stem] = NamedQuery(path.stem, _description(text), sparql_prologue() + text)
    return out


def listing() -> str:
    """What `kzelect query --list` prints: each named query with its one-line description."""
    shipped = named_queries()
    width = max(map(len, shipped))
    return "".join(f"{name.ljust(width)}  {query.description}\n" for name, query in shipped.items())
