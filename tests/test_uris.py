"""Published URIs never disappear: a test fails unless a deprecation record points to the replacement."""

from __future__ import annotations

from click.testing import CliRunner
from rdflib import URIRef
from rdflib.namespace import DCTERMS, OWL

from kzelect.cli import main
from kzelect.data import load_data
from kzelect.graph import build_graph
from kzelect.namespaces import ID
from kzelect.store import open_store
from kzelect.uris import check_published, write_published


def test_every_published_uri_is_listed_and_none_disappeared():
    report = check_published()
    assert report.ok, report.text()


def test_a_removed_record_is_reported_until_deprecated(base_data):
    write_published(base_data)
    assert check_published(base_data).ok
    records = base_data / "records" / "base.yaml"
    text = records.read_text(encoding="utf-8")
    start = text.index("- id: party/nur-otan")
    end = text.index("- id: place-type/country")
    records.write_text(text[:start] + text[end:], encoding="utf-8")
    report = check_published(base_data)
    assert str(ID["party/nur-otan"]) in report.missing
    assert "deprecation" in report.text()
    gone_quotes = [u.removeprefix(str(ID)) for u in report.missing if "/quote/" in u]
    assert len(gone_quotes) == 1  # the removed record's citation
    (base_data / "deprecated.yaml").write_text(
        "- id: party/nur-otan\n  replacedBy: organization/rferl\n  note: test\n"
        f"- id: {gone_quotes[0]}\n  replacedBy: source/rferl-2007\n", encoding="utf-8")
    report = check_published(base_data)
    assert not report.missing and not report.dangling
    assert report.new == [str(ID["graph/deprecated"])]
    graph = build_graph(load_data(base_data))
    old = URIRef(ID["party/nur-otan"])
    assert (old, OWL.deprecated, None) in graph
    assert graph.value(old, DCTERMS.isReplacedBy) == URIRef(ID["organization/rferl"])


def test_new_uris_must_be_added_to_the_list(base_data):
    report = check_published(base_data)
    assert not report.ok and report.new
    assert "kzelect uris --write" in report.text()


def test_the_build_fails_while_a_published_uri_is_gone_and_succeeds_once_retired(base_data, tmp_path):
    """Issue 6, item 28: the build itself enforces the contract (new URIs are fine; gone ones are not)."""
    write_published(base_data)
    records = base_data / "records" / "base.yaml"
    text = records.read_text(encoding="utf-8")
    records.write_text(text.replace("- id: party/nur-otan", "- id: party/nur-otan-renamed"), encoding="utf-8")
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--data", str(base_data), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "disappeared without a deprecation record" in result.output and f"  {ID['party/nur-otan']}\n" in result.output
    assert not out.exists()
    (base_data / "deprecated.yaml").write_text("- id: party/nur-otan\n  replacedBy: party/nur-otan-renamed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--data", str(base_data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    replaced = list(open_store(out).quads_for_pattern(None, None, None))
    assert any(q.subject.value == str(ID["party/nur-otan"]) and q.object.value == str(ID["party/nur-otan-renamed"]) for q in replaced)
