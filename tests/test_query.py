"""`kzelect query`: the two engines agree on every shipped query; refusals, limits, formats, the store."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import re

import pyoxigraph
import pytest
from click.testing import CliRunner

import answers
from kzelect import execute, results, store
from kzelect.cli import main
from kzelect.execute import Limits, TimeLimitReached, evaluate_oxigraph, evaluate_rdflib, reference_dataset
from kzelect.queries import UnknownQuery, named_queries, query_text
from kzelect.sparql import QueryRefused, QuerySyntaxError, prepare

QUERIES = named_queries()
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def engines(dist):
    return store.open_store(dist), reference_dataset(dist)


def query(dist, *args, input=None):
    return CliRunner().invoke(main, ["query", "--build-dir", str(dist), *args], input=input)


# -- the engines agree ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_shipped_query_answers_the_same_on_both_engines(engines, name):
    oxigraph, rdflib = engines
    prepared = prepare(QUERIES[name].text)
    fast, reference = evaluate_oxigraph(oxigraph, prepared), evaluate_rdflib(rdflib, prepared)
    assert fast.variables == reference.variables
    assert reference.rows, f"{name} answers nothing"
    ordered = answers.has_order_by(prepared.text)
    ours, theirs = answers.rows(fast.variables, fast.rows), answers.rows(reference.variables, reference.rows)
    assert answers.same(ours, theirs, ordered), answers.difference(fast.variables, ours, theirs, ordered, ("pyoxigraph", "rdflib"))


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_shipped_query_orders_by_all_it_returns(name):
    """A total order, so that every engine and store returns the rows in the same order."""
    text = QUERIES[name].text
    select = re.search(r"^SELECT (?:DISTINCT )?(.*?) WHERE", text, re.M)[1]
    returned = set(re.findall(r"\?\w+", re.sub(r"\(.*? AS (\?\w+)\)", r"\1", select)))
    order = re.search(r"^ORDER BY (.*)$", text, re.M)
    assert order, f"{name}.rq has no ORDER BY"
    assert returned <= set(re.findall(r"\?\w+", order[1])), f"{name}.rq: ORDER BY leaves out {returned - set(order[1].split())}"


@pytest.mark.parametrize("engine", execute.ENGINES)
def test_the_child_process_gives_the_in_process_answer(dist, engines, engine):
    prepared = prepare(QUERIES["parties-passing-threshold"].text)
    child = execute.run(prepared, dist, engine=engine)
    in_process = evaluate_oxigraph(engines[0], prepared) if engine == "oxigraph" else evaluate_rdflib(engines[1], prepared)
    assert (child.variables, child.rows, child.truncated) == (in_process.variables, in_process.rows, False)


def test_the_default_graph_is_the_whole_graph_with_each_triple_once(engines, dist):
    oxigraph, _ = engines
    count = evaluate_oxigraph(oxigraph, prepare("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")).rows[0]["n"]["value"]
    assert int(count) == len((dist / "kzelect.nt").read_text(encoding="utf-8").splitlines())


def test_named_graphs_are_the_data_files(engines):
    names = store.graph_names(engines[0])
    assert "https://w3id.org/kzelect/id/graph/parties" in names
    prepared = prepare("SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/kzelect/id/graph/parties> WHERE { ?s ?p ?o }", names)
    assert int(evaluate_oxigraph(engines[0], prepared).rows[0]["n"]["value"]) > 0


# -- refusals, before anything runs ---------------------------------------------------------------

@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DROP ALL",
    "CLEAR DEFAULT",
    "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_an_update_is_refused_and_the_store_is_unchanged(dist, update):
    before = (dist / "store" / store.STAMP).read_text()
    count = len(store.open_store(dist))
    result = query(dist, update)
    assert result.exit_code == 2
    assert "updates are refused" in result.output and "read-only" in result.output
    assert len(store.open_store(dist)) == count and (dist / "store" / store.STAMP).read_text() == before


def test_load_is_refused_as_network_access(dist):
    result = query(dist, "LOAD <http://example.org/data.ttl>")
    assert result.exit_code == 2 and "LOAD is refused" in result.output


@pytest.mark.parametrize("engine", execute.ENGINES)
@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z . {{ SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }} }}",
    "SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "SELECT * FROM <http://127.0.0.1:{port}/graph.ttl> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <http://127.0.0.1:{port}/graph.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "ASK FROM <file:///etc/passwd> {{ ?s ?p ?o }}",
])
def test_network_and_remote_graphs_are_refused_before_execution(dist, listener, template, engine):
    port, connections = listener
    result = query(dist, "--engine", engine, template.format(port=port))
    assert result.exit_code == 2, result.output
    assert "is refused" in result.output
    assert re.search(r"SERVICE|FROM", result.output)
    assert connections == []


def test_a_local_named_graph_may_be_used_in_from(dist):
    result = query(dist, "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/kzelect/id/graph/sources> WHERE { ?s ?p ?o }")
    assert result.exit_code == 0, result.output


def test_a_syntax_error_shows_line_column_and_token(dist):
    result = query(dist, "SELECT ?party WHERE {\n  ?p a kze:PoliticalParty ;\n     skos:prefLabel ?party .\n} LIMT 5")
    assert result.exit_code == 2
    assert "syntax error at line 4, column 3 (at 'LIMT')" in result.output
    assert "4 | } LIMT 5" in result.output


def test_a_prefixed_name_with_a_slash_gets_a_hint():
    with pytest.raises(QuerySyntaxError, match=r"<https://w3id.org/kzelect/id/party/alga>"):
        prepare("ASK { id:party/alga a kze:PoliticalParty }")


def test_an_undeclared_prefix_is_named():
    with pytest.raises(QueryRefused, match="Unknown namespace prefix : ex"):
        prepare("SELECT * WHERE { ?s ex:p ?o }")


def test_an_unknown_named_query_lists_the_names(dist):
    result = query(dist, "party-nmes")
    assert result.exit_code == 2
    assert "Did you mean party-names?" in result.output
    assert all(name in result.output for name in QUERIES)
    with pytest.raises(UnknownQuery):
        query_text("no-such-query")


# -- limits ---------------------------------------------------------------------------------------

def test_a_runaway_query_stops_at_the_time_limit_and_leaves_no_worker(dist):
    with pytest.raises(TimeLimitReached, match="time limit of 1 s"):
        execute.run(prepare(CARTESIAN), dist, Limits(seconds=1))
    assert multiprocessing.active_children() == []
    result = query(dist, "--timeout", "1", CARTESIAN)
    assert result.exit_code == 3 and "time limit" in result.output
    quick = query(dist, "ASK { ?s ?p ?o }")  # the engine answers straight after
    assert quick.exit_code == 0 and quick.output == "yes\n"


def test_a_result_over_the_row_limit_is_truncated_and_says_so(dist):
    answer = execute.run(prepare("SELECT ?s ?p ?o WHERE { ?s ?p ?o }"), dist, Limits(rows=7))
    assert answer.truncated and len(answer.rows) == 7
    result = query(dist, "--limit", "7", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")
    assert result.exit_code == 0
    assert "7 rows (truncated at the row limit of 7" in result.output
    assert "Warning: the answer was truncated at the row limit of 7" in result.output
    graph = execute.run(prepare("CONSTRUCT WHERE { ?s ?p ?o }"), dist, Limits(rows=7))
    assert graph.truncated and len(graph.triples) == 7


def test_a_result_within_the_limit_is_not_flagged(dist):
    answer = execute.run(prepare("SELECT ?s WHERE { ?s a kze:Election }"), dist, Limits(rows=4))
    assert not answer.truncated and len(answer.rows) == 4
    unlimited = execute.run(prepare("SELECT ?s ?p ?o WHERE { ?s ?p ?o }"), dist, Limits(rows=0))
    assert not unlimited.truncated and len(unlimited.rows) > 9000


# -- formats --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml"])
def test_select_results_formats_read_back_as_the_same_rows(dist, engines, fmt):
    prepared = prepare(QUERIES["party-names"].text)
    answer = evaluate_oxigraph(engines[0], prepared)
    result = query(dist, "party-names", "--format", fmt)
    assert result.exit_code == 0
    if fmt == "csv":  # CSV keeps only the text of each term
        rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8"), newline="")))
        assert rows == answer.texts()
        return
    parsed = pyoxigraph.parse_query_results(result.stdout_bytes, format=results.SELECT_FORMATS[fmt])
    rows = [{v.value: results.oxigraph_term(s[v]) for v in parsed.variables if s[v] is not None} for s in parsed]
    assert rows == answer.rows


def test_json_is_sparql_results_json(dist):
    document = json.loads(query(dist, "sources", "-f", "json").stdout_bytes)
    assert document["head"]["vars"][:2] == ["title", "publisher"]
    assert len(document["results"]["bindings"]) == 5


@pytest.mark.parametrize("fmt, rdf", [("turtle", pyoxigraph.RdfFormat.TURTLE), ("nt", pyoxigraph.RdfFormat.N_TRIPLES),
                                      ("jsonld", pyoxigraph.RdfFormat.JSON_LD)])
def test_construct_and_describe_write_rdf(dist, fmt, rdf):
    for text in ("CONSTRUCT WHERE { ?p a kze:PoliticalParty ; skos:altLabel ?name }",
                 "DESCRIBE <https://w3id.org/kzelect/id/party/alga>"):
        result = query(dist, text, "-f", fmt)
        assert result.exit_code == 0, result.output
        triples = {(str(t.subject), str(t.predicate), str(t.object)) for t in pyoxigraph.parse(result.stdout_bytes, format=rdf)}
        assert ("<https://w3id.org/kzelect/id/party/alga>", "<http://www.w3.org/2004/02/skos/core#altLabel>",
                '"Algha"@en') in triples


def test_ask_answers_yes_or_no(dist):
    assert query(dist, "ASK { <https://w3id.org/kzelect/id/party/alga> a kze:PoliticalParty }").output == "yes\n"
    assert query(dist, "ASK { <https://w3id.org/kzelect/id/party/alga> a kze:Election }", "-f", "json").output == \
        '{"head":{},"boolean":false}'


def test_a_graph_format_for_a_select_is_a_usage_error(dist):
    result = query(dist, "sources", "-f", "turtle")
    assert result.exit_code == 2 and "CONSTRUCT and DESCRIBE" in result.output


# -- where the query comes from -------------------------------------------------------------------

def test_list_shows_every_named_query_with_its_description(dist):
    result = query(dist, "--list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(QUERIES)
    for line, (name, named) in zip(lines, sorted(QUERIES.items()), strict=True):
        assert line.startswith(name + " ") and line.endswith(named.description)
        assert named.description.endswith((".", "?"))


def test_a_query_from_standard_input_and_from_a_file(dist, tmp_path):
    text = "SELECT ?title WHERE { ?s a kze:SourceArticle ; dct:title ?title } ORDER BY ?title"
    from_stdin = query(dist, "-", input=text)
    path = tmp_path / "titles.rq"
    path.write_text(text, encoding="utf-8")
    from_file = query(dist, str(path))
    assert from_stdin.exit_code == 0 and from_stdin.output == from_file.output
    assert "Ruling Party Sweeps Kazakh Parliamentary Polls" in from_file.output


def test_a_missing_build_is_built_first(base_data, tmp_path):
    out = tmp_path / "fresh"
    result = CliRunner().invoke(main, ["query", "--build-dir", str(out), "--data", str(base_data),
                                       "ASK { ?s a kze:PoliticalParty }"])
    assert result.exit_code == 0, result.output
    assert "building it first" in result.output and result.output.endswith("yes\n")


# -- the store on disk ----------------------------------------------------------------------------

def test_the_store_is_reused_until_the_build_changes(base_data, tmp_path):
    from kzelect.build import build

    out = tmp_path / "out"
    build(out, base_data)
    db = store.database(out)
    marker = db / "KEPT"
    marker.write_text("")  # a refresh that reloads would replace the folder and lose this
    store.refresh(out)
    assert marker.exists()
    small = int(execute.ask("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", out).rows[0]["n"]["value"])
    build(out)  # the real data: the exports change, so the store is loaded anew
    assert not marker.exists()
    large = int(execute.ask("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", out).rows[0]["n"]["value"])
    assert large == len((out / "kzelect.nt").read_text(encoding="utf-8").splitlines()) > small
    assert not [p for p in out.iterdir() if p.name.startswith(".store")]  # no staging folders left


def test_show_prints_a_query_that_runs_anywhere(dist, engines):
    """`--show` gives the SPARQL with the prefixes declared, for a store that predeclares none."""
    result = query(dist, "--show", "party-names")
    assert result.exit_code == 0 and result.output == QUERIES["party-names"].text
    elsewhere = pyoxigraph.Store()
    elsewhere.load(path=str(dist / "kzelect.nt"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    rows = list(elsewhere.query(result.output))  # no prefixes given to the engine
    assert len(rows) == len(evaluate_oxigraph(engines[0], prepare(QUERIES["party-names"].text)).rows) > 0


def test_query_text_too_long_for_a_file_name_is_run_as_a_query(dist):
    """Regression: a long query given as the argument was first tried as a path (OSError: File name too long)."""
    text = "ASK { VALUES ?n { " + " ".join(str(n) for n in range(400)) + " } }"
    assert len(text) > 1000
    result = query(dist, text)
    assert result.exit_code == 0 and result.output == "yes\n", result.output


def test_the_time_limit_message_tells_the_cli_user_how_to_raise_it(dist):
    result = query(dist, "--timeout", "1", CARTESIAN)
    assert result.exit_code == 3
    assert "time limit of 1 s: make the query more selective, or raise the limit with --timeout (0 for none)" in result.output
