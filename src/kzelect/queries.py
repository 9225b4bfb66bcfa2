"""The named queries shipped with the package (competency questions), and running them."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph

from . import paths
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


def named_queries() -> dict[str, NamedQuery]:
    out = {}
    for path in sorted(paths.QUERIES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        out[path.stem] = NamedQuery(path.stem, _description(text), sparql_prologue() + text)
    return out
