"""Every kind of bad data input is rejected with the file, the line and the fix; all at once."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from kzelect.cli import main
from kzelect.data import load_data
from kzelect.errors import DataError

INVALID = sorted((FIXTURES / "data" / "invalid").glob("*.yaml"))


def expectation(path: Path) -> tuple[str, int]:
    head = path.read_text(encoding="utf-8").splitlines()[:2]
    expect = re.match(r"# expect: (.*)", head[0]).group(1)
    line = int(re.match(r"# line: (\d+)", head[1]).group(1))
    return expect, line


def test_base_fixture_is_valid(base_data):
    data = load_data(base_data)
    assert {r.id for r in data.records} >= {"party/nur-otan", "source/rferl-2007"}


@pytest.mark.parametrize("case", INVALID, ids=lambda p: p.stem)
def test_invalid_input_is_located_and_explained(base_data, case):
    shutil.copy(case, base_data / "records" / case.name)
    expect, line = expectation(case)
    with pytest.raises(DataError) as raised:
        load_data(base_data)
    messages = [str(p) for p in raised.value.problems]
    wanted = f"data/records/{case.name}:{line}:"
    assert any(m.endswith(expect) or expect in m for m in messages if wanted in m), messages


def test_all_problems_are_listed_at_once(base_data):
    for case in INVALID:
        if case.stem in ("yaml-syntax", "not-a-list"):
            continue
        shutil.copy(case, base_data / "records" / case.name)
    with pytest.raises(DataError) as raised:
        load_data(base_data)
    files = {p.file.rsplit("/", 1)[-1] for p in raised.value.problems}
    assert len(files) >= len(INVALID) - 3, files


def test_altered_source_text_fails_its_checksum(base_data):
    text = base_data / "sources" / "000_bf492962529f05ca.txt"
    text.write_bytes(text.read_bytes().replace(b"Nur Otan", b"Nur 0tan"))
    with pytest.raises(DataError, match="does not match its checksum"):
        load_data(base_data)


def test_missing_source_text(base_data):
    (base_data / "sources" / "000_bf492962529f05ca.txt").unlink()
    with pytest.raises(DataError, match=r"base.yaml:\d+: source/rferl-2007: source text .* does not exist"):
        load_data(base_data)


def test_cli_reports_problems_with_exit_code_2_and_writes_nothing(base_data, tmp_path):
    shutil.copy(INVALID[0], base_data / "records" / INVALID[0].name)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", "--data", str(base_data), "--out", str(out)])
    assert result.exit_code == 2
    assert "Fix:" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_a_yaml_tag_that_would_run_code_is_refused_and_nothing_runs(base_data, tmp_path):
    marker = tmp_path / "MARKER"
    (base_data / "records" / "evil.yaml").write_text(
        f'- id: party/ak-zhol\n  label: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"evil.yaml:2: YAML syntax error at column \d+: could not determine a constructor"):
        load_data(base_data)
    assert not marker.exists()


def test_yaml_1_1_coercions_never_happen(tmp_path):
    """NO stays text, 0123 and 0x1F are not numbers, 1.10 keeps its digits, 2023-02-30 is not a date."""
    from decimal import Decimal

    from kzelect.records import parse_file

    path = tmp_path / "values.yaml"
    path.write_text("- {a: NO, b: 1.10, c: 0123, d: 2023-02-30, e: on, f: 0x1F, g: 1_000, h: .inf, i: true, j: 2007}\n")
    problems: list = []
    (values,) = parse_file(path, problems)
    assert problems == []
    assert values == {"a": "NO", "b": "1.10", "c": "0123", "d": "2023-02-30", "e": "on", "f": "0x1F", "g": "1_000",
                      "h": ".inf", "i": True, "j": 2007}
    assert Decimal(values["b"]) == Decimal("1.10") and str(Decimal(values["b"])) == "1.10"


def _record(base_data, name: str, text: str | bytes) -> None:
    path = base_data / "records" / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def _problems(base_data) -> list[str]:
    with pytest.raises(DataError) as raised:
        load_data(base_data)
    return [str(p) for p in raised.value.problems]


def test_latin_1_bytes_are_located(base_data):
    _record(base_data, "latin.yaml", "- id: party/ak-zhol\n  label: Ak Zhol\n  note: caf\u00e9\n".encode("latin-1"))
    assert any("records/latin.yaml:3: not UTF-8: byte 0xe9" in m and "save the file as UTF-8" in m
               for m in _problems(base_data))


@pytest.mark.parametrize("text", ["", "# only a comment\n# and another\n", "\n\n"])
def test_an_empty_file_is_reported(base_data, text):
    _record(base_data, "empty.yaml", text)
    assert any("records/empty.yaml:1: the file holds no records" in m for m in _problems(base_data))


@pytest.mark.parametrize("label, code", [("Nur\x00Otan", "U+0000"), ("Nur \u202eOtan", "U+202E"), ("Nur\x1bOtan", "U+001B"),
                                         ("Nur \u2066Otan", "U+2066")])
def test_control_characters_are_refused(base_data, label, code):
    _record(base_data, "control.yaml", f"- id: party/ak-zhol\n  label: {json.dumps(label)}\n"
                                       "  cites: [{source: source/rferl-2007, quote: \"Kazakhstan's ruling Nur Otan party\"}]\n")
    assert any("control.yaml:2:" in m and f"without control characters (found {code}" in m for m in _problems(base_data))


def test_markup_and_zero_width_characters_are_kept_as_text(base_data):
    label = "<b>Ak</b> Zhol\u200d </script>"
    _record(base_data, "markup.yaml", f"- id: party/ak-zhol\n  label: {json.dumps(label)}\n"
                                      "  cites: [{source: source/rferl-2007, quote: \"Kazakhstan's ruling Nur Otan party\"}]\n")
    data = load_data(base_data)
    assert next(r for r in data.records if r.id == "party/ak-zhol").values["label"] == label


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://example.org/a b", "https://example.org/a>b",
                                 'https://example.org/"x', "file:///etc/passwd", "https://example.org/\nx"])
def test_a_link_field_takes_only_a_plain_http_url(base_data, url):
    source = (base_data / "records" / "base.yaml").read_text(encoding="utf-8")
    assert source.count("  language: en\n") == 1
    (base_data / "records" / "base.yaml").write_text(source.replace("  language: en\n", f"  language: en\n  url: {json.dumps(url)}\n"),
                                                    encoding="utf-8")
    assert any("'url' must be an http(s) URL" in m for m in _problems(base_data))


@pytest.mark.parametrize("record_id", ["party/Nur-Otan", "Party/nur-otan", "party/nur\u2010otan", "party/nur-ota\u0301n"])
def test_ids_are_plain_lowercase_ascii_so_case_or_normalisation_cannot_collide(base_data, record_id):
    _record(base_data, "ids.yaml", f"- id: {json.dumps(record_id)}\n  label: x\n")
    assert any("ids.yaml:1:" in m for m in _problems(base_data))


@pytest.mark.parametrize("name, text, expected", [
    ("tab.yaml", "- id: party/ak-zhol\n\tlabel: x\n", "tab.yaml:2: YAML syntax error at column 1: found character '\\t'"),
    ("quote.yaml", '- id: party/ak-zhol\n  label: "unclosed\n', "quote.yaml:3: YAML syntax error at column 1: found unexpected end "
                                                                   "of stream (while scanning a quoted scalar at line 2)"),
])
def test_a_syntax_error_names_line_and_column(base_data, name, text, expected):
    _record(base_data, name, text)
    messages = _problems(base_data)
    assert any(expected in m for m in messages), messages
    if name == "tab.yaml":
        assert any("indent with spaces" in m for m in messages)


@pytest.mark.parametrize("start, end, refused", [
    ("2011-12-16", "2011-12-15", True), ("2011-12-16", "2011-11", True), ("2011-12", "2010", True), ("2012", "2011-12-31", True),
    ("2011-12-16", "2011-12-16", False), ("2011-12-16", "2011-12", False), ("2011-12-16", "2011", False), ("2011", "2011-01-01", False),
])
def test_an_end_date_before_its_start_is_refused(base_data, start, end, refused):
    """The end precedes the start only if every day the end may mean precedes every day the start may mean."""
    _record(base_data, "events.yaml", "- id: event-type/unrest\n  label: unrest\n  definition: Unrest.\n"
                                      f"- id: event/strike\n  label: strike\n  eventType: event-type/unrest\n  date: {start}\n"
                                      f"  endDate: {end}\n  cites: [{{source: source/rferl-2007, quote: \"Nur Otan\"}}]\n")
    if not refused:
        assert "event/strike" in {r.id for r in load_data(base_data).records}
        return
    expected = f"events.yaml:8: event/strike: 'endDate' {end} is before 'date' {start} (every day of {end} precedes every day of {start})"
    assert any(expected in m for m in _problems(base_data)), _problems(base_data)


@pytest.mark.parametrize("date", ["2011-00", "2011-00-16", "2011-12-00", "0000", "2011-02-29", "2011-04-31"])
def test_a_date_that_does_not_exist_is_located(base_data, date):
    """Regression: month 00 and day 00 were read as absent, so 2011-00-16 passed the loader as a date."""
    path = base_data / "records" / "base.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = lines.index("  date: 2007-08-18\n") + 1
    lines[line - 1] = f"  date: {date}\n"
    path.write_text("".join(lines), encoding="utf-8")
    expected = f"base.yaml:{line}: election/mazhilis-2007: 'date' must be a date YYYY-MM-DD, YYYY-MM or YYYY that exists"
    assert any(expected in m for m in _problems(base_data)), _problems(base_data)


@pytest.mark.parametrize("share", ["1_000", "\u0661\u0662", "1e3", "NaN", "12%", "1,5", "Infinity"])
def test_a_decimal_is_written_with_ascii_digits_and_a_point(base_data, share):
    """Python's Decimal would take 1_000, Arabic-Indic digits and exponents; the data format does not."""
    _record(base_data, "results.yaml", "- id: report/r\n  label: r\n  election: election/mazhilis-2007\n"
                                       "  cites: [{source: source/rferl-2007, quote: \"Nur Otan\"}]\n"
                                       "- id: result/r\n  label: r\n  report: report/r\n  party: party/nur-otan\n"
                                       f"  share: {json.dumps(share)}\n  cites: [{{source: source/rferl-2007, quote: \"Nur Otan\"}}]\n")
    messages = _problems(base_data)
    assert any("results.yaml:9: result/r: 'share' must be a number written with ASCII digits" in m for m in messages), messages


@pytest.mark.parametrize("name", ["dataset", "deprecated"])
def test_a_data_file_may_not_take_the_name_of_a_built_in_graph(base_data, name):
    """records/dataset.yaml would have been merged into (and replaced by) the graph's own description."""
    (base_data / "records" / "base.yaml").rename(base_data / "records" / f"{name}.yaml")
    assert any(f"{name}.yaml:1: the file name '{name}' is reserved" in m for m in _problems(base_data)), _problems(base_data)
