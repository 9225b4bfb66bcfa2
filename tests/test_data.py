"""Checks of the curated data itself, one record at a time, with messages that say what to fix."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from kzelect.data import load_data
from kzelect.schema import KINDS

DATA = load_data()
RECORDS = DATA.records
BY_ID = DATA.by_id()
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
         "ten": 10, "ninety-eight": 98}


def hedges() -> dict[str, list[str]]:
    """qualifier id -> the words that express it (its labels), 'rounded' excepted."""
    out = {}
    for record in RECORDS:
        if record.kind.name == "qualifier" and record.id != "qualifier/rounded":
            out[record.id] = [record.get("label")] + record.get("altLabels", [])
    return out


HEDGES = hedges()


def numbers_in(text: str) -> set[Decimal]:
    found = set()
    for match in re.finditer(r"(\d[\d,]*(?:\.\d+)?)(\s+million)?", text):
        number = Decimal(match.group(1).replace(",", ""))
        found.add(number * 1_000_000 if match.group(2) else number)
    for word, number in WORDS.items():
        if re.search(rf"\b{word}\b", text, re.IGNORECASE):
            found.add(Decimal(number))
    return found


def stated(record):
    """(value, qualifier, words) of a figure-like record, or None."""
    if record.kind.name == "result" and "share" in record.values:
        return record.get("share"), record.get("shareQualifier"), record.get("shareStatedAs")
    if record.kind.name in ("figure", "claim") and "value" in record.values:
        return record.get("value"), record.get("qualifier"), record.get("statedAs") or record.get("statement")
    return None


FIGURES = [r for r in RECORDS if stated(r) is not None]


def test_the_data_is_rich_enough_to_matter():
    kinds = {r.kind.name for r in RECORDS}
    for kind in ("election", "party", "person", "mission", "assessment", "result", "figure", "event", "claim",
                 "membership", "stance-attribution", "disagreement", "rule"):
        assert kind in kinds, f"no {kind} records"


@pytest.mark.parametrize("record", [r for r in RECORDS if r.kind.cited], ids=lambda r: r.id)
def test_every_fact_cites_a_source(record):
    assert record.cites, f"{record.file}:{record.line}: {record.id} cites no source"


@pytest.mark.parametrize("record", FIGURES, ids=lambda r: r.id)
def test_figures_keep_their_words_and_hedges(record):
    value, qualifier, words = stated(record)
    where = f"{record.file}:{record.line}: {record.id}"
    assert words, f"{where}: give the figure in the source's words (statedAs / shareStatedAs)"
    lowered = words.casefold()
    if qualifier in HEDGES:
        assert any(h.casefold() in lowered for h in HEDGES[qualifier]), \
            f"{where}: qualifier {qualifier} but '{words}' has none of {HEDGES[qualifier]}"
    if qualifier is None:
        for hedge, labels in HEDGES.items():
            for label in labels:
                assert not re.search(rf"\b{re.escape(label.casefold())}\b", lowered), \
                    f"{where}: '{words}' says '{label}': add qualifier: {hedge}"
    assert value in numbers_in(words), f"{where}: value {value} is not the number in '{words}'"


@pytest.mark.parametrize("record", [r for r in RECORDS if r.kind.name == "result" and "votes" in r.values],
                         ids=lambda r: r.id)
def test_vote_counts_are_in_the_quote(record):
    votes = f"{record.get('votes'):,}"
    assert any(votes in c.quote for c in record.cites), f"{record.file}:{record.line}: {votes} not in a quote"


@pytest.mark.parametrize("record", [r for r in RECORDS if r.kind.name == "disagreement"], ids=lambda r: r.id)
def test_disagreements_set_claims_side_by_side(record):
    claims = record.get("claims")
    assert len(claims) >= 2, f"{record.file}:{record.line}: a disagreement needs two claims"
    if record.get("preferred"):
        assert record.get("preferred") in claims
        assert record.get("reason"), f"{record.file}:{record.line}: say why the preferred claim is preferred"


def test_participant_claims_are_never_results():
    for record in RECORDS:
        if record.kind.name == "claim":
            assert not record.id.startswith(("result/", "figure/"))
    claimants = {r.get("claimant") for r in RECORDS if r.kind.name == "claim"}
    assert "party/ak-zhol" in claimants or "person/burikhan-nurmukhamedov" in claimants


def test_similar_names_are_not_merged():
    assert "party/communist-party" in BY_ID["party/cppk"].get("distinctFrom")
    assert BY_ID["organization/osce-pa"] is not BY_ID["organization/pace"]
    labels = {}
    for record in RECORDS:
        if record.kind.concept:
            continue
        for label in [record.get("label")] + record.get("altLabels", []):
            labels.setdefault(label.casefold(), set()).add(record.id)
    clashes = {label: ids for label, ids in labels.items() if len(ids) > 1 and not label.startswith(("20",))}
    allowed = {"kazakhstan", "assembly"}
    assert {k for k in clashes if k not in allowed} == set(), clashes


def test_every_kind_is_documented():
    for kind in KINDS.values():
        assert kind.doc
        for field in kind.fields:
            assert field.doc, f"{kind.name}.{field.name} has no doc"
