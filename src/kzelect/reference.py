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
           "Generated from `src/kzelect/schema.py`, `tables.py` and `synth.py` by `python3 -m kzelect docs`; a test fails if "
           "it is stale.", "",
           "Every record is a YAML mapping in a list in a file under `data/records/`. Its `id` is `kind/slug`.",
           "Plain values are text unless they are `true`/`false`, `null` or a whole number without a leading zero:",
           "YAML 1.1's coercions never happen (`NO`, `on`, `0123`, `0x1F`, `1.10` and `2023-02-30` stay text, and",
           "each field's type then checks them; a decimal keeps the digits written). Tags such as `!!python/...` are refused.",
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
    return "\n".join(out + _tables() + _synthetic())


def _tables() -> list[str]:
    from .tables import COLUMNS, SEPARATOR

    out = ["## Result tables (`data/tables/*.csv`)", "",
           "A `table/…` record names a CSV file under `data/tables/` (`file:`): UTF-8, comma-separated, a header row,",
           "then one row per reporting unit (a country, region, district or polling station). The columns, in any order:", "",
           "| column | meaning |", "|---|---|"]
    out += [f"| `{name}` | {doc} |" for name, doc in COLUMNS.items()]
    out += ["| `party/…` | One column per party, named by its party id: the party's votes, a whole number, or empty where "
            "not stated. |", "",
            "Rules (every breach is an error naming the file, the line and the column, all reported at once):", "",
            "- Every row has one cell per header column; the header names only the columns above and known parties, each once.",
            "- Counts are whole numbers written with ASCII digits (no sign, spaces, separators or leading zero), or empty.",
            "- A unit appears once per table. It is a `place/…` record (then `label`, `type` and `within` may be left empty,",
            "  and must agree with the record where given), or the row defines it: then `label` and `type` (a `place-type/…`",
            "  record) are required, and every row of any table that defines the same unit must define it alike.",
            "- `within` names a place record or a unit defined by a table row, never the unit itself; units form a",
            "  hierarchy (country > region > district > polling station) through it, checked for cycles by",
            "  `shapes/checks/place-within-itself-violation.rq`.",
            f"- Table and unit slugs hold no `{SEPARATOR}`: it joins them in the URIs below. A table's file name is new (no",
            "  other table's) and its stem is not that of a records file: the stem names the table's graph.",
            "- Every CSV under `data/tables/` is the file of a table record; the file is read byte for byte and its SHA-256",
            "  is published (`kze:sha256`), with its number of rows (`kze:rowCount`).", "",
            "URIs, for table `table/t` and the row of unit `place/u` (never row numbers: rows may be reordered), all in the",
            "named graph `id/graph/{csv stem}`:", "",
            f"- `id/report/t{SEPARATOR}u`: a `kze:ResultReport` with `kze:election`, `kze:reportingUnit` the unit, "
            "`kze:registeredVoters` and `kze:ballotsCast` where stated;",
            f"- `id/result/t{SEPARATOR}u{SEPARATOR}p`: a `kze:PartyResult` per stated cell of party `party/p` "
            "(`kze:inReport`, `kze:party`, `kze:votes`, `kze:election`);",
            "- `id/place/u`, where the row defines the unit: a `kze:Place` with its label, `kze:placeType` and "
            "`schema:containedInPlace`;",
            f"- `id/row/t{SEPARATOR}u`: the row's citation, a `kze:Citation` and `oa:Annotation` whose bodies are the row's "
            "facts and whose target is the table (`oa:hasSource`) with an `oa:FragmentSelector` that `dct:conformsTo` RFC 7111 "
            "and has the `rdf:value` `row=N`. RFC 7111 counts the records of the file from 1, the header included: the first "
            "data row is `row=2` (as in CSVW, where `csvw:rownum` 1 is `#row=2`); a cell spanning lines still counts as one "
            "record, so N can differ from the line number that errors give. The `reference` column becomes `kze:sourceReference`.",
            "",
            "Each report, result and place of a row has `kze:citation` its row and `prov:wasDerivedFrom` the table, which is "
            "`prov:wasDerivedFrom` its `document/…`. See `docs/rdf-mapping.md`.", ""]
    return out


def _synthetic() -> list[str]:
    from .synth import BROKEN

    out = ["## Synthetic data (`kzelect synth`)", "",
           "`kzelect synth OUT_DIR --elections N --stations S --parties P [--seed 0] [--broken KIND ...]` writes a data",
           "folder in this format: a synthetic source article (and its SHA256SUMS) that names the synthetic parties,",
           "country, elections and election commission, the records citing it, place types, one `document/…` and one",
           "`table/…` per election, and the tables: the country, 2 to 17 regions, about one district per 50 polling",
           "stations, and S polling stations. Per polling station, party votes <= ballots <= registered voters; each",
           "district, region and the country is the sum of the units within it. The same seed gives the same bytes.", "",
           "It can never pass for real data: every label starts with \"Synthetic\", the article and documents say",
           "`synthetic: true`, the build's dataset description is titled \"SYNTHETIC …\" and has `kze:synthetic true`,",
           "and the loader refuses a data folder in which synthetic and real (not synthetic) sources or documents mix,",
           "naming one of each. `tests/test_synth.py` checks that `data/` holds nothing synthetic.", "",
           "Broken variants (`--broken`, repeatable) inject known faults, and the build reports exactly them:", "",
           "| variant | faults |", "|---|---|"]
    return out + [f"| `{name}` | {doc} |" for name, doc in BROKEN.items()] + [""]


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
QUERY_REFERENCE = paths.ROOT / "docs" / "queries.md"
README_QUERY = "parties-passing-threshold"


def _table(rows: list[dict[str, str]], columns: list[str]) -> list[str]:
    def cell(value: str) -> str:
        return value.replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return out + ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]


def _answers(graph):
    """Each named query's answer from the embedded engine, on a store holding ``graph``: what a user sees."""
    import pyoxigraph

    from .execute import evaluate_oxigraph
    from .export import to_ntriples
    from .queries import named_queries
    from .sparql import prepare

    store = pyoxigraph.Store()
    store.load(to_ntriples(graph), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return {name: (query, evaluate_oxigraph(store, prepare(query.text))) for name, query in named_queries().items()}


def queries_reference(graph) -> str:
    from .results import show

    out = ["# Named queries", "",
           "The competency questions the graph answers, shipped with the package: `kzelect query --list` lists",
           "them, `kzelect query NAME` runs one. Each is tested against the articles in",
           "`tests/test_competency.py`, and gives the same answers on pyoxigraph, rdflib and Virtuoso.",
           "Generated by `python3 -m kzelect docs` with the current data; a test fails if it is stale.", ""]
    for name, (query, answer) in _answers(graph).items():
        rows = [{v: show(t) for v, t in row.items()} for row in answer.rows]
        out += [f"## `{name}`", "", query.description, "", "```sh", f"kzelect query {name}", "```", "",
                "```sparql", _query_body(query.text), "```", "",
                f"{len(rows)} row{'s' if len(rows) != 1 else ''}:", ""]
        out += _table(rows, answer.variables) + [""]
    return "\n".join(out)


def readme_sections(data=None, graph=None) -> dict[str, str]:
    """Generated parts of the README: graph statistics, and `kzelect query` shown with its output."""
    from rdflib.namespace import RDF

    from .data import load_data
    from .graph import build_graph
    from .queries import listing
    from .results import table

    data = data or load_data()
    graph = graph or build_graph(data)
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
    query, answer = _answers(graph)[README_QUERY]
    demo = ["```console", "$ kzelect query --list", listing().rstrip(), "",
            f"$ kzelect query {README_QUERY}", table(answer).rstrip(), "```", "",
            f"`{README_QUERY}` is this query ([`src/kzelect/queries/{README_QUERY}.rq`]"
            f"(src/kzelect/queries/{README_QUERY}.rq)):", "",
            "```sparql", _query_body(query.text), "```"]
    return {"stats": "\n".join(stats), "queries": "\n".join(demo)}


def _query_body(text: str) -> str:
    """The query as written in its file (without the predeclared prefixes and comment)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("SELECT"))
    return "\n".join(lines[start:])


def readme(sections: dict[str, str] | None = None) -> str:
    text = README.read_text(encoding="utf-8")
    for name, body in (sections or readme_sections()).items():
        begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1] if end in rest else rest
        text = f"{head}{begin}\n{body}\n{end}{tail}"
    return text


def documents() -> dict:
    from .data import load_data
    from .graph import build_graph

    data = load_data()
    graph = build_graph(data)
    return {DATA_FORMAT: data_format(), CLI_REFERENCE: cli_reference(), QUERY_REFERENCE: queries_reference(graph),
            README: readme(readme_sections(data, graph))}
