"""kzelect synth: synthetic elections in the input format, byte-stable for a seed, consistent, marked synthetic
everywhere, never mixed with real data, and broken variants reported exactly as announced."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import make_data_dir
from kzelect.build import assemble
from kzelect.cli import main
from kzelect.data import load_data
from kzelect.errors import DataError
from kzelect.graph import DATASET
from kzelect.namespaces import KZE
from kzelect.synth import BROKEN, FAULTS, synth

SMALL = {"elections": 2, "stations": 4, "parties": 2}  # pyshacl runs a query per result per rule: keep it small


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def table_rows(folder: Path) -> list[list[dict]]:
    return [list(csv.DictReader(path.open(encoding="utf-8"))) for path in sorted((folder / "tables").glob("*.csv"))]


def test_the_same_seed_gives_the_same_bytes(tmp_path):
    first, second, other = (synth(tmp_path / name, 2, 30, 4, seed=seed) for name, seed in (("a", 7), ("b", 7), ("c", 8)))
    assert files_of(first.folder) == files_of(second.folder)
    assert files_of(first.folder) != files_of(other.folder)
    assert (first.regions, first.districts, first.stations) == (2, 2, 30)


def test_totals_are_consistent_within_units_and_up_the_hierarchy(tmp_path):
    made = synth(tmp_path / "s", 2, 60, 5, seed=3)
    for rows in table_rows(made.folder):
        parties = [c for c in rows[0] if c.startswith("party/")]
        by_unit = {row["unit"]: row for row in rows}
        children: dict[str, list[dict]] = {}
        for row in rows:
            votes = sum(int(row[p]) for p in parties)
            assert votes <= int(row["ballots"]) <= int(row["registered"]), row
            if row["within"]:
                children.setdefault(row["within"], []).append(row)
        for parent, kids in children.items():
            for column in ["registered", "ballots"] + parties:
                assert int(by_unit[parent][column]) == sum(int(k[column]) for k in kids), (parent, column)
        assert sum(row["type"] == "place-type/synthetic-polling-station" for row in rows) == 60


def test_everything_is_marked_synthetic(tmp_path):
    made = synth(tmp_path / "s", **SMALL)
    data = load_data(made.folder)
    assert data.synthetic
    assert all(r.get("label").startswith("Synthetic") for r in data.records)
    assert all(r.get("synthetic") is True for r in data.records if r.kind.name in ("source", "document"))
    assert all(unit.label.startswith("Synthetic") for unit in data.units.values())
    assert all(path.read_text(encoding="utf-8").startswith("# SYNTHETIC") for path in (made.folder / "records").glob("*.yaml"))


def test_a_small_synthetic_folder_builds_and_conforms(tmp_path):
    made = synth(tmp_path / "s", **SMALL)
    assembled = assemble(made.folder)  # raises unless the graph conforms
    assert assembled.report.conforms
    graph = assembled.graph
    assert str(graph.value(DATASET, graph.namespace_manager.expand_curie("dct:title"))).startswith("SYNTHETIC")
    assert graph.value(DATASET, KZE.synthetic).toPython() is True


def test_broken_variants_are_reported_exactly(tmp_path):
    """One folder with the three variants the validation reports: each check names exactly the announced nodes."""
    kinds = ("votes-exceed-ballots", "ballots-exceed-registered", "within-cycle")
    made = synth(tmp_path / "s", **SMALL, broken=kinds)
    report = assemble(made.folder, check=False).report
    found: dict[str, list[str]] = {}
    for violation in report.violations:
        found.setdefault(violation.shape, []).append(violation.focus)
    checks = {"votes-exceed-ballots": "check:report-votes-exceed-ballots-violation",
              "ballots-exceed-registered": "check:report-ballots-exceed-registered-violation",
              "within-cycle": "check:place-within-itself-violation"}
    assert set(found) == set(checks.values()), report.text()
    for kind, check in checks.items():
        assert sorted(found[check]) == made.expected[kind], (kind, report.text())
    assert len(made.expected["votes-exceed-ballots"]) == len(made.expected["ballots-exceed-registered"]) == FAULTS
    assert len(made.expected["within-cycle"]) == 2
    assert all(v.location.endswith(tuple(f"synthetic-election-{n}.csv:{line}" for n in (1, 2) for line in range(2, 100)))
               for v in report.violations), report.text()


def test_negative_votes_are_refused_by_the_loader_at_the_announced_lines(tmp_path):
    made = synth(tmp_path / "s", **SMALL, broken=("negative-votes",))
    with pytest.raises(DataError) as caught:
        load_data(made.folder)
    located = sorted(f"{Path(p.file).parent.name}/{Path(p.file).name}:{p.line}" for p in caught.value.problems)
    assert located == sorted(made.expected["negative-votes"]) and len(located) == FAULTS
    assert all("column 7 'party/synthetic-party-1'" in p.message and "is negative" in p.message for p in caught.value.problems)


def test_every_broken_variant_is_documented_in_the_help():
    result = CliRunner().invoke(main, ["synth", "--help"])
    assert all(kind in result.output for kind in BROKEN)


@pytest.mark.parametrize("into", ["synthetic", "real"])
def test_synthetic_and_real_data_never_mix(tmp_path, into):
    if into == "synthetic":
        data = synth(tmp_path / "s", **SMALL).folder
        extra = ("- id: document/protocols\n  label: Protocols\n  title: Protocols\n"
                 "  publisher: organization/synthetic-commission\n")
    else:
        data = make_data_dir(tmp_path)
        extra = "- id: document/generated\n  label: Generated\n  title: Generated\n  publisher: organization/rferl\n  synthetic: true\n"
    (data / "records" / "extra.yaml").write_text(extra, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_data(data)
    message = str(caught.value)
    assert "is real (not marked 'synthetic: true') but" in message and "synthetic data, never both" in message
    assert ("document/protocols" in message) == (into == "synthetic") and ("document/generated" in message) == (into == "real")


def test_the_real_data_holds_nothing_synthetic():
    data = load_data()
    assert not data.synthetic
    assert not [r.id for r in data.records if "synthetic" in r.values or r.get("label").lower().startswith("synthetic")]
    assert not [u for u in data.units.values() if u.label.lower().startswith("synthetic")]


def test_the_command_writes_a_folder_and_refuses_a_used_one(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["synth", str(tmp_path / "s"), "--stations", "5", "--parties", "2",
                                  "--broken", "votes-exceed-ballots"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "broken votes-exceed-ballots: 3 known fault(s)" in result.output
    again = runner.invoke(main, ["synth", str(tmp_path / "s")])
    assert again.exit_code == 2 and "not an empty folder" in again.output


def test_synthetic_data_is_never_built_into_the_default_folder(tmp_path, monkeypatch):
    """`kzelect build --data SYNTH` without --out would replace dist/, the real graph's folder: refused, nothing written."""
    folder = tmp_path / "s"
    synth(folder, **SMALL)
    monkeypatch.chdir(tmp_path)
    refused = CliRunner().invoke(main, ["build", "--data", str(folder)])
    assert refused.exit_code == 2 and "holds synthetic data" in refused.output and "--out" in refused.output
    assert not (tmp_path / "dist").exists()
    chosen = CliRunner().invoke(main, ["build", "--data", str(folder), "--out", str(tmp_path / "synthetic-dist")])
    assert chosen.exit_code == 0, chosen.output
