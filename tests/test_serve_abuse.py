"""Hostile requests to `kzelect serve` (issue 6, items 16-23): refused before anything runs, bounded, never a 500.

Most tests use Werkzeug's test client in process. Those about concurrency, disconnects and raw
request lines use a real threaded server on 127.0.0.1: in this process (with short limits), or
`kzelect serve` itself as a child process (with its defaults). Query processes are found in /proc:
they are the children of the server's fork server.
"""

from __future__ import annotations

import contextlib
import csv
import http.client
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server
from werkzeug.test import Client

import kzelect
from kzelect import paths, store
from kzelect.cli import main
from kzelect.execute import Limits
from kzelect.serve import ENDPOINT_LIMITS, MAX_QUERY_BYTES, QUERY_SLOTS, App, make_app
from kzelect.sparql import QueryRefused, prepare

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
PATH_BLOWUP = "SELECT (COUNT(*) AS ?n) WHERE { ?a (kze:x|!kze:x)* ?b . ?c (kze:x|!kze:x)* ?d }"
GREEDY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f"  # holds every row: stopped at the memory limit
TRIVIAL = "ASK { ?s ?p ?o }"
LIVENESS = 5.0  # seconds; the issue asks for "within a second": a loaded two-core CI machine gets five
MEMORY_CAP = 2 << 30  # the server, its fork server and its query processes together (docs/serving.md)
PAGE = os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def app(dist):
    return make_app(dist, paths.DATA)


@pytest.fixture(scope="module")
def client(app):
    return Client(app)


def sparql(**query) -> str:
    return "/sparql?" + urllib.parse.urlencode(query)


# -- processes, from /proc --------------------------------------------------------------------------

def processes() -> dict[int, tuple[int, int]]:
    """Every live process (zombies left out): its parent's pid and its resident memory in bytes."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # it ended meanwhile
            continue
        fields = text[text.rindex(")") + 2:].split()
        if fields[0] != "Z":
            table[int(stat.parent.name)] = (int(fields[1]), int(fields[21]) * PAGE)
    return table


def descendants(root: int, table: dict[int, tuple[int, int]]) -> set[int]:
    """The processes under ``root``: its children, theirs, and so on."""
    found, level = set(), {root}
    while level:
        level = {pid for pid, (parent, _) in table.items() if parent in level}
        found |= level
    return found


def workers(root: int, table: dict | None = None) -> set[int]:
    """The query processes of the server ``root``: the children of its fork server."""
    table = table or processes()
    servers = {pid for pid, (parent, _) in table.items() if parent == root and b"multiprocessing.forkserver" in _command(pid)}
    return {pid for pid, (parent, _) in table.items() if parent in servers}


def _command(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def tree_memory(root: int, table: dict) -> int:
    """Resident bytes of ``root`` and everything under it (shared pages counted in each: an upper bound)."""
    return sum(table[pid][1] for pid in [root, *descendants(root, table)] if pid in table)


def wait_for(condition, what: str, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds:g} s"
        time.sleep(0.05)
    return result


# -- real servers -----------------------------------------------------------------------------------

@contextlib.contextmanager
def serving(app: App):
    """``app`` on a threaded Werkzeug server on 127.0.0.1, in this process; yields its port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def start_server(dist: Path) -> tuple[subprocess.Popen, int]:
    """`kzelect serve` as a child process on a free port of 127.0.0.1: its process and its port."""
    env = {**os.environ, "PYTHONPATH": str(Path(kzelect.__file__).parents[1])}
    command = [sys.executable, "-m", "kzelect", "serve", "--build-dir", str(dist), "--port", "0"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    port = None
    for line in process.stderr:
        if found := re.search(r"Running on http://127\.0\.0\.1:(\d+)", line):
            port = int(found[1])
            break
    assert port, "kzelect serve did not start"
    threading.Thread(target=process.stderr.read, daemon=True).start()  # its request log, drained
    return process, port


@pytest.fixture(scope="module")
def served(dist):
    process, port = start_server(dist)
    yield process, port
    process.terminate()
    process.wait(30)


def fetch(port: int, path: str, method: str = "GET", body=None, headers=None, **options) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {}, **options)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def answers_trivially(port: int) -> float:
    """Seconds a trivial query took; it must have answered yes."""
    start = time.monotonic()
    status, _, body = fetch(port, sparql(query=TRIVIAL))
    assert (status, body) == (200, b'{"head":{},"boolean":true}')
    return time.monotonic() - start


# -- 16, 17: refused before anything runs -----------------------------------------------------------

WAYS = {
    "GET query=": lambda text: {"method": "GET", "query_string": {"query": text}},
    "POST form query=": lambda text: {"method": "POST", "data": {"query": text}},
    "POST sparql-query": lambda text: {"method": "POST", "data": text, "content_type": "application/sparql-query"},
    "GET update=": lambda text: {"method": "GET", "query_string": {"update": text}},
    "POST form update=": lambda text: {"method": "POST", "data": {"update": text}},
    "POST sparql-update": lambda text: {"method": "POST", "data": text, "content_type": "application/sparql-update"},
}
HOSTILE = [
    "INSERT DATA {{ <urn:a> <urn:b> <urn:c> }}",
    "LOAD <http://127.0.0.1:{port}/data.ttl>",
    "DROP ALL",
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE <http://169.254.169.254/latest/meta-data/> {{ ?s ?p ?o }} }}",
    "SELECT * FROM <http://127.0.0.1:{port}/graph.ttl> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <file:///etc/passwd> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELEC ?x WHERE {{ ?x ?y ?z }}",
]


@pytest.mark.parametrize("template", HOSTILE)
@pytest.mark.parametrize("way", WAYS)
def test_the_endpoint_refuses_writes_and_remote_reads_before_running_them(client, dist, listener, way, template):
    port, connections = listener
    stamp, count = (store.location(dist) / store.STAMP).read_text(), len(store.open_store(dist))
    response = client.open("/sparql", **WAYS[way](template.format(port=port)))
    assert response.status_code == 400
    assert re.search(r"is refused|updates are refused|syntax error", response.get_data(as_text=True))
    assert len(store.open_store(dist)) == count and (store.location(dist) / store.STAMP).read_text() == stamp
    assert connections == []


# -- 18: a runaway query --------------------------------------------------------------------------

@pytest.mark.parametrize("runaway", [CARTESIAN, PATH_BLOWUP], ids=["cartesian", "path"])
def test_a_runaway_query_is_stopped_while_others_still_answer(app, dist, runaway):
    quick = App(app.site, dist, Limits(seconds=5, rows=10_000, memory=256))
    with serving(quick) as port, ThreadPoolExecutor(1) as pool:
        running = pool.submit(fetch, port, sparql(query=runaway))
        wait_for(lambda: workers(os.getpid()), "the runaway query's process")
        assert answers_trivially(port) < LIVENESS
        assert not running.done()  # that was during the runaway
        status, _, body = running.result()
        assert answers_trivially(port) < LIVENESS
    # the cartesian product runs out of time; the path blow-up runs out of time or, on a fast machine, of memory first
    stops = [b"stopped at the time limit of 5 s"] + ([b"stopped at the memory limit of 256 MB"] if runaway == PATH_BLOWUP else [])
    assert status == 503 and any(stop in body for stop in stops), body
    wait_for(lambda: not workers(os.getpid()), "a query process left behind")


# -- 19: millions of rows ---------------------------------------------------------------------------

def test_millions_of_rows_are_cut_at_the_row_limit_and_say_so(client):
    rows = ENDPOINT_LIMITS.rows
    flag = f"true; limit={rows}"
    select = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # some 10^8 rows
    by_json = client.get(sparql(query=select), headers={"Accept": "application/sparql-results+json"})
    assert by_json.status_code == 200 and by_json.headers["X-Kzelect-Truncated"] == flag
    assert len(by_json.json["results"]["bindings"]) == rows
    by_csv = client.get(sparql(query=select), headers={"Accept": "text/csv"})
    assert by_csv.headers["X-Kzelect-Truncated"] == flag
    assert len(list(csv.reader(io.StringIO(by_csv.get_data(as_text=True), newline="")))) == rows + 1  # and the header
    construct = client.get(sparql(query="CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }"),
                           headers={"Accept": "application/n-triples"})
    assert construct.headers["X-Kzelect-Truncated"] == flag
    assert len(list(pyoxigraph.parse(construct.data, format=pyoxigraph.RdfFormat.N_TRIPLES))) == rows


# -- 20: huge and deeply nested queries -------------------------------------------------------------

ONE_MB = "SELECT * WHERE { ?s ?p ?o } # " + "x" * 1_000_000


@pytest.mark.parametrize("request_args", [
    {"query_string": {"query": ONE_MB}},
    {"method": "POST", "data": {"query": ONE_MB}},
    {"method": "POST", "data": ONE_MB, "content_type": "application/sparql-query"},
], ids=["GET", "POST form", "POST sparql-query"])
def test_a_query_over_the_size_limit_is_413(client, request_args):
    response = client.open("/sparql", **request_args)
    assert response.status_code == 413
    assert response.get_data(as_text=True) == f"a query may be at most {MAX_QUERY_BYTES:,} bytes\n"


def test_a_huge_query_to_the_real_server_is_refused_and_it_stays_up(served):
    _, port = served

    def chunks():
        for _ in range(100):
            yield b"x" * 10_000

    chunked = fetch(port, "/sparql", "POST", chunks(), {"Content-Type": "application/sparql-query", "Transfer-Encoding": "chunked"},
                    encode_chunked=True)  # no Content-Length: the server stops reading past the limit
    assert chunked[0] == 413 and b"at most 100,000 bytes" in chunked[2]
    assert fetch(port, sparql(query=ONE_MB))[0] == 414  # the request line alone is over http.server's 64 kB
    answers_trivially(port)


NESTED = {
    "5,000 parentheses": "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
    "5,000 braces": "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000,
    "parentheses up to the size limit": "SELECT * WHERE { FILTER(" + "(1+" * 24_000 + "1" + ")" * 24_000 + ") }",
}


@pytest.mark.parametrize("text", NESTED.values(), ids=NESTED)
def test_deep_nesting_is_a_400_with_the_reason(client, dist, text):
    assert len(text.encode()) <= MAX_QUERY_BYTES
    response = client.get(sparql(query=text))
    assert response.status_code == 400 and "nested too deeply" in response.get_data(as_text=True)
    with pytest.raises(QueryRefused, match="nested too deeply"):
        prepare(text)
    result = CliRunner().invoke(main, ["query", "--build-dir", str(dist), "-"], input=text)
    assert result.exit_code == 2 and "nested too deeply" in result.output


def test_a_query_slow_to_parse_stops_at_the_time_limit(app, dist):
    text = "SELECT * WHERE { ?s ?p ?o FILTER(" + " || ".join(["?o = 1"] * 9_000) + ") }"  # 90 kB; rdflib takes minutes
    assert len(text.encode()) <= MAX_QUERY_BYTES
    response = Client(App(app.site, dist, Limits(seconds=2, memory=256))).get(sparql(query=text))
    assert response.status_code == 503 and "stopped at the time limit of 2 s" in response.get_data(as_text=True)


# -- 21: many queries at once -----------------------------------------------------------------------

def test_a_query_without_a_free_slot_gets_429_while_pages_still_answer(app, dist):
    busy = Client(App(app.site, dist, ENDPOINT_LIMITS, queries=1, wait=0.1))
    busy.application.slots.acquire()  # the one slot is taken
    try:
        response = busy.get(sparql(query=TRIVIAL))
        assert response.status_code == 429 and response.headers["Retry-After"] == "10"
        assert busy.get("/").status_code == 200 and busy.get("/sparql").status_code == 200
    finally:
        busy.application.slots.release()
    assert busy.get(sparql(query=TRIVIAL)).status_code == 200


class Watch:
    """Samples the server's process tree: the most query processes at once, and the most memory."""

    def __init__(self, root: int):
        self.root, self.workers, self.memory = root, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(0.05):
            table = processes()
            self.workers = max(self.workers, len(workers(self.root, table)))
            self.memory = max(self.memory, tree_memory(self.root, table))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def test_fifty_heavy_queries_at_once_are_bounded_and_the_server_stays_up(served):
    process, port = served
    heavy = [CARTESIAN, PATH_BLOWUP, GREEDY]
    with Watch(process.pid) as watch, ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda i: fetch(port, sparql(query=heavy[i % 3])), range(50)))
    statuses = [status for status, _, _ in answers]
    assert set(statuses) <= {200, 429, 503}, statuses
    assert 429 in statuses and all(headers.get("Retry-After") for status, headers, _ in answers if status == 429)
    assert all(re.search(rb"time limit|memory limit", body) for status, _, body in answers if status == 503)
    assert 0 < watch.workers <= QUERY_SLOTS
    assert watch.memory < MEMORY_CAP, f"{watch.memory / 2**20:,.0f} MB"
    assert process.poll() is None
    answers_trivially(port)
    wait_for(lambda: not workers(process.pid), "a query process left behind")


def send_runaway(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(f"GET {sparql(query=CARTESIAN)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return connection


def test_a_client_that_disconnects_frees_its_worker(app, dist):
    patient = App(app.site, dist, Limits(seconds=600, memory=256))  # only the disconnect can stop it in time
    with serving(patient) as port:
        connection = send_runaway(port)
        running = wait_for(lambda: workers(os.getpid()), "the query's process")
        connection.close()
        wait_for(lambda: not running & workers(os.getpid()), "the query's process after its client left")
        answers_trivially(port)


def test_a_server_that_dies_leaves_no_query_running(dist):
    process, port = start_server(dist)
    try:
        connection = send_runaway(port)
        running = wait_for(lambda: workers(process.pid), "the query's process")
    finally:
        process.kill()  # as by the OOM killer: no clean-up in the server
        process.wait()
    wait_for(lambda: not running & set(processes()), "the query's process after the server died")  # its query takes days
    connection.close()


# -- 22: Host and Accept headers --------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "", "a b", "[::1", "evil.example:99999"])
def test_a_foreign_host_header_changes_nothing(client, host):
    headers = {"Host": host, "Accept": "text/turtle"}
    thing = client.get("/id/party/ak-zhol", headers=headers)
    assert thing.status_code == 303 and thing.headers["Location"] == "/id/party/ak-zhol.ttl"
    assert client.get("/ontology", headers=headers).headers["Location"] == "/ontology.ttl"
    doubled = client.get("/id//party//ak-zhol", headers=headers)  # Werkzeug would redirect to http://{Host}/id/party/...
    assert doubled.status_code == 404 and "Location" not in doubled.headers
    assert client.get(sparql(query=TRIVIAL), headers={"Host": host}).status_code == 200


def test_a_host_header_too_long_to_be_a_name_is_400(client):
    assert client.get("/id/party/ak-zhol", headers={"Host": "x" * 10_000}).status_code == 400


UNKNOWN = ", ".join(f"application/x-kind-{i}" for i in range(500))  # about 12 kB


@pytest.mark.parametrize("accept, thing, answer", [
    ("*/*;q=0", 406, 406),
    ("text/html;q=0, */*;q=0", 406, 406),
    ("application/x-unknown", 406, 406),
    (";;;,,,q=abc", 406, 406),
    (UNKNOWN, 406, 406),
    (UNKNOWN + ", text/turtle", "ttl", 406),  # Turtle is no format for a SELECT answer
    (UNKNOWN + ", text/csv", 406, "text/csv"),
    ("text/turtle;q=abc", "html", "application/sparql-results+json"),  # an unreadable weight: the entry is ignored
    ("text/html", "html", "application/sparql-results+json"),  # a browser gets JSON
], ids=["q=0", "q=0 twice", "unknown", "garbage", "10 kB unknown", "10 kB then turtle", "10 kB then csv", "bad weight", "html"])
def test_odd_accept_headers_get_406_or_the_default(client, accept, thing, answer):
    resource = client.get("/id/party/ak-zhol", headers={"Accept": accept})
    assert resource.status_code == thing if isinstance(thing, int) else resource.headers["Location"] == f"/id/party/ak-zhol.{thing}"
    select = client.get(sparql(query="SELECT ?s WHERE { ?s a kze:Election }"), headers={"Accept": accept})
    assert select.status_code == answer if isinstance(answer, int) else select.mimetype == answer
    assert client.get("/id/party/ak-zhol.html", headers={"Accept": accept}).status_code == 200  # a document is what its name says


# -- 23: paths --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/id/..%2f..%2fetc/passwd", "/id/%2e%2e/%2e%2e/etc/passwd", "/id/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/%2e%2e/%2e%2e/etc/passwd",
    "/id/party/%252e%252e%252f%252e%252e%252fetc%252fpasswd", "/id/..%5c..%5cetc%5cpasswd", "/id/..%255c..%255cetc%255cpasswd",
    "/id/../../etc/passwd", "/id/party/ak-zhol.html%00.ttl", "/ontology.%2e%2e%2fkzelect.nt", "/id/../kzelect.nt",
    "/kzelect.nt", "/SHA256SUMS", "/store/db/CURRENT", "/ontology.ttl/../kzelect.nt",
])
def test_encoded_path_traversal_to_the_real_server_is_404(served, path):
    status, _, body = fetch(served[1], path)
    assert status == 404 and b"Nothing in the kzelect graph has the address" in body
    assert b"root:" not in body and b"<https://w3id.org/kzelect/" not in body


def test_no_address_reaches_a_file_or_a_symlink_in_the_build_folder(dist, tmp_path):
    """The server reads pages from the graph and the ontology from one fixed file: nothing by path."""
    out = tmp_path / "dist"
    shutil.copytree(dist, out, symlinks=True)
    (out / "evil").symlink_to("/etc/passwd")
    (out / "static").symlink_to("/etc")
    (out / "id").mkdir()
    (out / "id" / "passwd").symlink_to("/etc/passwd")
    (out / "id" / "party").symlink_to("/etc")
    planted = Client(make_app(out, paths.DATA))
    for path in ("/evil", "/static/passwd", "/id/passwd", "/id/party/passwd", "/id/evil", "/static/../evil", "/kzelect.ttl"):
        response = planted.get(path)
        assert response.status_code == 404, path
        assert "root:" not in response.get_data(as_text=True)
