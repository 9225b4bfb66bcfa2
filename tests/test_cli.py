"""The command line: exit codes 0 / 1 / 2, readable reports, data file and line for violations."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from conftest import FIXTURES
from kzelect.cli import main

SHAPE_FIXTURES = FIXTURES / "shapes"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_validate_the_project_data_conforms():
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert "Conforms" in result.output


def test_validate_rdf_files_that_conform():
    result = run("validate", SHAPE_FIXTURES / "base.ttl")
    assert result.exit_code == 0, result.output


def test_validate_rdf_files_with_violations_exits_1_with_labels_and_messages():
    bad = SHAPE_FIXTURES / "invalid" / "assessment-by-a-place.ttl"
    result = run("validate", SHAPE_FIXTURES / "base.ttl", bad)
    assert result.exit_code == 1, result.output
    assert "Does not conform" in result.output and "kze:assessedBy" in result.output


def test_validate_unreadable_file_exits_2(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    result = run("validate", broken)
    assert result.exit_code == 2
    assert "broken.ttl" in result.output and "Traceback" not in result.output


def test_validate_refuses_a_remote_jsonld_context(tmp_path):
    remote = tmp_path / "remote.jsonld"
    remote.write_text(json.dumps({"@context": "https://schema.org/", "@id": "http://x/a", "name": "b"}))
    result = run("validate", remote)
    assert result.exit_code == 2
    assert "remote JSON-LD context" in result.output


def test_a_violation_in_the_data_is_located_and_nothing_is_written(base_data, tmp_path):
    (base_data / "records" / "bad.yaml").write_text(
        "- id: report/r\n  label: r\n  election: election/mazhilis-2007\n"
        "  cites: [{source: source/rferl-2007, quote: \"Preliminary results show\"}]\n"
        "- id: result/r-nur-otan\n  label: Nur Otan\n  report: report/r\n  party: party/nur-otan\n  share: 188\n"
        "  cites: [{source: source/rferl-2007, quote: \"Nur Otan party has won 88 percent of the vote\"}]\n",
        encoding="utf-8")
    out = tmp_path / "out"
    result = run("build", "--data", base_data, "--out", out)
    assert result.exit_code == 1, result.output
    assert "data/records/bad.yaml:5" in result.output and "kze:voteShare" in result.output
    assert not out.exists()
    assert run("validate", "--data", base_data).exit_code == 1


def test_check_reports_counts():
    result = run("check")
    assert result.exit_code == 0 and result.output.startswith("ok:")


def test_unknown_option_exits_2():
    assert run("build", "--nope").exit_code == 2


def test_help_lists_every_command():
    result = run("--help")
    for command in ("build", "validate", "check", "uris", "docs"):
        assert command in result.output


def test_base_fixture_copy_is_independent(base_data):
    shutil.rmtree(base_data / "records")
    assert run("check", "--data", base_data).exit_code == 2
