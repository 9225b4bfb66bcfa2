"""Result tables: the CSV files under data/tables/, one row per reporting unit, read fast and checked.

A ``table/...`` record names its CSV (``file``); the CSV holds a header row and one row per
reporting unit (a country, region, district or polling station). Rows are read with the csv
module into plain tuples, so that a table of 100,000 rows loads in well under a second; every
problem is collected with the file, the physical line and the column, and reported together with
those of the YAML records.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from . import paths
from .errors import Problem
from .records import FORBIDDEN, Record

# The fixed columns, in the order the docs list them; each party column is named by a party id.
COLUMNS = {
    "unit": "**required**. The reporting unit: a place id (`place/slug`), a YAML place record or a unit this row defines.",
    "label": "The unit's name, where the row defines the unit (required then).",
    "type": "The unit's place type, a `place-type/...` id, where the row defines the unit (required then).",
    "within": "The place id of the unit it lies in (country > region > district > polling station).",
    "registered": "Registered voters: a whole number, or empty where not stated.",
    "ballots": "Ballots cast: a whole number, or empty where not stated.",
    "reference": "The source table's own reference to the row or cell (free text), where there is one.",
}
PARTY_COLUMN = "party/"
FILE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.csv$")
PLACE_PATTERN = re.compile(r"^place/[a-z0-9][a-z0-9-]*$")
SEPARATOR = "--"  # joins table, unit and party slugs in the URIs of rows, reports and results
COUNTS = re.compile(r"(?:0|[1-9][0-9]*)?(?:,(?:0|[1-9][0-9]*)?)*")  # a row's count cells joined by commas, all fine


class Row(NamedTuple):
    line: int  # the physical line the row starts on
    number: int  # its RFC 7111 row number: the header is row 1, the first data row row 2
    unit: str
    defines: bool  # the row defines its unit (label and type), which no YAML place record does
    registered: int | None
    ballots: int | None
    votes: tuple[int | None, ...]  # one per party column of the table, None where empty
    reference: str | None


@dataclass(frozen=True)
class Unit:
    """A reporting unit defined by a table row (the first row that defines it)."""

    id: str
    label: str
    type: str
    within: str | None
    file: str
    line: int


@dataclass
class Table:
    record: Record
    file: str  # as shown to users: data/tables/x.csv
    name: str  # the CSV's stem: the table's named graph is id/graph/{name}
    sha256: str = ""
    parties: tuple[str, ...] = ()
    rows: list[Row] = field(default_factory=list)


def slug(record_id: str) -> str:
    return record_id.split("/", 1)[1]


def load_tables(records: list[Record], folder: Path, problems: list[Problem],
                taken: dict[str, str]) -> tuple[list[Table], dict[str, Unit]]:
    """Read the CSV of every table record in ``records``; add what is wrong to ``problems``.

    ``taken`` maps the names of the graphs that are not tables (a records file's stem) to what they hold.
    """
    reader = _Reader(records, problems)
    tables = []
    graph_names = dict(taken)
    for record in (r for r in records if r.kind.name == "table"):
        name = record.get("file")
        table = reader.check_record(record, name, graph_names)
        if table is not None:
            reader.read(table, folder / name)
            tables.append(table)
            graph_names[table.name] = table.file
    reader.check_within()
    _check_unused_files(folder, {r.get("file") for r in records if r.kind.name == "table"}, problems)
    return tables, reader.units


def _check_unused_files(folder: Path, used: set, problems: list[Problem]) -> None:
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        if path.name not in used:
            problems.append(Problem(paths.relative(path), 1, "this CSV is the file of no table record",
                                    f"add a record 'id: table/...' with 'file: {path.name}', or delete the file"))


def _decode(raw: bytes) -> tuple[str | None, int, str]:
    """The text of a CSV file, or None with the line and byte of the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8-sig"), 0, ""
    except UnicodeDecodeError as error:
        return None, raw[:error.start].count(b"\n") + 1, f"0x{raw[error.start]:02x}"


def _count(cell: str) -> int | None | str:
    """A count cell: None where empty, the number, or a text saying what is wrong."""
    if not cell:
        return None
    if cell.isdigit() and cell.isascii() and (cell[0] != "0" or len(cell) == 1):
        return int(cell)
    if cell[0] == "-" and cell[1:].isdigit():
        return "is negative: a count is never below 0"
    return "is not a whole number (ASCII digits, no sign, spaces, separators or leading zero)"


class _Reader:
    """Reads tables one after another, keeping the units they define and the problems they have."""

    def __init__(self, records: list[Record], problems: list[Problem]):
        self.problems = problems
        self.parties = {r.id for r in records if r.kind.name == "party"}
        self.place_types = {r.id for r in records if r.kind.name == "place-type"}
        self.places = {r.id: r for r in records if r.kind.name == "place"}
        self.units: dict[str, Unit] = {}
        self.files: dict[str, str] = {}  # CSV file name -> the table record using it

    def problem(self, file: str, line: int, message: str, fix: str = "") -> None:
        self.problems.append(Problem(file, line, message, fix))

    def check_record(self, record: Record, name, graph_names: dict[str, str]) -> Table | None:
        line = record.lines.get("file", record.line)
        if SEPARATOR in slug(record.id):
            self.problem(record.file, record.line, f"{record.id}: a table's slug may not contain '{SEPARATOR}' "
                         "(it separates the table, unit and party in the URIs of its rows)", "use single hyphens in the slug")
        if not isinstance(name, str):
            return None  # a missing or malformed 'file' is reported by the record checks
        if not FILE_PATTERN.match(name):
            self.problem(record.file, line, f"{record.id}: 'file' must be the name of a CSV file in data/tables/, not {name!r}",
                         "write a plain file name ending in .csv, without a folder (letters, digits, '.', '_', '-')")
            return None
        if name in self.files:
            self.problem(record.file, line, f"{record.id}: {name} is already the file of {self.files[name]}",
                         "give each table its own CSV file")
            return None
        self.files[name] = record.id
        stem = Path(name).stem
        if stem in graph_names:
            self.problem(record.file, line, f"{record.id}: the graph id/graph/{stem} of {name} is already that of {graph_names[stem]}",
                         "rename the CSV file: its stem names the table's graph")
            return None
        return Table(record, f"data/tables/{name}", stem)

    def read(self, table: Table, path: Path) -> None:
        record = table.record
        table.file = paths.relative(path)
        if not path.is_file():
            self.problem(record.file, record.lines.get("file", record.line), f"{record.id}: the table {table.file} does not exist",
                         "add the CSV under data/tables/, or correct 'file:'")
            return
        raw = path.read_bytes()
        table.sha256 = hashlib.sha256(raw).hexdigest()
        text, line, byte = _decode(raw)
        if text is None:
            self.problem(table.file, line, f"not UTF-8: byte {byte} cannot be decoded",
                         "save the table as UTF-8 (it looks like Latin-1 or Windows-1252)")
            return
        if not text.strip():
            self.problem(table.file, 1, "the table is empty: it has no header row",
                         f"write a header row ({', '.join(COLUMNS)}, party ids), then one row per reporting unit")
            return
        self._read_rows(table, csv.reader(io.StringIO(text, newline=""), strict=True))

    def _read_rows(self, table: Table, reader) -> None:
        start = 1  # the line the current record starts on
        try:
            columns = self._header(table, next(reader))
            if columns is None:
                return
            seen: dict[str, int] = {}
            start, number = reader.line_num + 1, 1
            for cells in reader:
                number += 1
                row = self._row(table, columns, cells, start, number, seen)
                if row is not None:
                    table.rows.append(row)
                start = reader.line_num + 1
        except csv.Error as error:
            self.problem(table.file, start, f"CSV syntax error in the row that starts here: {error}",
                         "quote a cell that holds a comma, a quote or a line break with \"...\", doubling any quote inside")

    def _header(self, table: Table, header: list[str]) -> dict | None:
        columns: dict = {}
        parties: list[tuple[int, str]] = []
        seen: set[str] = set()
        for index, name in enumerate(header):
            where = f"column {index + 1} '{name}'"
            if name in seen:
                self.problem(table.file, 1, f"{where}: the column is given twice", "keep one of them")
                continue
            seen.add(name)
            if name in COLUMNS:
                columns[name] = index
            elif name.startswith(PARTY_COLUMN) and name in self.parties:
                parties.append((index, name))
            elif name.startswith(PARTY_COLUMN):
                self.problem(table.file, 1, f"{where}: unknown party '{name}'", _suggest(name, self.parties))
            else:
                self.problem(table.file, 1, f"{where}: unknown column",
                             f"use {', '.join(COLUMNS)} or party ids (party/slug); {_suggest(name, list(COLUMNS))}")
        if "unit" not in columns:
            self.problem(table.file, 1, "the header has no 'unit' column", "name the column of place ids 'unit'")
            return None
        table.parties = tuple(p for _, p in parties)
        columns["counts"] = (columns.get("registered"), columns.get("ballots")) + tuple(i for i, _ in parties)
        columns["width"] = len(header)
        columns["names"] = header
        return columns

    def _row(self, table: Table, columns: dict, cells: list[str], line: int, number: int, seen: dict) -> Row | None:
        file = table.file
        if not cells:
            self.problem(file, line, "an empty line: a table has no empty rows", "remove the line")
            return None
        if len(cells) != columns["width"]:
            self.problem(file, line, f"the row has {len(cells)} cells, but the header has {columns['width']} columns",
                         "give every row one cell per column (empty cells for what is not stated)")
            return None
        ok = True

        def bad(index: int, message: str, fix: str) -> None:
            nonlocal ok
            ok = False
            self.problem(file, line, f"column {index + 1} '{columns['names'][index]}': {message}", fix)

        unit_index = columns["unit"]
        unit = cells[unit_index]
        if not PLACE_PATTERN.match(unit):
            bad(unit_index, f"'{unit}' is not a place id" if unit else "the unit is missing",
                "write the unit's place id, place/slug (lowercase letters, digits, '-')")
            return None
        if SEPARATOR in slug(unit):
            bad(unit_index, f"'{unit}': a unit's slug may not contain '{SEPARATOR}' (it separates table, unit and party in URIs)",
                "use single hyphens in the slug")
        if unit in seen:
            bad(unit_index, f"{unit} is repeated (first at line {seen[unit]})", "give each unit one row per table")
        seen.setdefault(unit, line)
        counts = self._counts(cells, columns["counts"], bad)
        reference = self._text(cells, columns.get("reference"), bad)
        defines = self._unit(table, columns, cells, unit, line, bad)
        if not ok:
            return None
        return Row(line, number, unit, defines, counts[0], counts[1], tuple(counts[2:]), reference)

    def _counts(self, cells: list[str], indexes: tuple, bad) -> list[int | None]:
        """Registered, ballots and each party's votes: one regular expression checks a row's counts at once."""
        texts = [cells[i] if i is not None else "" for i in indexes]
        if COUNTS.fullmatch(",".join(texts)):
            return [int(text) if text else None for text in texts]
        return [self._count(cells, i, bad) for i in indexes]

    def _count(self, cells: list[str], index, bad) -> int | None:
        if index is None:
            return None
        value = _count(cells[index])
        if isinstance(value, str):
            bad(index, f"'{cells[index]}' {value}", "write the count with ASCII digits only, or leave the cell empty if not stated")
            return None
        return value

    def _text(self, cells, index, bad) -> str | None:
        if index is None or not cells[index].strip():
            return None
        found = FORBIDDEN.search(cells[index])
        if found:
            bad(index, f"a control character U+{ord(found[0]):04X} at position {found.start()}", "remove it")
            return None
        return cells[index]

    def _unit(self, table: Table, columns: dict, cells: list[str], unit: str, line: int, bad) -> bool:
        """Check the unit's label, type and within; True where this row defines the unit."""
        label = self._text(cells, columns.get("label"), bad)
        type_ = self._text(cells, columns.get("type"), bad)
        within = self._text(cells, columns.get("within"), bad)
        for name, value, pattern in (("type", type_, "place-type/"), ("within", within, "place/")):
            if value is not None and not value.startswith(pattern):
                bad(columns[name], f"'{value}' is not a {pattern}... id", f"write a {pattern}slug id")
                return False
        if type_ is not None and type_ not in self.place_types:
            bad(columns["type"], f"unknown place type '{type_}'", _suggest(type_, self.place_types))
        if within == unit:
            bad(columns["within"], f"{unit} lies within itself", "name the unit it lies in")
        place = self.places.get(unit)
        if place is not None:
            self._agrees_with_record(place, columns, label, type_, within, bad)
            return False
        if label is None or type_ is None:
            missing = " and ".join(n for n, v in (("label", label), ("type", type_)) if v is None)
            bad(columns.get("unit"), f"{unit} is no place record, so the row defines it, but its {missing} is missing",
                f"give the unit's {missing} (a label and a place-type id), or add a place record for it")
            return False
        first = self.units.get(unit)
        if first is None:
            self.units[unit] = Unit(unit, label, type_, within, table.file, line)
        elif (first.label, first.type, first.within) != (label, type_, within):
            bad(columns["unit"], f"{unit} is defined differently at {first.file}:{first.line} "
                f"(label {first.label!r}, type {first.type}, within {first.within}) and here "
                f"(label {label!r}, type {type_}, within {within})", "make the two definitions agree")
        return True

    def _agrees_with_record(self, place: Record, columns, label, type_, within, bad) -> None:
        for name, value, expected in (("label", label, place.get("label")), ("type", type_, place.get("placeType")),
                                      ("within", within, place.get("within"))):
            if value is not None and value != expected:
                bad(columns[name], f"{place.id} is the place record at {place.file}:{place.line}, whose {name} is "
                    f"{expected!r}, not {value!r}", f"leave '{name}' empty (the record defines the place), or make it agree")

    def check_within(self) -> None:
        """Every unit lies within a place that exists: a place record or a unit a table defines."""
        for unit in self.units.values():
            if unit.within is not None and unit.within not in self.places and unit.within not in self.units:
                self.problem(unit.file, unit.line, f"{unit.id} lies within '{unit.within}', which is no place record "
                             "and no unit of a table", _suggest(unit.within, list(self.places) + list(self.units)))


def _suggest(name: str, options) -> str:
    close = difflib.get_close_matches(name, sorted(options), n=1)
    return f"did you mean '{close[0]}'?" if close else "add a record with that id, or correct the name"
