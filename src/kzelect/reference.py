"""Reference docs generated from the schema and the CLI, so they cannot drift (a test compares)."""

from __future__ import annotations

import click

from . import paths
from .schema import CITES, COMMON, KINDS

DATA_FORMAT = paths.ROOT / "docs" / "data-format.md"
CLI_REFERENCE = paths.ROOT / "docs" / "cli.md"


def _curie(uri) -> str:
    from rdflib import Graph

    from .namespaces import bind_prefixes

    return bind_prefixes(Graph()).namespace_manager.normalizeUri(uri)


def data_format() -> str:
    out = ["# The data format", "",
           "Generated from `src/kzelect/schema.py` by `python3 -m kzelect docs`; a test fails if it is stale.", "",
           "Every record is a YAML mapping in a list in a file under `data/records/`. Its `id` is `kind/slug`.",
           "Every record may have:", "",
           "| field | type | predicate | meaning |", "|---|---|---|---|",
           "| `id` | kind/slug | (the subject URI `id/{kind}/{slug}`) | required |"]
    out += [_row(f) for f in COMMON]
    out += [f"| `{CITES}` | list of {{source, quote}} | `kze:citation` | required for cited kinds |", ""]
    for kind in KINDS.values():
        cited = "cites a source" if kind.cited else "no citation"
        out += [f"## `{kind.name}/…` — `{_curie(kind.cls)}` ({cited})", "", kind.doc, ""]
        if kind.fields:
            out += ["| field | type | predicate | meaning |", "|---|---|---|---|"]
            out += [_row(f) for f in kind.fields]
            out.append("")
    return "\n".join(out)


def _row(field) -> str:
    type_ = f"ref → {' / '.join(field.kinds)}" if field.type == "ref" else field.type
    if field.many:
        type_ = f"list of {type_}"
    need = "**required**. " if field.required else ""
    return f"| `{field.name}` | {type_} | `{_curie(field.predicate)}` | {need}{field.doc} |"


def cli_reference() -> str:
    from .cli import main

    out = ["# Command line reference", "",
           "Generated from `--help` by `python3 -m kzelect docs`; a test fails if it is stale.", ""]
    context = click.Context(main, info_name="kzelect", terminal_width=100, max_content_width=100)
    out += ["```", main.get_help(context), "```", ""]
    for name in sorted(main.commands):
        command = main.commands[name]
        sub = click.Context(command, info_name=name, parent=context, terminal_width=100,
                            max_content_width=100)
        out += [f"## kzelect {name}", "", "```", command.get_help(sub), "```", ""]
    return "\n".join(out)


README = paths.ROOT / "README.md"
README_QUERIES = ("parties-passing-threshold", "parties-barred-or-suspended", "disagreements")


def _table(rows: list[dict[str, str]], columns: list[str]) -> list[str]:
    def cell(value: str) -> str:
        return value.replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return out + ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]


def readme_sections() -> dict[str, str]:
    """Generated parts of the README: graph statistics and three queries with their answers."""
    from rdflib.namespace import RDF

    from .data import load_data
    from .graph import build_graph
    from .queries import named_queries

    data = load_data()
    graph = build_graph(data)
    counts: dict[str, int] = {}
    for record in data.records:
        if not record.kind.concept:
            counts[record.kind.name] = counts.get(record.kind.name, 0) + 1
    cites = sum(len(r.cites) for r in data.records)
    stats = [f"{len(graph):,} triples from {len(data.records)} curated records and {cites} citations "
             f"({len(set(graph.subjects(RDF.type, None)))} typed nodes):", ""]
    rows = [{"kind (URI id/{kind}/{slug})": f"`{k}`", "class": f"`{_curie(KINDS[k].cls)}`", "records": str(v),
             "what it holds": KINDS[k].doc} for k, v in sorted(counts.items())]
    stats += _table(rows, ["kind (URI id/{kind}/{slug})", "class", "records", "what it holds"])
    stats += ["", "Controlled vocabularies (SKOS concept schemes `id/scheme/{kind}`): "
              + ", ".join(f"`{k}`" for k in sorted({r.kind.name for r in data.records if r.kind.concept})) + "."]
    queries = []
    shipped = named_queries()
    for name in README_QUERIES:
        query = shipped[name]
        columns, rows = query.select(graph)
        queries += [f"**{query.description}** (`{name}.rq`)", "", "```sparql", _query_body(query.text), "```", ""]
        queries += _table(rows, columns) + [""]
    return {"stats": "\n".join(stats), "queries": "\n".join(queries).rstrip()}


def _query_body(text: str) -> str:
    """The query as written in its file (without the predeclared prefixes and comment)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("SELECT"))
    return "\n".join(lines[start:])


def readme() -> str:
    text = README.read_text(encoding="utf-8")
    for name, body in readme_sections().items():
        begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1] if end in rest else rest
        text = f"{head}{begin}\n{body}\n{end}{tail}"
    return text


def documents() -> dict:
    return {DATA_FORMAT: data_format(), CLI_REFERENCE: cli_reference(), README: readme()}
