"""Result tables (data/tables/*.csv): each row becomes facts cited to the row (an RFC 7111 fragment of the
table), and every fault of a table is an error naming the file, the line and the column, all at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import DCTERMS, PROV, RDF

from conftest import FIXTURES, make_data_dir
from kzelect.build import assemble, locations
from kzelect.data import load_data
from kzelect.errors import DataError
from kzelect.graph import GRAPH_BASE
from kzelect.namespaces import ID, KZE, OA, SCHEMA
from kzelect.rows import RFC7111

TABLE = "cec-2007-stations.csv"
HEADER = "unit,label,type,within,registered,ballots,party/nur-otan,party/ak-zhol,reference\n"
COUNTRY = "place/kazakhstan,,,,1000,800,700,80,\n"


def table_data(root: Path, csv: str | bytes | None = None) -> Path:
    """The base fixture, the table records of tests/fixtures/tables and a CSV (default: the fixture's)."""
    data = make_data_dir(root)
    shutil.copy(FIXTURES / "tables" / "records" / "tables.yaml", data / "records")
    (data / "tables").mkdir()
    if csv is None:
        shutil.copy(FIXTURES / "tables" / "tables" / TABLE, data / "tables" / TABLE)
    else:
        (data / "tables" / TABLE).write_bytes(csv if isinstance(csv, bytes) else csv.encode("utf-8"))
    return data


def problems_of(data: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_data(data)
    return [str(p) for p in caught.value.problems]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture table built and validated (assemble raises unless the graph conforms)."""
    return assemble(table_data(tmp_path_factory.mktemp("tables")))


def test_a_small_table_builds_and_conforms(built):
    assert built.report.conforms, built.report.text()
    table = built.data.tables[0]
    assert [row.unit for row in table.rows] == ["place/kazakhstan", "place/akmola", "place/akmola-d1", "place/ps-1", "place/ps-2"]
    subject = ID["table/cec-2007-stations"]
    assert built.graph.value(subject, KZE.rowCount) == Literal(5)
    assert str(built.graph.value(subject, KZE.sha256)) == table.sha256
    assert built.graph.value(subject, PROV.wasDerivedFrom) == ID["document/cec-2007-protocols"]


def test_every_fact_of_a_row_cites_the_row_by_its_rfc7111_fragment(built):
    graph, table = built.graph, built.data.tables[0]
    for row in table.rows:
        unit = row.unit.split("/", 1)[1]
        citation = ID[f"row/cec-2007-stations--{unit}"]
        report = ID[f"report/cec-2007-stations--{unit}"]
        results = [ID[f"result/cec-2007-stations--{unit}--{party.split('/')[1]}"]
                   for party, votes in zip(table.parties, row.votes, strict=True) if votes is not None]
        facts = {report, *results} | ({ID[row.unit]} if row.defines else set())
        assert set(graph.objects(citation, OA.hasBody)) == facts, row
        for fact in facts:
            assert (fact, KZE.citation, citation) in graph
            assert (fact, PROV.wasDerivedFrom, ID["table/cec-2007-stations"]) in graph
        assert graph.value(report, KZE.reportingUnit) == ID[row.unit]
        assert graph.value(report, KZE.ballotsCast) == Literal(row.ballots)
        target = graph.value(citation, OA.hasTarget)
        assert graph.value(target, OA.hasSource) == ID["table/cec-2007-stations"]
        selector = graph.value(target, OA.hasSelector)
        assert (selector, RDF.type, OA.FragmentSelector) in graph
        assert graph.value(selector, DCTERMS.conformsTo) == RFC7111
        assert graph.value(selector, RDF.value) == Literal(f"row={row.line}")  # one line per record: row N is line N
        assert graph.value(selector, KZE.sourceReference) == (Literal(row.reference) if row.reference else None)
    assert (ID["result/cec-2007-stations--ps-2--ak-zhol"], None, None) not in graph  # an empty cell states nothing


def test_a_row_defines_its_unit_and_a_place_record_stays_as_it_is(built):
    graph = built.graph
    assert graph.value(ID["place/ps-1"], KZE.placeType) == ID["place-type/polling-station"]
    assert graph.value(ID["place/ps-1"], RDF.type) == KZE.Place
    assert graph.value(ID["place/ps-1"], SCHEMA.containedInPlace) == ID["place/akmola-d1"]
    assert (ID["place/kazakhstan"], KZE.citation, ID["row/cec-2007-stations--kazakhstan"]) not in graph


def test_the_rows_are_the_tables_named_graph(built):
    graph = built.dataset.graph(GRAPH_BASE + "cec-2007-stations")
    assert (ID["report/cec-2007-stations--ps-1"], KZE.ballotsCast, Literal(500)) in graph
    assert (ID["table/cec-2007-stations"], None, None) not in graph  # the table record is in its records file's graph


def test_a_violation_in_a_row_is_located_at_its_line(built):
    where = locations(built.data)
    assert where.get(str(ID["result/cec-2007-stations--ps-1--nur-otan"])).endswith(f"{TABLE}:5")
    assert where.get(str(ID["row/cec-2007-stations--ps-2"]) + "#selector").endswith(f"{TABLE}:6")
    assert where.get(str(ID["place/akmola"])).endswith(f"{TABLE}:3")


BAD_TABLES = {
    "ragged-row": (HEADER + COUNTRY + "place/akmola,Akmola,place-type/region,place/kazakhstan,10,9\n",
                   3, None, "the row has 6 cells, but the header has 9 columns"),
    "empty-line": (HEADER + COUNTRY + "\n" + "place/akmola,Akmola,place-type/region,place/kazakhstan,10,9,8,,\n",
                   3, None, "an empty line: a table has no empty rows"),
    "unknown-party-column": (HEADER.replace("party/ak-zhol", "party/ak-zhl") + COUNTRY,
                             1, "column 8 'party/ak-zhl'", "unknown party 'party/ak-zhl'. Fix: did you mean 'party/ak-zhol'?"),
    "unknown-column": (HEADER.replace("ballots", "turnout") + COUNTRY, 1, "column 6 'turnout'", "unknown column"),
    "count-with-separator": (HEADER + 'place/kazakhstan,,,,"1,000",800,700,80,\n', 2, "column 5 'registered'",
                             "'1,000' is not a whole number"),
    "count-not-a-number": (HEADER + "place/kazakhstan,,,,1000,800,7OO,80,\n", 2, "column 7 'party/nur-otan'",
                           "'7OO' is not a whole number"),
    "negative-count": (HEADER + "place/kazakhstan,,,,1000,-800,700,80,\n", 2, "column 6 'ballots'", "'-800' is negative"),
    "repeated-unit": (HEADER + COUNTRY + COUNTRY, 3, "column 1 'unit'", "place/kazakhstan is repeated (first at line 2)"),
    "double-hyphen-in-unit": (HEADER + COUNTRY + "place/ps--1,PS 1,place-type/polling-station,place/kazakhstan,1,1,1,,\n",
                              3, "column 1 'unit'", "a unit's slug may not contain '--'"),
    "unit-not-a-place": (HEADER + "party/nur-otan,,,,1,1,1,,\n", 2, "column 1 'unit'", "'party/nur-otan' is not a place id"),
    "new-unit-without-type": (HEADER + "place/ps-9,PS 9,,place/kazakhstan,1,1,1,,\n", 2, "column 1 'unit'", "its type is missing"),
    "unknown-place-type": (HEADER + "place/ps-9,PS 9,place-type/station,place/kazakhstan,1,1,1,,\n", 2, "column 3 'type'",
                           "unknown place type 'place-type/station'"),
    "within-unknown-place": (HEADER + "place/ps-9,PS 9,place-type/region,place/atlantis,1,1,1,,\n", 2, None,
                             "place/ps-9 lies within 'place/atlantis', which is no place record and no unit of a table"),
    "disagrees-with-place-record": (HEADER + "place/kazakhstan,Qazaqstan,,,1,1,1,,\n", 2, "column 2 'label'",
                                    "place/kazakhstan is the place record at"),
    "empty-file": (b"", 1, None, "the table is empty"),
    "latin-1": (HEADER.encode() + COUNTRY.encode() + "place/ps-1,\u00c9cole 5,place-type/region,place/kazakhstan,1,1,1,,\n"
                .encode("latin-1"), 3, None, "not UTF-8: byte 0xc9 cannot be decoded"),
    "unclosed-quote": (HEADER + COUNTRY + 'place/akmola,"Akmola,,,1,1,1,,\nplace/x,,,,1,1,1,,\n', 3, None,
                       "CSV syntax error in the row that starts here: unexpected end of data"),
}


@pytest.mark.parametrize("name", sorted(BAD_TABLES))
def test_a_bad_table_is_an_error_naming_file_line_and_column(tmp_path, name):
    csv, line, column, message = BAD_TABLES[name]
    problems = problems_of(table_data(tmp_path, csv))
    located = [p for p in problems if f"{TABLE}:{line}: " in p]
    assert located, f"no problem at line {line}: {problems}"
    assert any(message in p and (column is None or column in p) for p in located), located


def test_every_problem_of_every_table_and_record_is_reported_at_once(tmp_path):
    csv = HEADER + "place/kazakhstan,,,,x,800,700,80,\nplace/akmola,Akmola\n" + COUNTRY
    data = table_data(tmp_path, csv)
    (data / "records" / "base.yaml").write_text((data / "records" / "base.yaml").read_text().replace(
        "  language: en\n", "  language: en\n  colour: red\n"), encoding="utf-8")
    problems = problems_of(data)
    assert any(f"{TABLE}:2: column 5 'registered'" in p for p in problems)
    assert any(f"{TABLE}:3: the row has 2 cells" in p for p in problems)
    assert any(f"{TABLE}:4: column 1 'unit': place/kazakhstan is repeated" in p for p in problems)
    assert any("base.yaml" in p and "unknown field 'colour'" in p for p in problems)


def test_a_unit_defined_differently_in_two_tables_names_both_places(tmp_path):
    data = table_data(tmp_path)
    records = data / "records" / "tables.yaml"
    records.write_text(records.read_text() + "- id: table/cec-2007-regions\n  label: Results by region\n"
                       "  document: document/cec-2007-protocols\n  election: election/mazhilis-2007\n"
                       "  file: cec-2007-regions.csv\n", encoding="utf-8")
    (data / "tables" / "cec-2007-regions.csv").write_text(
        "unit,label,type,within,ballots\nplace/akmola,Aqmola Region,place-type/region,place/kazakhstan,800\n", encoding="utf-8")
    problems = problems_of(data)
    assert any("column 1 'unit': place/akmola is defined differently at " in p and "cec-2007-regions.csv:2" in p
               and f"{TABLE}:3" in p and "'Akmola Region'" in p and "'Aqmola Region'" in p for p in problems), problems


def test_a_table_slug_with_a_double_hyphen_and_a_stray_csv_are_refused(tmp_path):
    data = table_data(tmp_path)
    records = data / "records" / "tables.yaml"
    records.write_text(records.read_text().replace("table/cec-2007-stations", "table/cec--2007"), encoding="utf-8")
    (data / "tables" / "notes.csv").write_text("unit\n", encoding="utf-8")
    problems = problems_of(data)
    assert any("tables.yaml:" in p and "table/cec--2007: a table's slug may not contain '--'" in p for p in problems)
    assert any("notes.csv:1: this CSV is the file of no table record" in p for p in problems)


def test_a_table_file_may_not_take_a_records_files_graph(tmp_path):
    data = table_data(tmp_path)
    (data / "tables" / TABLE).rename(data / "tables" / "base.csv")
    records = data / "records" / "tables.yaml"
    records.write_text(records.read_text().replace(f"file: {TABLE}", "file: base.csv"), encoding="utf-8")
    assert any("the graph id/graph/base of base.csv is already that of" in p for p in problems_of(data))
