"""Reading the curated data files into checked records, with file and line for every value."""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from . import paths
from .errors import Problem
from .schema import CITES, COMMON, KINDS, Field, Kind, kind_of

ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")
DECIMAL_PATTERN = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")  # not Decimal's 1_000, ١٢, NaN or 1e3
DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
CITE_KEYS = ("source", "quote")


@dataclass(frozen=True)
class Cite:
    source: str
    quote: str
    line: int  # the line of the quote
    source_line: int = field(default=0, compare=False)


@dataclass
class Record:
    """One curated record: its id, checked values, and where each came from."""

    id: str
    file: str
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    cites: list[Cite] = field(default_factory=list)

    @property
    def kind(self) -> Kind:
        return KINDS[kind_of(self.id)]

    @property
    def graph_name(self) -> str:
        return Path(self.file).stem

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


class _Mapping(dict):
    line = 0
    key_lines: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []


class _Loader(yaml.SafeLoader):
    """A YAML loader that keeps the line of every mapping and key, and notes duplicate keys."""


def _construct_mapping(loader, node):
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines, mapping.duplicates = {}, []
    for key_node, _ in node.value:
        if key_node.value in mapping.key_lines:
            mapping.duplicates.append((key_node.value, key_node.start_mark.line + 1))
        mapping.key_lines[key_node.value] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Plain scalars are text unless they are unmistakably something else: YAML 1.1's coercions
# (NO -> false, 0123 -> 83, 1.10 -> 1.1, 0x1F -> 31, 2023-02-30 -> a date) never happen. Only
# true/false, null, and whole numbers without a leading zero are resolved; every other scalar
# stays text for its field's type to check (decimals are read from the text exactly, "1.10" included,
# and dates are checked by the date type, so an impossible date is a located problem).
_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^(?:0|-?[1-9][0-9]*)$"), list("-0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


def data_files(folder: Path = paths.RECORDS) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


def parse_file(path: Path, problems: list[Problem]) -> list[_Mapping]:
    """The list of mappings in one data file; syntax errors become problems."""
    name = paths.relative(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        problems.append(Problem(name, line, f"not UTF-8: byte 0x{raw[error.start]:02x} cannot be decoded",
                                "save the file as UTF-8 (it looks like Latin-1 or Windows-1252)"))
        return []
    except OSError as error:
        problems.append(Problem(name, 1, f"cannot read the file: {error}", "check that it exists and is readable"))
        return []
    try:
        content = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        context = f" ({error.context} at line {error.context_mark.line + 1})" if error.context_mark else ""
        fix = "correct the YAML syntax at this line (indentation, quotes, colons)"
        if "'\\t'" in str(error.problem) or "\t" in str(error.problem):
            fix = "indent with spaces: YAML does not allow tabs there"
        problems.append(Problem(name, line, f"YAML syntax error at column {column}: {error.problem or error}{context}", fix))
        return []
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problems.append(Problem(name, 1, f"cannot read the file: {error}", "save it as UTF-8 YAML"))
        return []
    if content is None:
        problems.append(Problem(name, 1, "the file holds no records (it is empty, or only comments)",
                                "add records ('- id: kind/slug'), or delete the file"))
        return []
    if not isinstance(content, list):
        problems.append(Problem(name, 1, "the file must hold a YAML list of records",
                                "start each record with '- id: kind/slug'"))
        return []
    out = []
    for item in content:
        if isinstance(item, _Mapping):
            out.append(item)
        else:
            problems.append(Problem(name, 1, f"a list item is not a record: {item!r}",
                                    "make every item a mapping that starts with '- id: kind/slug'"))
    return out


def read_records(folder: Path, problems: list[Problem]) -> list[Record]:
    """Read and check every record, adding what is wrong to ``problems``."""
    records: list[Record] = []
    files = data_files(folder)
    if not files:
        problems.append(Problem(paths.relative(folder), 1, "no data files found", "add YAML files"))
    for path in files:
        for mapping in parse_file(path, problems):
            record = _check_record(mapping, paths.relative(path), problems)
            if record is not None:
                records.append(record)
    _check_ids_and_refs(records, problems)
    return sorted(records, key=lambda r: r.id)


def _suggest(name: str, options) -> str:
    if not options:
        return "add a record with that id, or correct the reference"
    close = difflib.get_close_matches(name, list(options), n=1)
    return f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(sorted(options))}"


def _check_record(mapping: _Mapping, file: str, problems: list[Problem]) -> Record | None:
    def problem(line, message, fix=""):
        problems.append(Problem(file, line, message, fix))

    for key, line in mapping.duplicates:
        problem(line, f"field '{key}' is given twice in one record", "keep one of them")
    record_id = mapping.get("id")
    if not isinstance(record_id, str) or not ID_PATTERN.match(record_id):
        problem(mapping.line, f"record has no valid id (got {record_id!r})",
                "give it 'id: kind/slug' with a lowercase slug of letters, digits and '-'")
        return None
    if kind_of(record_id) not in KINDS:
        problem(mapping.line, f"{record_id}: unknown kind '{kind_of(record_id)}'",
                _suggest(kind_of(record_id), KINDS))
        return None
    kind = KINDS[kind_of(record_id)]
    record = Record(record_id, file, mapping.line)
    known = {f.name: f for f in COMMON + kind.fields}
    for key, value in mapping.items():
        line = mapping.key_lines.get(key, mapping.line)
        if key == "id":
            continue
        if key == CITES:
            record.cites = _check_cites(record_id, kind, value, line, mapping, problem)
            continue
        spec = known.get(key)
        if spec is None:
            options = list(known) + [CITES] if kind.cited else list(known)
            problem(line, f"{record_id}: unknown field '{key}' for a {kind.name}",
                    _other_kind_hint(mapping, kind) or _suggest(str(key), options))
            continue
        checked = _check_value(record_id, spec, value, line, problem)
        if checked is not None:
            record.values[key] = checked
            record.lines[key] = line
    for spec in COMMON + kind.fields:
        if spec.required and spec.name not in mapping:
            problem(mapping.line, f"{record_id}: required field '{spec.name}' is missing",
                    f"add '{spec.name}:' ({spec.doc})")
    if kind.cited and CITES not in mapping:
        problem(mapping.line, f"{record_id}: no citation",
                "add 'cites:' with at least one {source: source/..., quote: \"...\"}")
    _check_periods(record, problem)
    return record


def _other_kind_hint(mapping: _Mapping, kind: Kind) -> str:
    """Where a record's fields fit another kind, say so (e.g. a role holding is a membership)."""
    keys = set(mapping) - {"id", CITES} - {f.name for f in COMMON}
    fits = [k.name for k in KINDS.values()
            if k is not kind and keys <= {f.name for f in k.fields} and (k.cited or CITES not in mapping)]
    if len(fits) == 1:
        return f"these fields are those of a {fits[0]}: write 'id: {fits[0]}/{mapping['id'].split('/', 1)[1]}'"
    return ""


def _check_periods(record: Record, problem) -> None:
    """An end date may not precede its start: a partial date (YYYY-MM, YYYY) stands for any day it covers."""
    for start, end in record.kind.periods:
        first, last = record.values.get(start), record.values.get(end)
        if first and last and _days(last)[1] < _days(first)[0]:
            problem(record.lines[end], f"{record.id}: '{end}' {last} is before '{start}' {first} "
                                       f"(every day of {last} precedes every day of {first})",
                    f"correct '{end}' or '{start}' (a partial date covers every day of its month or year: 2011-12 may end 2011-12-16)")


def _days(date: str) -> tuple[dt.date, dt.date]:
    """The first and the last day a date of the data (YYYY, YYYY-MM or YYYY-MM-DD) may mean."""
    year, month, day = (int(g) if g else None for g in DATE_PATTERN.match(date).groups())
    if day:
        return dt.date(year, month, day), dt.date(year, month, day)
    if month:
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _check_cites(record_id, kind, value, line, mapping, problem) -> list[Cite]:
    if not kind.cited:
        problem(line, f"{record_id}: a {kind.name} takes no citations", "remove 'cites:'")
        return []
    if not isinstance(value, list) or not value:
        problem(line, f"{record_id}: 'cites' must be a non-empty list", "write '- source: ...' items under it")
        return []
    cites = []
    for item in value:
        item_line = getattr(item, "line", line)
        if not isinstance(item, dict):
            problem(item_line, f"{record_id}: a citation must be a mapping", "write {source: ..., quote: ...}")
            continue
        for key in item:
            if key not in CITE_KEYS:
                problem(item.key_lines.get(key, item_line), f"{record_id}: unknown citation field '{key}'",
                        _suggest(str(key), CITE_KEYS))
        source, quote = item.get("source"), item.get("quote")
        if not isinstance(source, str) or not source:
            problem(item_line, f"{record_id}: citation without a source", "add 'source: source/...'")
            continue
        if not isinstance(quote, str) or not quote.strip():
            problem(item_line, f"{record_id}: citation without a quote", "add 'quote: \"...\"' copied from the source")
            continue
        cites.append(Cite(source, quote, item.key_lines.get("quote", item_line),
                          item.key_lines.get("source", item_line)))
    return cites


def _check_value(record_id, spec: Field, value, line, problem):
    if spec.many:
        if not isinstance(value, list):
            problem(line, f"{record_id}: '{spec.name}' takes a list", f"write '{spec.name}: [{value}]'")
            return None
        checked = [_check_scalar(record_id, spec, v, line, problem) for v in value]
        return None if any(c is None for c in checked) else checked
    return _check_scalar(record_id, spec, value, line, problem)


def _check_scalar(record_id, spec: Field, value, line, problem):
    where = f"{record_id}: '{spec.name}'"
    checker = _CHECKERS[spec.type]
    result, expected = checker(value, spec)
    if result is None:
        problem(line, f"{where} must be {expected}, not {value!r}", f"write {expected}")
    return result


# Control characters (but tab and newline) and the bidirectional controls that can make text read
# differently from how it is stored ("Trojan Source") are refused in any text of the data.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _as_str(value, spec):
    if isinstance(value, str) and FORBIDDEN.search(value):
        bad = FORBIDDEN.search(value)[0]
        return None, f"a text without control characters (found U+{ord(bad):04X} at position {FORBIDDEN.search(value).start()})"
    ok = isinstance(value, str) and value.strip()
    return (value if ok else None), "a non-empty text"


def _as_date(value, spec):
    expected = "a date YYYY-MM-DD, YYYY-MM or YYYY"
    if isinstance(value, dt.datetime):
        return None, expected
    if isinstance(value, dt.date):
        return value.isoformat(), expected
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    match = DATE_PATTERN.match(text)
    if not match:
        return None, expected
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        dt.date(year, 1 if month is None else month, 1 if day is None else day)  # month 00 or day 00 does not exist
    except ValueError:
        return None, expected + " that exists"
    return text, expected


def _as_int(value, spec):
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return (value if ok else None), "a whole number, not negative"


def _as_decimal(value, spec):
    expected = "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, expected
    if isinstance(value, str) and not DECIMAL_PATTERN.match(value.strip()):
        return None, expected + " written with ASCII digits and a point (like 42.7)"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None, expected
    return (number if number.is_finite() else None), expected


def _as_bool(value, spec):
    return (value if isinstance(value, bool) else None), "true or false"


def _as_uri(value, spec):
    ok = isinstance(value, str) and re.match(r"^https?://[^\s<>\"{}|\\^`]+$", value)
    return (value if ok else None), "an http(s) URL"


def _as_ref(value, spec):
    kinds = " or ".join(f"{k}/..." for k in spec.kinds)
    ok = isinstance(value, str) and ID_PATTERN.match(value) and kind_of(value) in spec.kinds
    return (value if ok else None), f"the id of a record ({kinds})"


_CHECKERS = {"str": _as_str, "date": _as_date, "int": _as_int, "decimal": _as_decimal,
             "bool": _as_bool, "uri": _as_uri, "ref": _as_ref}


def _check_ids_and_refs(records: list[Record], problems: list[Problem]) -> None:
    first: dict[str, Record] = {}
    for record in records:
        if record.id in first:
            other = first[record.id]
            problems.append(Problem(record.file, record.line, f"duplicate id '{record.id}' (first at {other.file}:{other.line})",
                                    "give this record another slug, or merge the two records"))
        else:
            first[record.id] = record
    for record in records:
        for name, value in record.values.items():
            spec = record.kind.field(name)
            if spec is None or spec.type != "ref":
                continue
            for target in value if spec.many else [value]:
                if target not in first:
                    problems.append(Problem(record.file, record.lines[name], f"{record.id}: '{name}' refers to unknown id '{target}'",
                                            _suggest(target, [i for i in first if kind_of(i) in spec.kinds])))
        for cite in record.cites:
            if cite.source not in first or kind_of(cite.source) != "source":
                problems.append(Problem(record.file, cite.source_line, f"{record.id}: citation of unknown source '{cite.source}'",
                                        _suggest(cite.source, [i for i in first if kind_of(i) == "source"])))
