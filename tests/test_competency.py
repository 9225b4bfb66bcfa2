"""Competency questions: each shipped query, answered from the graph, checked against the articles."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kzelect.data import load_data
from kzelect.graph import build_graph
from kzelect.queries import named_queries

QUERIES = named_queries()
TESTED: set[str] = set()
RFERL_2007 = "Ruling Party Sweeps Kazakh Parliamentary Polls"
EMBASSY = "Elections to a new, party-based Parliament in Kazakhstan provide landslide victory for “Nur Otan”"
RFERL_2012 = "OSCE Monitors Criticize Kazakh Vote Failings"
ALJAZEERA = "Ruling party wins ‘flawed’ Kazakh vote"
MOSCOW_TIMES = "3 Parties Win Seats in Kazakh Parliament"
E2007, E2012 = "2007 Mazhilis election", "2012 Mazhilis election"


@pytest.fixture(scope="module")
def graph():
    return build_graph(load_data())


def ask(graph, name):
    TESTED.add(name)
    return QUERIES[name].run(graph)


def test_which_parties_passed_the_threshold(graph):
    rows = ask(graph, "parties-passing-threshold")
    passed = {(r["election"], r["party"]) for r in rows}
    assert passed == {(E2007, "Nur Otan"), (E2012, "Nur Otan"), (E2012, "Ak Zhol"),
                      (E2012, "Communist People's Party of Kazakhstan")}
    # the 2007 pass is stated by the Embassy ("could be the only party to have passed"), not by RFE/RL
    assert {r["source"] for r in rows if r["election"] == E2007} == {EMBASSY}
    assert {r["source"] for r in rows if r["party"] == "Ak Zhol"} == {RFERL_2012, ALJAZEERA, MOSCOW_TIMES}


def test_what_each_observer_mission_said_and_who_said_it(graph):
    rows = ask(graph, "observer-verdicts")
    said = {(r["election"], r.get("speaker"), r["verdict"], r["statement"]) for r in rows}
    assert (E2012, None, "negative", "did not meet fundamental principles of democratic elections") in said
    assert (E2012, "Miklos Haraszti", "negative", "did not meet fundamental principles of democratic elections") in said
    assert any(s == "Joao Soares" and "blocked from running" in t for _, s, _, t in said)
    assert any(s == "Consiglio Di Nino" and "move Kazakhstan forward" in t for _, s, _, t in said)
    assert any(s == "Lubomir Kopaj" and "one political party in Parliament" in t for _, s, _, t in said)
    cis = [r for r in rows if r["by"].startswith("CIS observers")]
    assert [(r["verdict"], r["statement"]) for r in cis] == [("positive", "free and transparent")]
    soares = [r for r in rows if r.get("speaker") == "Joao Soares"]
    assert {r.get("date") for r in soares} >= {"2012-01-16"}


def test_where_sources_disagree_and_what_each_says(graph):
    rows = ask(graph, "disagreements")
    by_topic: dict[str, dict[str, str]] = {}
    for row in rows:
        by_topic.setdefault(row["disagreement"], {})[row["source"]] = row["stated"]
    nur_otan_2007 = next(v for k, v in by_topic.items() if "Nur Otan" in k and "2007" in k)
    assert nur_otan_2007 == {RFERL_2007: "88 percent", EMBASSY: "88.05 per cent"}
    ak_zhol_2007 = next(v for k, v in by_topic.items() if "Ak Zhol" in k and "2007" in k)
    assert ak_zhol_2007 == {RFERL_2007: "about 3.25 percent", EMBASSY: "3.27 per cent"}
    voters = next(v for k, v in by_topic.items() if "Registered voters" in k)
    assert set(voters) == {ALJAZEERA, MOSCOW_TIMES}
    deaths = next(v for k, v in by_topic.items() if "Zhanaozen" in k)
    assert deaths == {ALJAZEERA: "16 deaths", MOSCOW_TIMES: "at least 16 people"}
    preferred = {(r["disagreement"], r["source"]) for r in rows if r["preferred"] == "yes"}
    assert any("2007" in d and s == EMBASSY for d, s in preferred)
    assert not any("Zhanaozen" in d for d, _ in preferred)  # compatible figures: none preferred


def test_which_parties_were_barred_or_suspended_and_why(graph):
    rows = ask(graph, "parties-barred-or-suspended")
    facts = {(r["affected"], r["what"], r.get("reason")) for r in rows}
    assert ("Communist Party", "suspension", "for trying to form a bloc with an unregistered group") in facts
    assert ("Rukhaniyat", "barring", "facing vague charges") in facts
    assert ("Alga", "registration denied", None) in facts
    assert ("Bolat Abilov", "candidate removal", "for an incomplete asset declaration") in facts
    assert "Communist People's Party of Kazakhstan" not in {a for a, _, _ in facts}


def test_what_happened_in_zhanaozen_and_when(graph):
    rows = ask(graph, "zhanaozen")
    unrest = [r for r in rows if r["type"] == "unrest"]
    assert {r.get("date") for r in unrest} == {"2011-12-16"}
    assert {r["source"] for r in unrest} == {RFERL_2012, ALJAZEERA, MOSCOW_TIMES}
    types = {r["type"] for r in rows}
    assert {"unrest", "strike", "state of emergency", "court or council decision"} <= types


def test_election_figures_keep_their_hedges(graph):
    rows = ask(graph, "election-figures")
    turnout = {(r["election"], r.get("place"), r["stated"], r.get("qualifier")) for r in rows if r["measure"] == "turnout"}
    assert (E2007, "Kazakhstan", "just under 65 percent", "just under") in turnout
    assert (E2012, None, "75 percent", None) in turnout
    assert (E2012, "Almaty", "voter turnout of 41 percent", None) in turnout
    contesting = {(r["election"], Decimal(r["value"])) for r in rows if r["measure"] == "parties contesting"}
    assert contesting == {(E2007, 7), (E2012, 7)}


def test_seats_elected_and_appointed_add_up(graph):
    rows = ask(graph, "election-figures")
    seats = {(r["election"], r["measure"], Decimal(r["value"])) for r in rows if "seats" in r["measure"]}
    assert (E2012, "total seats", 107) in seats and (E2012, "seats filled by the vote", 98) in seats
    assert (E2012, "appointed seats", 9) in seats and (E2007, "appointed seats", 9) in seats
    assert (E2007, "total seats", 107) in seats


def test_vote_counts_of_2007(graph):
    rows = ask(graph, "vote-counts-2007")
    votes = {r["party"]: int(r["votes"]) for r in rows}
    assert votes == {"Nur Otan": 5174169, "Nationwide Social Democratic Party": 271525, "Party of Patriots": 44175,
                     "Ak Zhol": 192155, "Communist People's Party of Kazakhstan": 77274, "Auyl": 93023,
                     "Rukhaniyat": 24308}
    total = sum(votes.values())
    for row in rows:  # the CEC's shares follow from its counts, to the stated two decimals
        assert abs(Decimal(row["share"]) - Decimal(100 * int(row["votes"])) / total) < Decimal("0.006")


def test_every_spelling_of_a_party_finds_it(graph):
    rows = ask(graph, "party-names")
    names: dict[str, set[str]] = {}
    for row in rows:
        names.setdefault(row["party"], set()).add(row["name"])
    assert {"Ak Zhol", "Aq Zhol"} <= names["Ak Zhol"]
    assert {"Alga", "Algha", "Alga!"} <= names["Alga"]
    assert {"Rukhaniyat", "Rukhaniat"} <= names["Rukhaniyat"]
    assert {"ZhSDP-Azat", "All-National Social Democratic Party"} <= names["Social Democratic-Azat Party"]


def test_similarly_named_parties_are_kept_apart(graph):
    rows = ask(graph, "distinct-parties")
    pairs = {(r["party"], r["notToBeConfusedWith"]) for r in rows}
    assert ("Communist Party", "Communist People's Party of Kazakhstan") in pairs


def test_party_stances_by_election_and_source(graph):
    rows = ask(graph, "party-stances")
    ak_zhol = {(r["election"], r["stance"]) for r in rows if r["party"] == "Ak Zhol"}
    assert (E2007, "opposition") in ak_zhol and (E2012, "pro-business") in ak_zhol
    assert (E2012, "opposition") not in ak_zhol
    assert any(r["party"] == "Social Democratic-Azat Party" and r["stance"] == "genuine opposition" for r in rows)


def test_participant_claims_are_claims(graph):
    rows = ask(graph, "participant-claims")
    estimates = {(r["claimant"], Decimal(r["value"]), r.get("qualifier")) for r in rows if "value" in r}
    assert ("Burikhan Nurmukhamedov", 12, "about") in estimates
    assert ("Nursultan Nazarbayev", 70, "nearly") in estimates
    assert any("unprecedented" in r["statement"] for r in rows if r["claimant"] == "Nursultan Nazarbayev")


def test_observer_missions_and_their_heads(graph):
    rows = ask(graph, "observer-missions")
    heads = {(r["election"], r["head"]) for r in rows if "head" in r}
    assert {(E2007, "Lubomir Kopaj"), (E2007, "Consiglio Di Nino"), (E2012, "Miklos Haraszti")} <= heads
    ieom = {r.get("sentBy") for r in rows if r["mission"].startswith("International Election Observation Mission")}
    assert ieom == {"Organization for Security and Cooperation in Europe", "Parliamentary Assembly of the Council of Europe"}


def test_people_and_their_roles(graph):
    rows = ask(graph, "people-and-roles")
    roles = {(r["person"], r["role"], r["in"]) for r in rows}
    assert ("Nursultan Nazarbayev", "president", "Republic of Kazakhstan") in roles
    assert ("Joao Soares", "president", "OSCE Parliamentary Assembly") in roles
    assert ("Amirzhan Kosanov", "party leader", "Nationwide Social Democratic Party") in roles
    assert ("Farangis Najibullah", "journalist", "Radio Free Europe/Radio Liberty") in roles
    assert ("Robin Forestier-Walker", "journalist", "Al Jazeera") in roles


def test_early_elections_and_why(graph):
    rows = ask(graph, "early-elections")
    early = {r["election"]: r for r in rows}
    assert set(early) == {E2007, E2012}
    assert early[E2012]["originallyDue"] == "2012-08"
    assert "Dissolution" in early[E2012]["occasionedBy"] and early[E2012]["eventDate"] == "2011-11"
    assert "onstitutional amendments" in early[E2007]["occasionedBy"]


def test_electoral_rules(graph):
    rows = ask(graph, "electoral-rules")
    rules = {(r["election"], r["rule"], r.get("value"), r.get("appointedBy")) for r in rows}
    assert (E2007, "threshold", "7.0", None) in rules and (E2012, "threshold", "7.0", None) in rules
    assert (E2012, "runner-up guarantee", None, None) in rules
    assert not any(e == E2007 and rule == "runner-up guarantee" for e, rule, _, _ in rules)
    assert (E2012, "appointed seats", "9.0", "Assembly of People of Kazakhstan") in rules


def test_each_result_leads_to_its_sentence(graph):
    from kzelect import paths

    texts = {p.name: p.read_text(encoding="utf-8") for p in paths.SOURCE_TEXTS.glob("*.txt")}
    rows = ask(graph, "sentence-of-fact")
    assert len({r["result"] for r in rows}) >= 20
    for row in rows:
        start, end = int(row["start"]), int(row["end"])
        assert any(text[start:end] == row["exact"] for text in texts.values()), row


def test_the_sources(graph):
    rows = ask(graph, "sources")
    assert len(rows) == 5
    najibullah = [r for r in rows if r.get("author") == "Farangis Najibullah"]
    assert [r["title"] for r in najibullah] == [RFERL_2012]
    embassy = next(r for r in rows if r["title"] == EMBASSY)
    assert "published" not in embassy and "url" not in embassy


def test_every_shipped_query_is_a_tested_competency_question():
    """Runs last in this module: every query in src/kzelect/queries/ was asked above."""
    assert len(QUERIES) >= 15
    assert set(QUERIES) == TESTED, f"untested queries: {set(QUERIES) - TESTED}"
