"""`kzelect load` against a small Graph Store Protocol service in this process (the real stores: test_virtuoso.py)."""

from __future__ import annotations

import base64
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph
import pytest
from click.testing import CliRunner

from kzelect.cli import main
from kzelect.load import DEFAULT_GRAPH, graph_url


class GraphStore(BaseHTTPRequestHandler):
    """PUT and GET of named graphs (``?graph=``), held in memory; optionally Basic auth, a refused type, lost triples."""

    graphs: dict[str, bytes] = {}
    requests: list[tuple[str, str, str]] = []
    credentials: str | None = None
    refuse: str | None = None  # a Content-Type answered with 415
    drop = 0  # triples lost on the way in
    hang_up = False  # like Virtuoso: answer an unauthorised PUT at once and close, without reading its body

    def log_message(self, *args):  # keep the test output clean
        pass

    def _graph(self) -> str | None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        return query.get("graph", [None])[0]

    def _authorised(self) -> bool:
        if self.credentials is None:
            return True
        expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
        if self.headers.get("Authorization") == expected:
            return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="store"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_PUT(self):
        kind = self.headers["Content-Type"]
        self.requests.append(("PUT", self._graph(), kind))
        if self.hang_up and int(self.headers["Content-Length"]) and not self._authorised():
            self.close_connection = True
            return
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not self._authorised():
            return
        if kind == self.refuse:
            return self._answer(415, b"unsupported media type")
        fmt = {"application/n-triples": pyoxigraph.RdfFormat.N_TRIPLES, "text/turtle": pyoxigraph.RdfFormat.TURTLE}[kind]
        triples = sorted(str(q.triple) + " .\n" for q in pyoxigraph.parse(body, format=fmt))
        self.graphs[self._graph()] = "".join(triples[self.drop:]).encode()
        self._answer(204, b"")

    def do_GET(self):
        self.requests.append(("GET", self._graph(), self.headers["Accept"]))
        if not self._authorised():
            return
        if self._graph() not in self.graphs:
            return self._answer(404, b"no such graph")
        self._answer(200, self.graphs[self._graph()], "application/n-triples")

    def do_HEAD(self):
        self.requests.append(("HEAD", self._graph(), self.headers["Accept"]))
        if not self._authorised():
            return
        self.send_response(200 if self._graph() in self.graphs else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer(self, status: int, body: bytes, kind: str = "text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def store():
    handler = type("Handler", (GraphStore,), {"graphs": {}, "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/ds/data"
    server.shutdown()
    server.server_close()


def load(dist, endpoint, *args, env=None):
    return CliRunner().invoke(main, ["load", "--build-dir", str(dist), "--endpoint", endpoint, *args], env=env)


def exported(dist) -> int:
    return len((dist / "kzelect.nt").read_bytes().splitlines())


def test_load_puts_the_graph_and_reports_what_the_store_holds(dist, store):
    handler, endpoint = store
    result = load(dist, endpoint)
    assert result.exit_code == 0, result.output
    count = exported(dist)
    assert f"loaded {count} triples into <{DEFAULT_GRAPH}>" in result.output
    assert f"the store now holds {count} triples in that graph" in result.output
    assert handler.requests == [("PUT", DEFAULT_GRAPH, "application/n-triples"),  # the empty probe (see kzelect.load)
                                ("PUT", DEFAULT_GRAPH, "application/n-triples"),
                                ("GET", DEFAULT_GRAPH, "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5")]


def test_load_replaces_the_graph_named(dist, store):
    handler, endpoint = store
    handler.graphs["https://example.org/g"] = b"<http://example.org/old> <http://example.org/p> <http://example.org/o> .\n"
    assert load(dist, endpoint, "--graph", "https://example.org/g").exit_code == 0
    assert b"http://example.org/old" not in handler.graphs["https://example.org/g"]
    assert len(handler.graphs["https://example.org/g"].splitlines()) == exported(dist)


def test_load_with_basic_authentication(dist, store):
    handler, endpoint = store
    handler.credentials = "loader:s3cret"
    ok = load(dist, endpoint, "--user", "loader", "--password-env", "KZ_PASSWORD", env={"KZ_PASSWORD": "s3cret"})
    assert ok.exit_code == 0, ok.output
    wrong = load(dist, endpoint, "--user", "loader", "--password-env", "KZ_PASSWORD", env={"KZ_PASSWORD": "nope"})
    assert wrong.exit_code == 2 and "refused the credentials of user 'loader' (401)" in wrong.output
    anonymous = load(dist, endpoint)
    assert anonymous.exit_code == 2 and "asks for authentication (Basic); give --user and --password-env" in anonymous.output


def test_wrong_credentials_are_reported_even_by_a_store_that_hangs_up(dist, store):
    """Virtuoso answers 401 to a PUT with wrong credentials before reading the body and closes the connection:
    the client saw a broken pipe. The credentials are tried on a HEAD first, so the 401 is what the user hears."""
    handler, endpoint = store
    handler.credentials, handler.hang_up = "loader:s3cret", True
    wrong = load(dist, endpoint, "--user", "loader", "--password-env", "KZ_PASSWORD", env={"KZ_PASSWORD": "nope"})
    assert wrong.exit_code == 2 and "refused the credentials of user 'loader' (401)" in wrong.output, wrong.output
    assert [method for method, _, _ in handler.requests].count("PUT") == 1  # the empty probe; the data was never sent
    ok = load(dist, endpoint, "--user", "loader", "--password-env", "KZ_PASSWORD", env={"KZ_PASSWORD": "s3cret"})
    assert ok.exit_code == 0, ok.output


def test_the_password_only_comes_from_the_environment(dist, store):
    _, endpoint = store
    unset = load(dist, endpoint, "--user", "loader", "--password-env", "KZ_UNSET_VARIABLE")
    assert unset.exit_code == 2 and "KZ_UNSET_VARIABLE is not set" in unset.output
    missing = load(dist, endpoint, "--user", "loader")
    assert missing.exit_code == 2 and "--password-env" in missing.output


def test_a_store_that_refuses_n_triples_gets_turtle(dist, store):
    handler, endpoint = store
    handler.refuse = "application/n-triples"
    assert load(dist, endpoint).exit_code == 0
    assert [r[2] for r in handler.requests if r[0] == "PUT"] == ["application/n-triples"] * 2 + ["text/turtle"]


def test_a_store_that_keeps_fewer_triples_is_reported(dist, store):
    handler, endpoint = store
    handler.drop = 3
    result = load(dist, endpoint)
    assert result.exit_code == 1
    assert f"holds {exported(dist) - 3} triples in <{DEFAULT_GRAPH}>, but the export has {exported(dist)}" in result.output


def test_an_unreachable_store_or_a_bad_url_is_an_input_error(dist):
    unreachable = load(dist, "http://127.0.0.1:9/store")
    assert unreachable.exit_code == 2 and "cannot reach the store" in unreachable.output
    for url in ("ftp://127.0.0.1/store", "file:///tmp/store", "127.0.0.1:7878/store"):
        bad = load(dist, url)
        assert bad.exit_code == 2 and "give an http:// or https:// URL" in bad.output


def test_graph_url_adds_the_graph_parameter():
    assert graph_url("http://h:1/ds/data", "https://w3id.org/g") == "http://h:1/ds/data?graph=https%3A%2F%2Fw3id.org%2Fg"
    assert graph_url("http://h/crud?x=1", "urn:g") == "http://h/crud?x=1&graph=urn%3Ag"
