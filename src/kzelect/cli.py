"""The command line: a thin click layer over the library."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, paths
from .errors import EXIT_INVALID, EXIT_OK, KzelectError


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
    click.echo(f"ok: {len(data.records)} records, {cites} citations, every quote found once.")


@main.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=paths.DEFAULT_OUT,
              show_default=True, help="Folder to write the exports into.")
@DATA_OPTION
def build(out: Path, data_dir: Path):
    """Read the data, verify the quotes, build and validate the graph, write the exports."""
    from .build import build as run_build

    try:
        result = run_build(out, data_dir)
    except KzelectError as error:
        raise UserError(error) from error
    for name in result.files:
        click.echo(f"wrote {out / name}")
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
