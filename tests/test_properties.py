"""Property-based tests (issue 6): random valid record sets build and come back unchanged from every
export; random corruptions of them are refused with a message naming the record, its file and line.

The record sets are small but real: parties, elections, result reports and results, events, places
and concepts, citing spans of the real source texts, with labels of arbitrary Unicode (as the loader
allows it) spread over a few data files. Examples are derandomized, so CI runs the same ones each
time; ``HYPOTHESIS_PROFILE=explore`` draws new ones, and more.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal
from rdflib.namespace import SKOS

from conftest import make_data_dir
from kzelect import export, paths
from kzelect.build import ValidationFailed, assemble
from kzelect.data import load_data
from kzelect.errors import DataError, KzelectError
from kzelect.graph import GRAPH_BASE, uri
from kzelect.records import FORBIDDEN
from kzelect.schema import COMMON, KINDS
from kzelect.sources import normalize

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("explore", settings.get_profile("ci"), derandomize=False, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TEXTS = {p.name: p.read_text(encoding="utf-8") for p in sorted(paths.SOURCE_TEXTS.glob("*.txt"))}
NORMALIZED = {name: normalize(text)[0] for name, text in TEXTS.items()}
FILES = ("parties", "elections", "results", "events", "vocabularies")  # data file stems, i.e. named graphs
FIRST, LAST = dt.date(1000, 1, 1), dt.date(9000, 12, 31)


class Plain(str):
    """A value written as a plain YAML scalar (a date, a number), not quoted."""


@dataclass
class Rec:
    id: str
    file: str
    fields: dict = field(default_factory=dict)
    cites: list[tuple[str, str]] = field(default_factory=list)  # (source id, quote)

    @property
    def kind(self) -> str:
        return self.id.split("/", 1)[0]


# Writing records as YAML: one key a line, so that every record's lines are known.

def quoted(text: str) -> str:
    """A YAML double-quoted scalar: printable characters as they are, every other one escaped."""
    def char(c: str) -> str:
        if c in '"\\':
            return "\\" + c
        if c.isprintable() and c != "\ufeff":
            return c
        return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
    return '"' + "".join(char(c) for c in text) + '"'


def scalar(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, Plain)) else quoted(value)


def record_lines(record: Rec) -> list[str]:
    lines = [f"- id: {record.id}"] + [f"  {key}: {scalar(value)}" for key, value in record.fields.items()]
    if record.cites:
        lines.append("  cites:")
        for source, quote in record.cites:
            lines += [f"    - source: {source}", f"      quote: {quoted(quote)}"]
    return lines


def write_data(root: Path, records: list[Rec]) -> tuple[Path, list[range]]:
    """A data folder with the real source texts and these records; each record's line range in its file."""
    texts: dict[str, list[str]] = {}
    where = []
    for record in records:
        lines = texts.setdefault(record.file, [])
        first = len(lines) + 1
        lines += record_lines(record)
        where.append(range(first, len(lines) + 1))
    folder = root / "records"
    folder.mkdir()
    for name, lines in texts.items():
        (folder / f"{name}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return make_data_dir(root, folder), where


# Strategies

SLUG = st.from_regex(r"[a-z0-9][a-z0-9-]{0,14}", fullmatch=True)
REFUSED = "".join(chr(i) for i in range(0x2070) if FORBIDDEN.match(chr(i)))
ALLOWED = st.characters(exclude_categories=("Cs",), exclude_characters=REFUSED)
HOSTILE = st.sampled_from(['"""', "'''", '" . <a> <b> <c> .', "</script>", "\\", "@prefix x: <y> .", '{"@id": "x"}', "\n",
                           "\u200d", "\ufeff", "\u00a0", "&amp;", "%20", "_:b0", "^^xsd:string", "@en", "\U0001f5f3"])
TEXT = st.lists(st.one_of(st.text(ALLOWED, min_size=1, max_size=12), HOSTILE), min_size=1, max_size=4).map("".join).filter(str.strip)


def date_text(day: dt.date, precision: int) -> Plain:
    return Plain(day.isoformat()[:precision])


def days(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day a partial date stands for (the test's own reading of the rule)."""
    year = int(text[:4])
    if len(text) == 4:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if len(text) == 7:
        month = int(text[5:])
        return dt.date(year, month, 1), dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date.fromisoformat(text), dt.date.fromisoformat(text)


DATES = st.builds(date_text, st.dates(FIRST, LAST), st.sampled_from((4, 7, 10)))


def quote(draw, file: str) -> str:
    """A span of a source text that occurs once in it (lengthened until it does)."""
    text, normalized = TEXTS[file], NORMALIZED[file]
    start = draw(st.integers(0, len(text) - 1))
    end = min(len(text), start + draw(st.integers(3, 80)))
    while True:
        needle = normalize(text[start:end].strip())[0]
        if needle and normalized.find(needle) == normalized.rfind(needle):
            return text[start:end]
        start, end = (max(0, start - 8), end) if end == len(text) else (start, min(len(text), end + 8))


def words_of(draw, quote_: str) -> str:
    """Some of a quote's words, as a field holding the source's own words (statedAs, reason) needs."""
    start = draw(st.integers(0, len(quote_) - 1))
    return quote_[start:start + draw(st.integers(1, len(quote_)))].strip() or quote_.strip()


@st.composite
def record_sets(draw) -> list[Rec]:
    """A valid set: sources with their publishers, concepts, a country, parties, elections, each with a
    report of results, and events with a start and an end."""
    files = draw(st.lists(st.sampled_from(sorted(TEXTS)), min_size=1, max_size=3, unique=True))
    slugs = iter(draw(st.lists(SLUG, min_size=30, max_size=30, unique=True)))
    sources = {f"source/{next(slugs)}": file for file in files}
    records: list[Rec] = []

    def add(kind: str, file: str | None = None, cited: bool = True, **fields) -> Rec:
        record = Rec(f"{kind}/{next(slugs)}", file or draw(st.sampled_from(FILES)), {"label": draw(TEXT)})
        if draw(st.booleans()):
            record.fields["altLabels"] = draw(st.lists(TEXT, min_size=1, max_size=2))
        record.fields.update(fields)
        if cited:
            for source in draw(st.lists(st.sampled_from(sorted(sources)), min_size=1, max_size=2)):
                record.cites.append((source, quote(draw, sources[source])))
        records.append(record)
        return record

    publishers = [add("organization").id for _ in range(draw(st.integers(1, 2)))]
    for source, file in sources.items():
        fields = {"title": draw(TEXT), "publisher": draw(st.sampled_from(publishers)),
                  "language": draw(st.sampled_from(["en", "ru", "kk-Cyrl"])), "file": file}
        if draw(st.booleans()):
            fields["published"] = draw(DATES)
        records.append(Rec(source, "sources", {"label": draw(TEXT)} | fields))
    concept = {kind: add(kind, "vocabularies", cited=False, definition=draw(TEXT)).id
               for kind in ("place-type", "election-type", "event-type")}
    country = add("place", placeType=concept["place-type"]).id
    parties = [add("party").id for _ in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(1, 2))):
        election = add("election", date=draw(DATES), electionType=concept["election-type"], jurisdiction=country).id
        report = add("report", election=election).id
        for party in draw(st.lists(st.sampled_from(parties), min_size=1, unique=True)):
            add_result(draw, add("result", report=report, party=party))
    for _ in range(draw(st.integers(1, 2))):
        start, end = sorted(draw(st.lists(DATES, min_size=2, max_size=2)), key=lambda d: days(d)[1])
        event = add("event", eventType=concept["event-type"], date=start, endDate=end)
        if draw(st.booleans()):
            event.fields["reason"] = words_of(draw, event.cites[0][1])
    return draw(st.permutations(records))


def add_result(draw, result: Rec) -> None:
    """A result's optional figures, within what the shapes allow."""
    share = draw(st.integers(0, 10000))
    figures = {"votes": draw(st.integers(0, 10**8)), "share": Plain(f"{share // 100}.{share % 100:02d}"),
               "shareStatedAs": words_of(draw, result.cites[0][1]), "seats": draw(st.integers(0, 500)),
               "rank": draw(st.integers(1, 30)), "passedThreshold": True}
    for name in draw(st.lists(st.sampled_from(sorted(figures)), unique=True)):
        result.fields[name] = figures[name]


# Valid sets build, keep every record, and every export reads back as the same graph.

PARSERS = {export.TURTLE: ("turtle", pyoxigraph.RdfFormat.TURTLE), export.JSONLD: ("json-ld", pyoxigraph.RdfFormat.JSON_LD),
           export.NTRIPLES: ("nt", pyoxigraph.RdfFormat.N_TRIPLES), export.TRIG: ("trig", pyoxigraph.RdfFormat.TRIG)}


def read_back(data: bytes, name: str) -> tuple[set, set]:
    """The triples of an export as rdflib reads it (a dataset's union for TriG), and as pyoxigraph reads it."""
    rdflib_format, oxigraph_format = PARSERS[name]
    graph = (Dataset() if name == export.TRIG else Graph()).parse(data=data.decode("utf-8"), format=rdflib_format)
    by_rdflib = {(s, p, o) for s, p, o, *_ in (graph.quads() if name == export.TRIG else graph)}
    quads = pyoxigraph.parse(data, format=oxigraph_format)
    by_oxigraph = set(Graph().parse(data="".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in quads), format="nt"))
    return by_rdflib, by_oxigraph


@settings(max_examples=10)
@given(record_sets())
def test_every_valid_set_builds_and_round_trips_through_every_export(records):
    with tempfile.TemporaryDirectory() as root:
        data, _ = write_data(Path(root), records)
        built = assemble(data)
    graph = set(built.graph)
    assert not any(isinstance(term, BNode) for triple in graph for term in triple)  # so equal sets are isomorphic graphs
    for record in records:
        assert (uri(record.id), SKOS.prefLabel, Literal(record.fields["label"], lang="en")) in graph, record.id
    files = export.render(built.quads)  # the build's own writers; built.graph is the rdflib reference
    for name in PARSERS:
        for parsed in read_back(files[name], name):
            assert parsed == graph, (name, sorted(graph - parsed)[:3], sorted(parsed - graph)[:3])
    trig = Dataset().parse(data=files[export.TRIG].decode("utf-8"), format="trig")
    for named in built.dataset.graphs():
        if len(named):
            assert set(trig.graph(named.identifier)) == set(named), named.identifier
    assert {str(g.identifier) for g in built.dataset.graphs() if len(g)} >= {str(GRAPH_BASE) + r.file for r in records}


# Corruptions: each breaks one record; the error names it (id, file and a line of it) and says what is wrong.

@dataclass
class Corrupted:
    records: list[Rec]
    targets: list[int]  # the indexes of the corrupted record (and of the one it copies)
    expect: str


def pick(draw, records: list[Rec], test=lambda r: True) -> int:
    return draw(st.sampled_from([i for i, r in enumerate(records) if test(r)]))


def changed(records: list[Rec], index: int, fields: dict | None = None, cites: list | None = None) -> list[Rec]:
    """The records with one of them given other fields or citations."""
    record, out = records[index], list(records)
    out[index] = Rec(record.id, record.file, record.fields if fields is None else fields, record.cites if cites is None else cites)
    return out


# A source record without a valid 'file' crashes the loader (see test_a_source_without_its_file_is_reported): left out here.
def field_names(record: Rec) -> list[str]:
    return [name for name in record.fields if not (record.kind == "source" and name == "file")]


def misspelled_field(draw, records):
    i = pick(draw, records)
    name = draw(st.sampled_from(field_names(records[i])))
    known = {f.name for f in COMMON + KINDS[records[i].kind].fields} | {"id", "cites"}
    wrong = draw(st.sampled_from([name[:-1], name + name[-1], name[0].upper() + name[1:], name + "s", name.lower() + "_"]).filter(
        lambda w: w and w not in known))
    fields = {wrong if k == name else k: v for k, v in records[i].fields.items()}
    return Corrupted(changed(records, i, fields=fields), [i], f"unknown field '{wrong}'")


def missing_required_field(draw, records):
    i = pick(draw, records)
    required = {f.name for f in COMMON + KINDS[records[i].kind].fields if f.required}
    name = draw(st.sampled_from([n for n in field_names(records[i]) if n in required]))
    fields = {k: v for k, v in records[i].fields.items() if k != name}
    return Corrupted(changed(records, i, fields=fields), [i], f"required field '{name}' is missing")


def share_out_of_range(draw, records):
    i = pick(draw, records, lambda r: r.kind == "result")
    share = draw(st.one_of(st.integers(101, 10**6).map(str), st.integers(1, 10**4).map(lambda n: f"-{n / 100}"),
                           st.just("100.01"), st.just("188")))
    return Corrupted(changed(records, i, fields=records[i].fields | {"share": Plain(share)}), [i], "kze:voteShare")


def share_not_a_number(draw, records):
    i = pick(draw, records, lambda r: r.kind == "result")
    share = draw(st.sampled_from(["12%", "NaN", "nan", "inf", "-Infinity", "1,5", "twelve", "0x1F", "12 12"]))
    return Corrupted(changed(records, i, fields=records[i].fields | {"share": share}), [i], "'share' must be a number")


def negative_count(draw, records):
    i = pick(draw, records, lambda r: r.kind == "result")
    name = draw(st.sampled_from(["votes", "seats", "rank"]))
    fields = records[i].fields | {name: draw(st.integers(-10**6, -1))}
    return Corrupted(changed(records, i, fields=fields), [i], f"'{name}' must be a whole number, not negative")


def unknown_source(draw, records):
    i = pick(draw, records, lambda r: r.cites)
    ids = {r.id for r in records}
    source = draw(SLUG.map(lambda s: f"source/{s}").filter(lambda s: s not in ids))
    cites = [(source, q) for _, q in records[i].cites]
    return Corrupted(changed(records, i, cites=cites), [i], f"citation of unknown source '{source}'")


def quote_not_in_source(draw, records):
    i = pick(draw, records, lambda r: r.cites)
    source, text = records[i].cites[0][0], records[i].cites[0][1].strip()
    at = draw(st.integers(1, max(1, len(text) - 1)))
    cites = [(source, text[:at] + draw(st.sampled_from("§¤☃\u2042")) + text[at:])] + records[i].cites[1:]  # none is in a source
    return Corrupted(changed(records, i, cites=cites), [i], "is not in the source")


def words_not_in_quote(draw, records):
    i = pick(draw, records, lambda r: r.kind in ("result", "event"))
    name = "shareStatedAs" if records[i].kind == "result" else "reason"
    fields = records[i].fields | {name: draw(TEXT) + " \u2042"}
    return Corrupted(changed(records, i, fields=fields), [i], f"'{name}' is not inside any of its cited quotes")


def duplicate_id(draw, records):
    i = pick(draw, records)
    copy = Rec(records[i].id, draw(st.sampled_from(FILES + ("sources",))), dict(records[i].fields), list(records[i].cites))
    at = draw(st.integers(0, len(records)))
    out = records[:at] + [copy] + records[at:]
    return Corrupted(out, [at, i if i < at else i + 1], f"duplicate id '{copy.id}'")


def bad_date(draw, records):
    i = pick(draw, records, lambda r: any(n in r.fields for n in ("date", "endDate", "published")))
    name = draw(st.sampled_from([n for n in ("date", "endDate", "published") if n in records[i].fields]))
    year = draw(st.integers(1000, 9999))
    wrong = draw(st.sampled_from([f"{year}-02-30", f"{year}-13", f"{year}-00-10", f"{year}-1-5", f"{year}1", f"{year}/12/16",
                                  f"16.12.{year}", "0000", f"{year}-12-16T10:00", f"{year}-04-31"]))
    return Corrupted(changed(records, i, fields=records[i].fields | {name: Plain(wrong)}), [i], f"'{name}' must be a date")


def end_before_start(draw, records):
    i = pick(draw, records, lambda r: r.kind == "event")
    end = draw(st.builds(date_text, st.dates(FIRST, LAST - dt.timedelta(days=400)), st.sampled_from((4, 7, 10))))
    after = days(end)[1] + dt.timedelta(days=draw(st.integers(1, 400)))
    start = date_text(after, draw(st.sampled_from((4, 7, 10))))
    if days(start)[0] <= days(end)[1]:
        start = date_text(after, 10)
    fields = records[i].fields | {"date": start, "endDate": end}
    return Corrupted(changed(records, i, fields=fields), [i], f"'endDate' {end} is before 'date' {start}")


def control_character_in_label(draw, records):
    i = pick(draw, records)
    label = records[i].fields["label"]
    at = draw(st.integers(0, len(label)))
    bad = draw(st.sampled_from(REFUSED))
    fields = records[i].fields | {"label": label[:at] + bad + label[at:]}
    return Corrupted(changed(records, i, fields=fields), [i], f"without control characters (found U+{ord(bad):04X}")


def unknown_reference(draw, records):
    i = pick(draw, records, lambda r: r.kind == "result")
    ids = {r.id for r in records}
    party = draw(SLUG.map(lambda s: f"party/{s}").filter(lambda s: s not in ids))
    return Corrupted(changed(records, i, fields=records[i].fields | {"party": party}), [i], f"refers to unknown id '{party}'")


CORRUPTIONS = [misspelled_field, missing_required_field, share_out_of_range, share_not_a_number, negative_count, unknown_source,
               quote_not_in_source, words_not_in_quote, duplicate_id, bad_date, end_before_start, control_character_in_label,
               unknown_reference]


def located(error: KzelectError) -> list[tuple[str, int, str]]:
    """(file, line, text) of every problem an error lists."""
    if isinstance(error, DataError):
        return [(p.file, p.line, str(p)) for p in error.problems]
    assert isinstance(error, ValidationFailed), type(error)
    return [(v.location.rpartition(":")[0], int(v.location.rpartition(":")[2] or 0), str(v)) for v in error.report.violations]


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda c: c.__name__)
@settings(max_examples=5)
@given(records=record_sets(), data=st.data())
def test_every_corrupted_set_is_refused_naming_the_record(corrupt, records, data):
    corrupted = corrupt(data.draw, records)
    with tempfile.TemporaryDirectory() as root:
        folder, where = write_data(Path(root), corrupted.records)
        with pytest.raises(KzelectError) as raised:
            assemble(folder)
    message = str(raised.value)
    assert corrupted.expect in message, message
    targets = [(corrupted.records[i], where[i]) for i in corrupted.targets]
    for file, line, text in located(raised.value):
        assert any(file.endswith(f"records/{r.file}.yaml") and line in lines and r.id in text and f"{file}:{line}" in message
                   for r, lines in targets), (text, [(r.id, r.file, lines) for r, lines in targets])


# Regressions: faults found while writing these tests (the last by the generators).

def test_a_source_without_its_file_is_reported(base_data):
    records = base_data / "records" / "base.yaml"
    records.write_text(records.read_text(encoding="utf-8").replace("  file: 000_bf492962529f05ca.txt\n", ""), encoding="utf-8")
    with pytest.raises(DataError, match=r"base.yaml:2: source/rferl-2007: required field 'file' is missing"):
        load_data(base_data)


def test_a_line_separator_in_a_label_round_trips_through_trig(tmp_path):
    from conftest import data_with_label

    built = assemble(data_with_label(tmp_path, "Nur\u2028Otan"))
    trig = export.render(built.quads)[export.TRIG]
    parsed = Dataset().parse(data=trig.decode("utf-8"), format="trig")
    assert Literal("Nur\u2028Otan", lang="en") in {o for _, _, o, _ in parsed.quads((None, None, None, None))}
