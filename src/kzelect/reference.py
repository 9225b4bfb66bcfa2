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


def documents() -> dict:
    return {DATA_FORMAT: data_format(), CLI_REFERENCE: cli_reference()}
