"""The named violation queries (shapes/checks/*-violation.rq): each shown to pass and to fail."""

from __future__ import annotations

from kzelect.data import load_data
from kzelect.graph import build_graph
from kzelect.validate import load_checks, validate

CONCEPTS = """
- id: measure/turnout
  label: turnout
  definition: Share of registered voters who voted.
- id: unit/percent
  label: percent
  definition: Per hundred.
- id: qualifier/just-under
  label: just under
  definition: Slightly below.
"""
FIGURE = """
- id: figure/{slug}
  label: Turnout ({slug})
  subject: election/mazhilis-2007
  measure: measure/turnout
  value: {value}
  unit: unit/percent
  statedAs: "{words}"
  cites: [{{source: source/rferl-2007, quote: "{quote}"}}]
"""
JUST_UNDER = FIGURE.format(slug="a", value=65, words="just under 65 percent",
                           quote="The Central Election Commission said voter turnout was just under 65 percent nationwide.")
INVENTED = FIGURE.format(slug="b", value=64, words="turnout", quote="voter turnout was just under 65 percent")
DISAGREEMENT = """
- id: disagreement/turnout
  label: Turnout
  claims: [figure/a, figure/b]
"""


def violations_of(data_dir, check):
    data = load_data(data_dir)
    report = validate(build_graph(data), checks={check: load_checks()[check]})
    return [v for v in report.violations if v.shape == f"check:{check}"]


def write(data_dir, text):
    (data_dir / "records" / "extra.yaml").write_text(CONCEPTS + text, encoding="utf-8")


def test_differing_figures_without_a_disagreement_are_reported(base_data):
    write(base_data, JUST_UNDER + INVENTED)
    found = violations_of(base_data, "undisclosed-disagreement-violation")
    assert len(found) == 1 and "no kze:Disagreement lists both" in found[0].message


def test_differing_figures_side_by_side_pass(base_data):
    write(base_data, JUST_UNDER + INVENTED + DISAGREEMENT)
    assert violations_of(base_data, "undisclosed-disagreement-violation") == []


def test_a_hedge_alone_is_a_difference(base_data):
    same_number = INVENTED.replace("value: 64", "value: 65")
    write(base_data, JUST_UNDER.replace("value: 65", "value: 65\n  qualifier: qualifier/just-under") + same_number)
    assert len(violations_of(base_data, "undisclosed-disagreement-violation")) == 1


def test_a_claim_typed_as_a_result_is_reported(base_data):
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from kzelect.namespaces import ID, KZE

    write(base_data, JUST_UNDER)
    graph = build_graph(load_data(base_data))
    check = {"claim-as-result-violation": load_checks()["claim-as-result-violation"]}
    def found():
        return [v for v in validate(graph, checks=check).violations if v.shape == "check:claim-as-result-violation"]

    assert found() == []
    graph.add((URIRef(ID["figure/a"]), RDF.type, KZE.ParticipantClaim))
    assert len(found()) == 1
