"""Every shipped SPARQL query, answered by a real triple store (OpenLink Virtuoso) and by the embedded store.

One private Virtuoso server (see ``virtuoso.py``) is started for the module on 127.0.0.1 with its
own temporary database and ports. The session's build (``conftest.dist``) is bulk-loaded with
Virtuoso's own loader (``kzelect.nt`` into the graph ``GRAPH``), each named query is sent to
Virtuoso's SPARQL endpoint with that graph as ``default-graph-uri``, and the answers must equal
those of ``kzelect query`` (the embedded pyoxigraph store), term by term in the canonical form of
``answers.py``, in the same order. ``kzelect load`` is tested against Virtuoso's Graph Store
endpoint (Digest authentication), and the TriG export's named graphs against Virtuoso's loader.
The module is skipped, with the reason, only where Virtuoso is not installed; under CI (``CI`` set,
as ``.ci/run``'s environment has it) a missing Virtuoso is a failure, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner

import answers
import virtuoso
from kzelect import store
from kzelect.cli import main
from kzelect.execute import evaluate_oxigraph
from kzelect.queries import named_queries
from kzelect.sparql import prepare

GRAPH = "https://w3id.org/kzelect/id/graph/kzelect"
QUERIES = named_queries()


@pytest.fixture(scope="module")
def export(dist) -> Path:
    """The N-Triples export of the session's build (skipped first if Virtuoso is missing, except in CI)."""
    reason = virtuoso.available()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the Virtuoso tests, but: {reason}")
    if reason:
        pytest.skip(reason)
    return dist / "kzelect.nt"


@pytest.fixture(scope="module")
def server(export):
    began = time.monotonic()
    with virtuoso.Virtuoso(dirs_allowed=[export.parent]) as server:
        server.bulk_load(export, GRAPH)
        print(f"\nVirtuoso: started in {server.startup_seconds:.1f} s, loaded in {time.monotonic() - began - server.startup_seconds:.1f} s")
        yield server


def test_virtuoso_holds_every_triple(server, export):
    lines = [line for line in export.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert server.count(GRAPH) == len(lines)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_answers_match_the_embedded_store(name, server, dist):
    text = QUERIES[name].text
    ours = evaluate_oxigraph(store.open_store(dist), prepare(text))
    result = server.select(text, default_graph=GRAPH)
    assert result["head"]["vars"] == ours.variables
    mine, theirs = answers.rows(ours.variables, ours.rows), answers.rows(ours.variables, result["results"]["bindings"])
    ordered = answers.has_order_by(text)
    assert answers.same(mine, theirs, ordered), f"{name}: the embedded store and Virtuoso disagree\n" + answers.difference(
        ours.variables, mine, theirs, ordered, ("embedded", "virtuoso"))


def test_kzelect_load_replaces_a_graph_over_the_graph_store_protocol(server, dist, export):
    """The command itself, with Digest authentication, several times (a PUT that met the challenge with its body failed)."""
    graph = "urn:x-kzelect:test:load"
    server.put_graph(b'<urn:x:s> <urn:x:p> "to be replaced" .\n', graph)
    expected = len(export.read_bytes().splitlines())
    for _ in range(3):
        result = CliRunner().invoke(main, ["load", "--build-dir", str(dist), "--endpoint", server.gsp_url, "--graph", graph,
                                           "--user", server.user, "--password-env", "KZ_VIRTUOSO_PASSWORD"],
                                    env={"KZ_VIRTUOSO_PASSWORD": server.password})
        assert result.exit_code == 0, result.output
        assert f"the store now holds {expected} triples in that graph" in result.output
    assert server.count(graph) == expected
    wrong = CliRunner().invoke(main, ["load", "--build-dir", str(dist), "--endpoint", server.gsp_url, "--graph", graph,
                                      "--user", server.user, "--password-env", "KZ_VIRTUOSO_PASSWORD"],
                               env={"KZ_VIRTUOSO_PASSWORD": "not-the-password"})
    assert wrong.exit_code == 2 and "401" in wrong.output
    assert server.count(graph) == expected
    assert server.delete_graph(graph) in (200, 204)


def test_the_trig_export_loads_with_its_named_graphs(server, dist):
    """Regression: Virtuoso 7 kept the backslash of escaped local names (`id:graph\\/parties`) in an earlier TriG."""
    server.bulk_load(dist / "kzelect.trig", "urn:x-kzelect:test:trig-default")
    expected: dict[str, int] = {}
    for quad in pyoxigraph.parse(path=str(dist / "kzelect.trig"), format=pyoxigraph.RdfFormat.TRIG):
        expected[quad.graph_name.value] = expected.get(quad.graph_name.value, 0) + 1
    for graph, count in expected.items():
        assert server.count(graph) == count, graph
    backslashes = server.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?g), '\\\\') "
                                "|| CONTAINS(STR(?s), '\\\\')) }")
    assert backslashes["results"]["bindings"][0]["n"]["value"] == "0"
