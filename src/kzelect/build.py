"""The build: data -> checked records -> graph -> validation -> exports."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rdflib import Dataset, Graph

from . import export, folder, paths, rows, store
from .data import CuratedData, load_data
from .errors import EXIT_INVALID, KzelectError
from .graph import named_graphs, triples_by_graph, union_graph, uri
from .progress import step
from .quads import Quads
from .rows import OxigraphTerms
from .uris import missing_in
from .validate import Report, validate_quads


class PublishedUrisMissing(KzelectError):
    exit_code = EXIT_INVALID


class ValidationFailed(KzelectError):
    exit_code = EXIT_INVALID

    def __init__(self, report: Report):
        self.report = report
        super().__init__(report.text())


@dataclass
class Assembled:
    """The graph built and checked in memory: its named graphs as quads, and the validation report.

    The triples themselves are not kept: at millions of triples they would double the build's memory.
    """

    data: CuratedData
    quads: Quads
    report: Report

    @cached_property
    def graph(self) -> Graph:
        """The union graph in rdflib (the reference engine; slow for large graphs, so made only when asked)."""
        return union_graph(triples_by_graph(self.data))

    @cached_property
    def dataset(self) -> Dataset:
        return named_graphs(triples_by_graph(self.data))


@dataclass
class BuildResult:
    files: list[str]
    triples: int
    records: int


class Locations(dict):
    """Each record's URI -> its data file and line; a table's reports, results and rows -> the CSV file and line."""

    def __init__(self, data: CuratedData):
        super().__init__({str(uri(r.id)): f"{r.file}:{r.line}" for r in data.records})
        self.update({str(uri(u.id)): f"{u.file}:{u.line}" for u in data.units.values()})
        self.rows = rows.locations(data.tables)

    def get(self, key, default=None):
        if key in self:
            return self[key]
        row = rows.row_of(key)
        return self.rows.get(row, default) if row else default


def locations(data: CuratedData) -> dict[str, str]:
    return Locations(data)


def assemble(data_dir: Path = paths.DATA, check: bool = True) -> Assembled:
    """Load, build and validate; with ``check``, raise if the graph violates the shapes."""
    with step("read the data"):
        data = load_data(data_dir)
    with step("make the triples"):
        groups = triples_by_graph(data, OxigraphTerms)
    with step("check the published URIs"):
        contract = missing_in(groups, data, data_dir)
    if check and not contract.ok:
        raise PublishedUrisMissing(contract.text())
    quads = Quads.of(groups)
    del groups  # the quads hold them
    report = validate_quads(quads, locations=locations(data))
    if check and not report.conforms:
        raise ValidationFailed(report)
    return Assembled(data, quads, report)


def build(out: Path, data_dir: Path = paths.DATA, synthetic_ok: bool = True) -> BuildResult:
    """Build everything in memory, then write the exports and the query store into a fresh folder and swap it
    in for ``out`` whole, all under the build lock of ``out`` (see ``folder``).

    ``synthetic_ok=False`` refuses synthetic data (the CLI's default output folder is the real graph's).
    """
    with folder.lock(out):
        assembled = assemble(data_dir)
        if assembled.data.synthetic and not synthetic_ok:
            raise folder.OutputError(f"{paths.relative(data_dir)} holds synthetic data (kzelect synth): it is never built into "
                                     f"the real graph's default folder {out}; give another folder with --out")
        with folder.staged(out) as staging, store.loading(staging, assembled.quads):
            files = export.render(assembled.quads)
            with step("write the files"):
                export.write(files, staging)
    return BuildResult(sorted(files), len(assembled.quads), len(assembled.data.records))
