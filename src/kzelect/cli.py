"""The command line: a thin click layer over the library."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, paths
from .errors import EXIT_INVALID, EXIT_OK, KzelectError
from .execute import ENGINES, Limits, TimeLimitReached
from .results import FORMATS
from .synth import BROKEN


class UserError(click.ClickException):
    """A KzelectError shown as a message with its exit code, never a traceback."""

    def __init__(self, error: KzelectError):
        super().__init__(str(error))
        self.exit_code = error.exit_code

    def show(self, file=None):
        click.echo(f"Error: {self.format_message()}", err=True)


@click.group()
@click.version_option(__version__, prog_name="kzelect")
def main():
    """kzelect: Kazakhstan's Mazhilis elections of 2007 and 2012 as a cited knowledge graph.

    Exit codes: 0 success or conforms; 1 the data is invalid (violations listed);
    2 the input could not be read (syntax, missing file, bad option).
    """


DATA_OPTION = click.option("--data", "data_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
                           default=paths.DATA, show_default="the project's data/",
                           help="Data folder (records/, sources/, deprecated.yaml).")


@main.command()
@DATA_OPTION
def check(data_dir: Path):
    """Check the data files and their quotes, without building (fast)."""
    from .data import load_data

    try:
        data = load_data(data_dir)
    except KzelectError as error:
        raise UserError(error) from error
    cites = sum(len(r.cites) for r in data.records)
    rows = f", {len(data.tables)} result tables ({sum(len(t.rows) for t in data.tables)} rows)" if data.tables else ""
    click.echo(f"ok: {len(data.records)} records, {cites} citations{rows}, every quote found once.")


@main.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=paths.DEFAULT_OUT,
              show_default=True, help="Folder to write the exports into.")
@DATA_OPTION
@click.pass_context
def build(context: click.Context, out: Path, data_dir: Path):
    """Read the data, verify the quotes, build and validate the graph, write the exports.

    Synthetic data (from `kzelect synth`) needs --out: it never goes into the default folder of the real graph.
    """
    from .build import build as run_build

    defaulted = context.get_parameter_source("out") == click.core.ParameterSource.DEFAULT
    try:
        result = run_build(out, data_dir, synthetic_ok=not defaulted)
    except KzelectError as error:
        raise UserError(error) from error
    for name in result.files:
        click.echo(f"wrote {out / name}")
    click.echo(f"query store (for `kzelect query`): {out / 'store'}")
    click.echo(f"{result.triples} triples, {result.records} records; the graph conforms to the shapes.")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@DATA_OPTION
def validate(files: tuple[Path, ...], data_dir: Path):
    """Validate the project's data, or the RDF FILES given, against the shapes.

    Exit 0 conforms, 1 violations, 2 unreadable input.
    """
    from .validate import validate_data, validate_files

    try:
        report = validate_files(list(files)) if files else validate_data(data_dir)
    except KzelectError as error:
        raise UserError(error) from error
    click.echo(report.text())
    sys.exit(EXIT_OK if report.conforms else EXIT_INVALID)


@main.command()
@click.option("--write", is_flag=True, help="Add the URIs the build publishes to data/published-uris.txt.")
@DATA_OPTION
def uris(write: bool, data_dir: Path):
    """Compare the published URIs with the committed list (and optionally extend it)."""
    from .uris import check_published, write_published

    try:
        report = write_published(data_dir) if write else check_published(data_dir)
    except KzelectError as error:
        raise UserError(error) from error
    click.echo(report.text())
    sys.exit(EXIT_OK if report.ok else EXIT_INVALID)




def on_build(out: Path, data_dir: Path, action):
    """``action()``, after building into ``out`` first if there is no build there yet."""
    from .store import NoBuild

    try:
        return action()
    except NoBuild:
        click.echo(f"No build in {out}/ yet: building it first.", err=True)
        from .build import build as run_build

        run_build(out, data_dir)
        return action()


BUILD_DIR_OPTION = click.option("--build-dir", "out", type=click.Path(file_okay=False, path_type=Path),
                                default=paths.DEFAULT_OUT, show_default=True,
                                help="The build output to query (built first if it is missing).")


@main.command()
@click.argument("query", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the named queries, each with a one-line description.")
@click.option("--show", is_flag=True, help="Print the query's SPARQL, the prefixes declared, instead of running it "
                                          "(to run a named query in another store).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS),
              help="SELECT and ASK: table (default), csv, tsv, json, xml. CONSTRUCT and DESCRIBE: turtle (default), nt, jsonld.")
@click.option("--timeout", type=click.FloatRange(min=0), default=Limits.seconds, show_default=True,
              help="Stop the query after this many seconds (0: no limit); exit code 3.")
@click.option("--limit", type=click.IntRange(min=0), default=Limits.rows, show_default=True,
              help="Return at most this many rows or triples (0: no limit); a cut answer says so on standard error.")
@click.option("--engine", type=click.Choice(ENGINES), default="oxigraph", show_default=True,
              help="oxigraph: the embedded store (fast); rdflib: the reference engine, terms exactly as exported.")
@BUILD_DIR_OPTION
@DATA_OPTION
def query(query: str | None, list_only: bool, show: bool, fmt: str | None, timeout: float, limit: int, engine: str, out: Path,
          data_dir: Path):
    """Ask the graph a SPARQL query: a named query, a .rq file, '-' for standard input, or the query text.

    \b
    kzelect query --list
    kzelect query parties-passing-threshold
    kzelect query 'SELECT ?party WHERE { ?p a kze:PoliticalParty ; skos:prefLabel ?party }'
    kzelect query my-question.rq --format csv

    The prefixes kze, id, rdf, rdfs, xsd, owl, skos, schema, org, prov, oa, dct, sh, void and dcat are
    declared already. The default graph is the whole graph; the named graphs are one per data file.
    Read-only and offline: updates, LOAD, SERVICE and FROM of graphs not in the build are refused
    (exit code 2). Exit codes: 0 answered; 2 refused or unreadable; 3 stopped at the time limit.
    """
    from .execute import ask
    from .namespaces import sparql_prologue
    from .queries import listing, query_text
    from .results import write
    if list_only:
        click.echo(listing(), nl=False)
        return
    if query is None:
        if sys.stdin.isatty():
            raise click.UsageError("give a query (a named query, a .rq file, '-' or the text), or --list")
        query = "-"
    limits = Limits(timeout, limit)
    try:
        text = query_text(query)
        if show:
            click.echo(text if text.startswith(sparql_prologue()) else sparql_prologue() + text, nl=not text.endswith("\n"))
            return
        answer = on_build(out, data_dir, lambda: ask(text, out, limits, engine))
        output = write(answer, fmt or ("turtle" if answer.form in ("CONSTRUCT", "DESCRIBE") else "table"))
    except TimeLimitReached as error:
        raise UserError(TimeLimitReached(f"{error}, or raise the limit with --timeout (0 for none)")) from error
    except KzelectError as error:
        raise UserError(error) from error
    except ValueError as error:
        raise click.BadOptionUsage("fmt", str(error)) from error
    click.echo(output, nl=False)
    if answer.truncated:
        click.echo(f"Warning: the answer was truncated at the row limit of {answer.limit}; "
                   "raise it with --limit (0 for none).", err=True)


@main.command()
@click.option("--endpoint", required=True, metavar="URL",
              help="The store's Graph Store Protocol URL, e.g. http://127.0.0.1:3030/ds/data (Fuseki), "
                   "http://127.0.0.1:7878/store (Oxigraph), http://127.0.0.1:8890/sparql-graph-crud-auth (Virtuoso).")
@click.option("--graph", "graph", default="https://w3id.org/kzelect/id/graph/kzelect", show_default=True, metavar="IRI",
              help="The named graph to replace with the whole graph.")
@click.option("--user", help="User name, for HTTP Basic or Digest authentication.")
@click.option("--password-env", metavar="VAR", help="The environment variable that holds the password.")
@click.option("--timeout", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds to wait for the store.")
@BUILD_DIR_OPTION
@DATA_OPTION
def load(endpoint: str, graph: str, user: str | None, password_env: str | None, timeout: float, out: Path, data_dir: Path):
    """Replace a named graph in a running triple store with the graph, and report what the store then holds.

    Sends the N-Triples export with an HTTP PUT (SPARQL 1.1 Graph Store HTTP Protocol), then reads
    the graph back and counts its triples. Exit codes: 0 the store holds every triple; 1 it holds
    a different number; 2 the store could not be reached or refused the graph. Recipes for each
    store: docs/loading.md.
    """
    import os

    from .load import load as run_load

    password = None
    if password_env:
        if password_env not in os.environ:
            raise click.BadParameter(f"the environment variable {password_env} is not set", param_hint="--password-env")
        password = os.environ[password_env]
    elif user is not None:
        raise click.BadParameter("give the password in an environment variable named by --password-env",
                                 param_hint="--user")
    try:
        loaded = on_build(out, data_dir, lambda: run_load(out, endpoint, graph, user, password, timeout))
    except KzelectError as error:
        raise UserError(error) from error
    click.echo(f"loaded {loaded.sent} triples into <{loaded.graph}> at {loaded.endpoint}; "
               f"the store now holds {loaded.held} triples in that graph.")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--public", is_flag=True, help="Allow an address other than this machine's loopback (prints a warning).")
@BUILD_DIR_OPTION
@DATA_OPTION
def serve(host: str, port: int, public: bool, out: Path, data_dir: Path):
    """Serve every URI of the graph as a page and as data, and a SPARQL endpoint, on this machine.

    A URI https://w3id.org/kzelect/id/... is at http://HOST:PORT/id/...; a browser gets HTML, a
    program asking for Turtle, JSON-LD or N-Triples (Accept header or ?format=) gets data.
    /sparql answers SPARQL 1.1 queries with the rules and limits of `kzelect query`.
    """
    from werkzeug.serving import run_simple

    from .serve import make_app

    if host not in LOOPBACK and not public:
        raise click.BadParameter(f"{host} is reachable from other machines: add --public if that is what you want",
                                 param_hint="--host")
    try:
        app = on_build(out, data_dir, lambda: make_app(out, data_dir))
    except KzelectError as error:
        raise UserError(error) from error
    if host not in LOOPBACK:
        click.echo(f"Warning: serving on {host}, reachable from other machines.", err=True)
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command()
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", default="https://kzelect.example.org", show_default=True,
              help="Where the site will be hosted (at the root of that host): the w3id.org redirect rules point there.")
@BUILD_DIR_OPTION
@DATA_OPTION
def site(target: Path, base_url: str, out: Path, data_dir: Path):
    """Write every page and data document as static files into TARGET, with the redirect rules.

    TARGET gets id/{kind}/{slug}.html, .ttl, .jsonld and .nt, index.html, 404.html, ontology.ttl,
    an .htaccess doing the 303 content negotiation of `kzelect serve`, and w3id.htaccess, the rules
    for the w3id.org repository. TARGET is replaced only once the whole site is written.
    """
    from .serve import make_app
    from .site import write_site

    try:
        app = on_build(out, data_dir, lambda: make_app(out, data_dir))
        app.site.static = True
        count = write_site(app.site, out, target, base_url)
    except KzelectError as error:
        raise UserError(error) from error
    click.echo(f"wrote {count} files into {target}")


def _synth_help() -> str:
    kinds = "\n".join(f"  {name}\n      {doc}" for name, doc in BROKEN.items())
    return (
        "Write a synthetic data folder into OUT_DIR: N elections x S polling stations x P parties.\n\n"
        "Records, a source article and one result table per election (the country, its regions, districts "
        "and polling stations), in the normal input format: build it with `kzelect build --data OUT_DIR`. "
        "Everything is marked synthetic (labels start with \"Synthetic\", the source and documents say "
        "synthetic: true, the dataset's title starts with SYNTHETIC), and a data folder mixing it with real "
        "data is refused. Votes are consistent: per unit, party votes <= ballots <= registered voters, and the "
        "rows of districts, regions and the country are the sums of the units within them. The same seed "
        "gives the same bytes.\n\n"
        f"\b\nBroken variants (--broken, repeatable) inject known faults, each reported as said:\n{kinds}\n")


@main.command(help=_synth_help())
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--elections", type=click.IntRange(min=1), default=2, show_default=True, help="Number of elections (N).")
@click.option("--stations", type=click.IntRange(min=3), default=1000, show_default=True, help="Polling stations (S).")
@click.option("--parties", type=click.IntRange(min=1), default=7, show_default=True, help="Parties (P).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random draws.")
@click.option("--broken", type=click.Choice(list(BROKEN)), multiple=True, help="Inject the faults of a broken variant.")
def synth(out_dir: Path, elections: int, stations: int, parties: int, seed: int, broken: tuple[str, ...]):
    from .synth import synth as run_synth

    try:
        made = run_synth(out_dir, elections, stations, parties, seed, broken)
    except KzelectError as error:
        raise UserError(error) from error
    click.echo(f"wrote {len(made.files)} files into {out_dir}: {made.elections} elections x {made.stations} polling stations "
               f"({made.districts} districts, {made.regions} regions) x {made.parties} parties; SYNTHETIC data, never publish it.")
    for kind, expected in sorted(made.expected.items()):
        click.echo(f"broken {kind}: {len(expected)} known fault(s): {', '.join(expected)}")


@main.command()
@click.option("--check", "check_only", is_flag=True, help="Only report whether the generated docs are current.")
def docs(check_only: bool):
    """Regenerate docs/data-format.md and docs/cli.md from the schema and --help."""
    from .reference import documents

    stale = []
    for path, text in documents().items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            stale.append(paths.relative(path))
            if not check_only:
                path.write_text(text, encoding="utf-8")
    verb = "stale" if check_only else "rewrote"
    click.echo(f"{verb}: {', '.join(stale)}" if stale else "docs are current")
    sys.exit(EXIT_INVALID if stale and check_only else EXIT_OK)
