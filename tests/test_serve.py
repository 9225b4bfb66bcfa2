"""`kzelect serve`, in process: content negotiation, documents, pages, 404s, the SPARQL endpoint, escaping."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pyoxigraph
import pytest
from click.testing import CliRunner
from werkzeug.test import Client

from kzelect import paths
from kzelect.build import build
from kzelect.cli import main
from kzelect.execute import Limits
from kzelect.serve import App, make_app

NUR_OTAN_2007 = "/id/result/2007-embassy-nur-otan"


@pytest.fixture(scope="module")
def client(dist):
    return Client(make_app(dist, paths.DATA))


def triples(data: bytes, fmt) -> set[str]:
    return {str(t) for t in pyoxigraph.parse(data, format=fmt)}


# -- URIs and content negotiation -----------------------------------------------------------------

@pytest.mark.parametrize("accept, ext", [
    ("text/html,application/xhtml+xml,*/*;q=0.8", "html"), ("text/turtle", "ttl"), ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"), ("*/*", "html"), ("", "html"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "jsonld"),
])
def test_a_thing_redirects_to_the_document_the_client_accepts(client, accept, ext):
    response = client.get("/id/party/ak-zhol", headers={"Accept": accept} if accept else {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/id/party/ak-zhol.{ext}"
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("fmt, ext", [("ttl", "ttl"), ("turtle", "ttl"), ("jsonld", "jsonld"), ("nt", "nt"), ("html", "html")])
def test_format_parameter_overrides_accept(client, fmt, ext):
    response = client.get(f"/id/party/ak-zhol?format={fmt}", headers={"Accept": "text/html"})
    assert response.status_code == 303 and response.headers["Location"] == f"/id/party/ak-zhol.{ext}"


def test_an_accept_header_nothing_satisfies_is_406(client):
    assert client.get("/id/party/ak-zhol", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/id/party/ak-zhol?format=pdf").status_code == 406


@pytest.mark.parametrize("ext, fmt, kind", [
    ("ttl", pyoxigraph.RdfFormat.TURTLE, "text/turtle"), ("nt", pyoxigraph.RdfFormat.N_TRIPLES, "application/n-triples"),
    ("jsonld", pyoxigraph.RdfFormat.JSON_LD, "application/ld+json"),
])
def test_data_documents_describe_the_thing(client, dist, ext, fmt, kind):
    response = client.get(f"{NUR_OTAN_2007}.{ext}")
    assert response.status_code == 200 and response.mimetype == kind
    got = triples(response.data, fmt)
    whole = triples((dist / "kzelect.nt").read_bytes(), pyoxigraph.RdfFormat.N_TRIPLES)
    subject = "<https://w3id.org/kzelect/id/result/2007-embassy-nur-otan>"
    assert got == {t for t in whole if t.startswith(subject + " ")}


def test_a_citation_document_holds_its_hash_nodes(client):
    response = client.get("/id/quote/embassy-2007-510-603.nt")
    text = response.data.decode()
    for node in ("#target>", "#quote>", "#position>"):
        assert f"<https://w3id.org/kzelect/id/quote/embassy-2007-510-603{node} " in text


@pytest.mark.parametrize("path", ["/id/party/no-such-party", "/id/party/no-such-party.html", "/id/../../etc/passwd",
                                  "/id/..%2f..%2fetc%2fpasswd", "/id/party%5c..%5c..%5cetc%5cpasswd", "/nothing-here",
                                  "/id/party/ak-zhol.exe"])
def test_unknown_addresses_get_a_helpful_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Nothing in the kzelect graph has the address" in response.get_data(as_text=True)
    assert "root:" not in response.get_data(as_text=True)


# -- pages ----------------------------------------------------------------------------------------

class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids, self.scripts = [], set(), []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._in_script = False


def page(client, path: str) -> tuple[str, Links]:
    response = client.get(path)
    assert response.status_code == 200, path
    text = response.get_data(as_text=True)
    parser = Links()
    parser.feed(text)
    return text, parser


def test_a_fact_page_states_the_fact_with_its_quote_and_source(client):
    text, links = page(client, f"{NUR_OTAN_2007}.html")
    assert "Nur Otan received 88.05 per cent of the vote and 5,174,169 votes in the 2007 Mazhilis election" in text
    assert "<mark>the ruling “Nur Otan” party emerged victorious from the elections, winning 88.05% of the vote</mark>" in text
    assert "/id/source/embassy-2007.html#q-510-603" in links.hrefs
    assert {"/id/party/nur-otan.html", "/id/election/mazhilis-2007.html"} <= set(links.hrefs)
    assert {f"{NUR_OTAN_2007}.ttl", f"{NUR_OTAN_2007}.jsonld", f"{NUR_OTAN_2007}.nt"} <= set(links.hrefs)


def test_disagreeing_claims_stand_side_by_side_with_the_preferred_one_and_why(client):
    text, links = page(client, f"{NUR_OTAN_2007}.html")
    assert "Sources disagree" in text and "/id/result/2007-rferl-nur-otan.html" in links.hrefs
    assert '<tr class="preferred">\n<td><strong>Nur Otan, 2007 (Embassy)</strong>' in text
    assert "<strong>Why:</strong> RFE/RL gives a round 88 percent" in text


def test_the_cite_box_has_the_uri_bibtex_and_csl_json(client):
    text, _ = page(client, f"{NUR_OTAN_2007}.html")
    assert "<code>https://w3id.org/kzelect/id/result/2007-embassy-nur-otan</code>" in text
    assert "@misc{kzelect-result-2007-embassy-nur-otan," in text
    csl = re.search(r"<summary>CSL-JSON</summary><pre>(.*?)</pre>", text, re.S)[1]
    document = json.loads(csl.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"))
    assert document["URL"] == "https://w3id.org/kzelect/id/result/2007-embassy-nur-otan" and document["type"] == "dataset"


def test_the_page_embeds_the_same_data_as_json_ld(client):
    _, links = page(client, f"{NUR_OTAN_2007}.html")
    embedded = triples(links.scripts[0].encode(), pyoxigraph.RdfFormat.JSON_LD)
    assert embedded == triples(client.get(f"{NUR_OTAN_2007}.nt").data, pyoxigraph.RdfFormat.N_TRIPLES)


def test_a_source_page_marks_every_cited_span_and_links_to_the_facts(client, dist):
    text, links = page(client, "/id/source/embassy-2007.html")
    whole = (dist / "kzelect.nt").read_text(encoding="utf-8")
    spans = set(re.findall(r"<https://w3id.org/kzelect/id/quote/embassy-2007-(\d+)-(\d+)> ", whole))
    assert spans and {f"q-{a}-{b}" for a, b in spans} <= links.ids
    assert NUR_OTAN_2007 + ".html" in links.hrefs
    assert text.count("<mark>") >= len({a for a, _ in spans}) // 2


def test_an_election_page_draws_the_vote_shares_without_any_network_resource(client):
    text, _ = page(client, "/id/election/mazhilis-2012.html")
    svg = re.search(r"<svg.*?</svg>", text, re.S)[0]
    assert svg.count("<rect") >= 9 and "Nur Otan" in svg
    assert not re.search(r"(src|href)=\"https?://", text.split("<main>")[0] + svg)


def test_the_home_page_lists_things_and_finds_every_spelling(client):
    text, links = page(client, "/")
    for heading in ("Elections", "Parties", "People", "Observer missions", "Events", "Sources"):
        assert f"<h2>{heading}</h2>" in text
    found, _ = page(client, "/?q=Aq+Zhol")
    results = found.split("Found for “Aq Zhol”")[1].split("<h2>Elections</h2>")[0]
    assert '<a href="/id/party/ak-zhol.html">Ak Zhol</a>' in results
    assert "Nur Otan" not in results
    nothing, _ = page(client, "/?q=zzzz")
    assert "Nothing has that name." in nothing


def test_every_internal_link_of_the_home_page_resolves(client):
    _, links = page(client, "/")
    for href in {h.split("#")[0] for h in links.hrefs if h.startswith("/id/")}:
        assert client.get(href).status_code == 200, href


# -- escaping -------------------------------------------------------------------------------------

HOSTILE = "Evil </script><script>alert(1)</script> <b>bold</b> & zero\u200dwidth"


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    from conftest import data_with_label

    root = tmp_path_factory.mktemp("hostile")
    data = data_with_label(root, HOSTILE)
    out = root / "dist"
    build(out, data)
    return Client(make_app(out, data))


def test_markup_in_a_label_is_shown_as_text_everywhere(hostile_client):
    text, links = page(hostile_client, "/id/party/nur-otan.html")
    assert "<script>alert(1)</script>" not in text and "<b>bold</b>" not in text
    assert "Evil &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt; &amp;" in text
    assert len(links.scripts) == 1 and "</script" not in links.scripts[0]
    assert "\\u003c/script\\u003e" in links.scripts[0]
    embedded = triples(links.scripts[0].encode(), pyoxigraph.RdfFormat.JSON_LD)
    assert any(HOSTILE in t for t in embedded)
    home, _ = page(hostile_client, "/")
    assert "<script>alert(1)</script>" not in home


# -- the SPARQL endpoint --------------------------------------------------------------------------

SELECT = "SELECT ?party WHERE { ?p a kze:PoliticalParty ; skos:prefLabel ?party } ORDER BY STR(?party)"


def test_sparql_by_get_and_post_in_each_results_format(client):
    by_get = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "application/sparql-results+json"})
    assert by_get.status_code == 200 and by_get.mimetype == "application/sparql-results+json"
    parties = [b["party"]["value"] for b in by_get.json["results"]["bindings"]]
    assert "Ak Zhol" in parties
    by_form = client.post("/sparql", data={"query": SELECT}, headers={"Accept": "text/csv"})
    assert by_form.mimetype == "text/csv" and by_form.get_data(as_text=True).splitlines()[1:] == parties
    by_body = client.post("/sparql", data=SELECT, content_type="application/sparql-query",
                          headers={"Accept": "application/sparql-results+xml"})
    assert by_body.mimetype == "application/sparql-results+xml" and b"<literal xml:lang=\"en\">Ak Zhol</literal>" in by_body.data
    tsv = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/tab-separated-values"})
    assert tsv.mimetype == "text/tab-separated-values"


def test_sparql_construct_answers_rdf(client):
    response = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?p a kze:PoliticalParty }"},
                          headers={"Accept": "application/n-triples"})
    assert response.mimetype == "application/n-triples" and len(triples(response.data, pyoxigraph.RdfFormat.N_TRIPLES)) >= 9


def test_the_endpoint_has_a_query_page_with_the_shipped_queries(client):
    text, _ = page(client, "/sparql")
    assert "parties-passing-threshold" in text and "<textarea" in text


def test_the_endpoint_stops_at_its_limits(dist):
    app = make_app(dist, paths.DATA)
    quick = Client(App(app.site, dist, Limits(seconds=1, rows=3)))
    slow = quick.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
    assert slow.status_code == 503 and "time limit" in slow.get_data(as_text=True)
    cut = quick.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert cut.status_code == 200 and cut.headers["X-Kzelect-Truncated"] == "true; limit=3"
    assert len(cut.json["results"]["bindings"]) == 3


# -- the command ----------------------------------------------------------------------------------

def test_serve_refuses_a_public_address_without_the_flag(dist):
    result = CliRunner().invoke(main, ["serve", "--build-dir", str(dist), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--public" in result.output


def test_a_retired_identifier_redirects_to_its_replacement(base_data, tmp_path):
    (base_data / "deprecated.yaml").write_text(
        "- id: party/old-name\n  replacedBy: party/nur-otan\n  note: renamed\n", encoding="utf-8")
    out = tmp_path / "dist"
    build(out, base_data)
    retired = Client(make_app(out, base_data))
    response = retired.get("/id/party/old-name", headers={"Accept": "text/html"})
    assert response.status_code == 301 and response.headers["Location"] == "/id/party/nur-otan"
    data = retired.get("/id/party/old-name.nt").get_data(as_text=True)
    assert "<http://purl.org/dc/terms/isReplacedBy> <https://w3id.org/kzelect/id/party/nur-otan>" in data


@pytest.mark.parametrize("iri, href", [
    ("https://w3id.org/kzelect/id/party/ak-zhol", "/id/party/ak-zhol.html"),
    ("https://w3id.org/kzelect/id/quote/a-1-2#target", "/id/quote/a-1-2.html#target"),
    ("https://www.rferl.org/a/1078226.html", "https://www.rferl.org/a/1078226.html"),
    ("javascript:alert(1)", None), ("data:text/html,<script>", None), ("file:///etc/passwd", None),
    ("https://example.org/a b", None), ("https://example.org/a\"onmouseover=x", None), ("https://example.org/\n", None),
])
def test_only_http_links_are_rendered_as_links(iri, href):
    from kzelect.pages import safe_href

    assert safe_href(iri) == href


def test_the_ontology_negotiates_and_every_term_has_an_anchor(client):
    assert client.get("/ontology", headers={"Accept": "text/html"}).headers["Location"] == "/ontology.html"
    assert client.get("/ontology", headers={"Accept": "text/turtle"}).headers["Location"] == "/ontology.ttl"
    text, links = page(client, "/ontology.html")
    turtle = client.get("/ontology.ttl").get_data(as_text=True)
    terms = set(re.findall(r"^kze:(\w+)\n    a owl:(?:Class|ObjectProperty|DatatypeProperty)", turtle, re.M))
    assert len(terms) > 50 and terms <= links.ids
    from rdflib import Graph
    from rdflib.compare import isomorphic

    reference = Graph().parse(data=turtle, format="turtle")
    for ext, fmt in (("nt", "nt"), ("jsonld", "json-ld")):
        assert isomorphic(Graph().parse(data=client.get(f"/ontology.{ext}").get_data(as_text=True), format=fmt), reference), ext
    fact, fact_links = page(client, f"{NUR_OTAN_2007}.html")
    assert "/ontology.html#PartyResult" in fact_links.hrefs


def test_the_chart_shows_seats_where_a_source_states_them(client):
    text, _ = page(client, "/id/election/mazhilis-2007.html")
    svg = re.search(r"<svg.*?</svg>", text, re.S)[0]
    assert re.search(r"Ak Zhol · Elections to a new.*?3\.27% · 0 seats", svg, re.S)
    assert re.search(r"Nur Otan · Elections to a new.*?88\.05%</text>", svg, re.S)  # no seat count stated for it
