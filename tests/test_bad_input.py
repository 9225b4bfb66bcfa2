"""Every kind of bad data input is rejected with the file, the line and the fix; all at once."""

from __future__ import annotations

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
    with pytest.raises(DataError, match=r"evil.yaml:2: YAML syntax error: could not determine a constructor"):
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
