"""The curated data as a whole: records, source texts, located quotes, deprecations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .errors import DataError, Problem
from .records import ID_PATTERN, Cite, Record, data_files, parse_file, read_records
from .sources import SourceText, Span, find_quote, load_text, normalize, quote_problem, read_checksums
from .tables import Table, Unit, load_tables

# Fields that hold a source's own words: each must occur inside one of the record's quotes.
QUOTED_FIELDS = ("statement", "statedAs", "shareStatedAs", "title", "reason")


@dataclass(frozen=True)
class Deprecation:
    id: str
    replaced_by: str
    note: str
    file: str
    line: int


@dataclass
class CuratedData:
    records: list[Record]
    texts: dict[str, SourceText]  # source record id -> text
    spans: dict[tuple[str, Cite], Span] = field(default_factory=dict)  # (record id, cite) -> span
    deprecations: list[Deprecation] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    units: dict[str, Unit] = field(default_factory=dict)  # reporting units defined by table rows

    def by_id(self) -> dict[str, Record]:
        return {r.id: r for r in self.records}

    @property
    def synthetic(self) -> bool:
        """Generated data (``kzelect synth``): its sources and documents say so."""
        return any(r.get("synthetic") for r in self.records)


DATASET_GRAPH, DEPRECATIONS_GRAPH = "dataset", "deprecated"  # named graphs of the build's own, not data files
RESERVED_GRAPHS = {DATASET_GRAPH: "the graph's own description", DEPRECATIONS_GRAPH: "the retired identifiers"}


def load_data(data_dir: Path = paths.DATA) -> CuratedData:
    """Load and check everything the build reads from ``data_dir``; raise DataError listing every problem."""
    problems: list[Problem] = []
    records = read_records(data_dir / "records", problems)
    files = data_files(data_dir / "records")
    for path in files:
        if path.stem in RESERVED_GRAPHS:
            problems.append(Problem(paths.relative(path), 1, f"the file name '{path.stem}' is reserved: the named graph "
                                    f"id/graph/{path.stem} holds {RESERVED_GRAPHS[path.stem]}", "rename the file"))
    texts = _load_texts(records, data_dir / "sources", problems)
    taken = dict(RESERVED_GRAPHS) | {path.stem: paths.relative(path) for path in files}
    tables, units = load_tables(records, data_dir / "tables", problems, taken)
    data = CuratedData(records, texts, tables=tables, units=units)
    _check_not_mixed(records, problems)
    for record in records:
        for cite in record.cites:
            text = texts.get(cite.source)
            if text is None:
                continue
            span, why = find_quote(text, cite.quote)
            if span is None:
                problems.append(quote_problem(record.file, cite.line, record.id, cite.source, cite.quote, why))
            else:
                data.spans[(record.id, cite)] = span
        _check_quoted_fields(record, problems)
    data.deprecations = _load_deprecations(data_dir / "deprecated.yaml", {r.id for r in records}, problems)
    if problems:
        raise DataError(problems)
    return data


def _load_texts(records, texts_dir: Path, problems) -> dict[str, SourceText]:
    try:
        checksums = read_checksums(texts_dir / "SHA256SUMS")
    except (OSError, ValueError) as error:
        problems.append(Problem(paths.relative(texts_dir / "SHA256SUMS"), 1, f"cannot read checksums: {error}",
                                "restore the file (sha256sum *.txt > SHA256SUMS)"))
        return {}
    texts = {}
    for record in records:
        if record.kind.name != "source":
            continue
        if record.get("file") is None:
            continue  # reported by the records' checks (a required field)
        try:
            texts[record.id] = load_text(record.get("file"), checksums, texts_dir)
        except (ValueError, UnicodeDecodeError) as error:
            problems.append(Problem(record.file, record.lines.get("file", record.line), f"{record.id}: {error}",
                                    "restore the text byte-for-byte from shared/seeds, or fix 'file:'"))
    return texts


def _check_not_mixed(records: list[Record], problems) -> None:
    """Synthetic data never mixes with real data: every source and document of a folder is synthetic, or none is."""
    origins = [r for r in records if r.kind.name in ("source", "document")]
    synthetic = next((r for r in origins if r.get("synthetic")), None)
    real = next((r for r in origins if not r.get("synthetic")), None)
    if synthetic and real:
        problems.append(Problem(real.file, real.line, f"{real.id} is real (not marked 'synthetic: true') but {synthetic.id} "
                                f"({synthetic.file}:{synthetic.line}) is synthetic: a data folder holds real data or "
                                "synthetic data, never both", "keep synthetic data (kzelect synth) in a folder of its own"))


def _check_quoted_fields(record: Record, problems) -> None:
    """Words said to be the source's own must be words from one of the record's quotes."""
    quotes = [normalize(c.quote)[0].casefold() for c in record.cites]
    for name in QUOTED_FIELDS:
        value = record.values.get(name)
        if value is None or not record.cites:
            continue
        words = normalize(value.strip())[0].casefold()
        if not any(words in quote for quote in quotes):
            problems.append(Problem(record.file, record.lines[name],
                                    f"{record.id}: '{name}' is not inside any of its cited quotes",
                                    f"copy the {name} words from one of the quotes under 'cites:'"))


def _load_deprecations(path: Path, ids: set[str], problems) -> list[Deprecation]:
    if not path.exists():
        return []
    name = paths.relative(path)
    out = []
    for item in parse_file(path, problems):
        line = item.line
        old, new = item.get("id"), item.get("replacedBy")
        unknown = set(item) - {"id", "replacedBy", "note"}
        if unknown:
            problems.append(Problem(name, line, f"unknown field(s) {sorted(unknown)} in a deprecation",
                                    "use only id, replacedBy, note"))
        if not (isinstance(old, str) and ID_PATTERN.match(old)):
            problems.append(Problem(name, line, f"deprecation without a valid id: {old!r}", "write 'id: kind/slug'"))
            continue
        if old in ids:
            problems.append(Problem(name, line, f"{old} is deprecated but still a record",
                                    "remove the record, or remove the deprecation"))
        if new not in ids and not (isinstance(new, str) and new.startswith("quote/")):
            problems.append(Problem(name, line, f"{old}: replacedBy '{new}' is not a record",
                                    "point replacedBy at an existing record id (or quote/... URI)"))
            continue
        out.append(Deprecation(old, new, str(item.get("note", "")), name, line))
    return out

