"""A throw-away OpenLink Virtuoso server for integration tests (not a test module).

Uses the Virtuoso Open Source 7 that Debian packages (``apt-get install virtuoso-opensource``:
the server ``virtuoso-t`` and its SQL client ``isql-vt``; elsewhere the client may be called
``isql``, but on Debian that name is unixODBC's unrelated tool, so ``isql`` is used only if it
says it is Virtuoso's). The system instance that the package sets up (ports 1111 and 8890,
``/var/lib/virtuoso-opensource-7``) is never used or touched::

    with Virtuoso(dirs_allowed=[export_dir]) as server:
        server.bulk_load(export_dir / "kzelect.nt", "https://w3id.org/kzelect/id/graph/kzelect")
        result = server.select("SELECT * WHERE { ?s ?p ?o } LIMIT 3",
                               default_graph="https://w3id.org/kzelect/id/graph/kzelect")
        server.put_graph(Path("more.nt").read_bytes(), "urn:example:graph")  # Graph Store Protocol

Each ``Virtuoso`` gets its own temporary folder holding a minimal ``virtuoso.ini``, a brand-new
database (so the DBA account is ``dba``/``dba``) and the server log; the server listens on
127.0.0.1 only, on two free ports (ISQL/SQL and HTTP). It runs as a child process in the
foreground; leaving the ``with`` block stops it (SIGTERM, which Virtuoso answers with a quick
shutdown, then SIGKILL if needed) and deletes the folder. On Linux the child is also told to die
if the thread that started it dies (``PR_SET_PDEATHSIG``), so a killed test run leaves no server.
A fresh database takes Virtuoso 7.2 some 15-40 seconds of CPU to initialise.

Bulk loading (Virtuoso's documented bulk loader; ``bulk_load`` runs exactly this through isql,
and the folder of the file must be listed in the ini's ``DirsAllowed``)::

    isql-vt 127.0.0.1:1111 dba dba
    SQL> ld_add('/path/to/kzelect.nt', 'https://w3id.org/kzelect/id/graph/kzelect');
    SQL> rdf_loader_run();
    SQL> checkpoint;
    SQL> SELECT ll_state, ll_error FROM DB.DBA.load_list WHERE ll_file = '/path/to/kzelect.nt';

(``ll_state`` 2 and ``ll_error`` NULL mean it loaded; ``ld_dir('/path/to', '*.nt', '<graph>')``
registers every matching file of a folder instead of one file. The loader adds to the graph; a
file already in ``DB.DBA.load_list`` is not loaded again, so ``bulk_load`` first deletes its row.)

Queries go to the SPARQL Protocol endpoint ``http://127.0.0.1:<port>/sparql`` (POST, with
``default-graph-uri``); without a default graph Virtuoso queries the union of all its graphs,
including its own system graphs.

Writes through the SPARQL 1.1 Graph Store HTTP Protocol: ``gsp_url`` is
``http://127.0.0.1:<port>/sparql-graph-crud-auth``, with HTTP *digest* authentication as
``user``/``password`` (``dba``/``dba`` in a fresh database; Basic authentication gets 401).
``PUT <gsp_url>?graph=<iri>`` with an N-Triples (``application/n-triples``) or Turtle
(``text/turtle``) body replaces the named graph (201 if it was new, else 200); ``POST`` adds to
it, ``DELETE`` drops it (200). ``GET`` needs no authentication on ``gsp_read_url``
(``/sparql-graph-crud``). The curl equivalent of ``put_graph`` (the IRI may be percent-encoded
or not)::

    curl --digest -u dba:dba -X PUT -H 'Content-Type: application/n-triples' --data-binary @kzelect.nt \\
         'http://127.0.0.1:8890/sparql-graph-crud-auth?graph=https%3A%2F%2Fw3id.org%2Fkzelect%2Fid%2Fgraph%2Fkzelect'

curl first sends the PUT with an empty body to get the digest challenge; ``put_graph`` gets it
from a GET instead (see ``_digest_authorization``): Virtuoso refuses an unauthenticated request
without reading its body, so a client that sends a large body first sees a broken pipe.

The unauthenticated ``/sparql-graph-crud`` refuses writes (403, "Permission denied for delete
from DB.DBA.RDF_QUAD (user ID = 107)") unless ``GRANT SPARQL_UPDATE TO "SPARQL";`` is run in
isql, which lets anyone who can reach the port write to every graph: do that only on a private,
throw-away server, if at all.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

#: Where to look for the binaries besides PATH (OpenLink's own packages and source builds).
EXTRA_BIN_DIRS = ("/usr/local/virtuoso-opensource/bin", "/opt/virtuoso-opensource/bin", "/usr/local/bin")

INSTALL_HINT = "install Debian's package: apt-get install virtuoso-opensource"


def _which(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in EXTRA_BIN_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _is_virtuoso_isql(path: str) -> bool:
    """unixODBC ships an unrelated ``isql``; Virtuoso's introduces itself as "OpenLink ... Interactive SQL"."""
    try:
        out = subprocess.run([path, "-?"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    return "virtuoso" in (out.stdout + out.stderr).lower()


def find_server() -> str | None:
    """The ``virtuoso-t`` binary (``$VIRTUOSO_T`` if set), or None."""
    if os.environ.get("VIRTUOSO_T"):
        return shutil.which(os.environ["VIRTUOSO_T"])
    return _which("virtuoso-t")


def find_isql() -> str | None:
    """Virtuoso's isql client (``$VIRTUOSO_ISQL`` if set, else ``isql-vt``, else an ``isql`` that is Virtuoso's), or None."""
    if os.environ.get("VIRTUOSO_ISQL"):
        return shutil.which(os.environ["VIRTUOSO_ISQL"])
    found = _which("isql-vt")
    if found:
        return found
    found = _which("isql")
    return found if found and _is_virtuoso_isql(found) else None


def available() -> str | None:
    """None if a Virtuoso server can be started here; otherwise why not (for ``pytest.skip``)."""
    if find_server() is None:
        return f"Virtuoso's server virtuoso-t is not on PATH and $VIRTUOSO_T names no program ({INSTALL_HINT})"
    if find_isql() is None:
        return f"Virtuoso's client isql-vt is not on PATH and $VIRTUOSO_ISQL names no program ({INSTALL_HINT})"
    return None


class VirtuosoError(RuntimeError):
    """Virtuoso failed to start, load or answer."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: have the kernel send SIGTERM to the server when the thread that started it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
    except Exception:  # best effort only; the context manager is the real cleanup
        pass


#: Every HTTP request goes straight to 127.0.0.1, whatever ``http_proxy`` the environment sets.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


INI = """\
; A minimal, private Virtuoso: everything in {dir}, listening on 127.0.0.1 only.
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort           = 127.0.0.1:{isql_port}
DisableUnixSocket    = 1
DirsAllowed          = {dirs_allowed}
; 2000 buffers of 8 KiB: 16 MB of page cache, plenty for a graph of some 10^4 triples.
NumberOfBuffers      = 2000
MaxDirtyBuffers      = 1200
MaxQueryMem          = 256M
ThreadsPerQuery      = 2
MaxClientConnections = 8
CheckpointInterval   = 0
VADInstallDir        = {dir}/vad

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {dir}/www
ServerThreads        = 4
MaxClientConnections = 4
Charset              = UTF-8

[SPARQL]
; No silent truncation of results and no "anytime" partial answers.
ResultSetMaxRows      = 1000000
MaxQueryExecutionTime = 0
"""


class Virtuoso:
    """A private Virtuoso server in a temporary folder; use as a context manager.

    ``dirs_allowed``: folders the bulk loader may read files from, besides the temporary folder
    (a file elsewhere is copied into the temporary folder first). ``startup_timeout``: seconds to
    wait for a fresh database to come online (default ``$VIRTUOSO_STARTUP_TIMEOUT`` or 300).
    """

    user = "dba"
    password = "dba"

    def __init__(self, dirs_allowed=(), startup_timeout: float | None = None, http_timeout: float = 300.0):
        self.dirs_allowed = [Path(d).resolve() for d in dirs_allowed]
        self.startup_timeout = startup_timeout or float(os.environ.get("VIRTUOSO_STARTUP_TIMEOUT", "300"))
        self.http_timeout = http_timeout
        self.server_bin = find_server()
        self.isql_bin = find_isql()
        self.directory: Path | None = None
        self.process: subprocess.Popen | None = None
        self.isql_port = self.http_port = 0
        self.startup_seconds = 0.0

    # -- life cycle -------------------------------------------------------------------------------

    def __enter__(self) -> Virtuoso:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def log_path(self) -> Path:
        return self._dir / "virtuoso.log"

    @property
    def _dir(self) -> Path:
        if self.directory is None:
            raise VirtuosoError("the server is not started")
        return self.directory

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql_url(self) -> str:
        """The SPARQL 1.1 Protocol query endpoint."""
        return f"{self.base_url}/sparql"

    @property
    def gsp_url(self) -> str:
        """The Graph Store HTTP Protocol endpoint for writes (digest authentication as ``user``/``password``)."""
        return f"{self.base_url}/sparql-graph-crud-auth"

    @property
    def gsp_read_url(self) -> str:
        """The unauthenticated Graph Store endpoint: GET works, writes are refused (403)."""
        return f"{self.base_url}/sparql-graph-crud"

    def start(self, attempts: int = 3) -> None:
        """Start the server and wait until both its SQL and HTTP ports answer."""
        reason = available()
        if reason:
            raise VirtuosoError(reason)
        began = time.monotonic()
        for attempt in range(1, attempts + 1):
            try:
                self._launch()
                self._wait_until_ready()
                self.startup_seconds = time.monotonic() - began
                return
            except BaseException as error:
                if not isinstance(error, VirtuosoError):  # e.g. KeyboardInterrupt: leave nothing behind
                    self.stop()
                    raise
                log = self.log_tail()
                self.stop()
                # "Failed to start listening at SQL port '127.0.0.1:N'" / "Failed HTTP listen at 127.0.0.1:N":
                # another process took one of the free ports since free_port() saw it; try new ones.
                port_taken = "failed to start listening" in log.lower() or "failed http listen" in log.lower()
                if not (port_taken and attempt < attempts):
                    raise VirtuosoError(f"{error}\n--- last lines of the Virtuoso log ---\n{log}") from None

    def _launch(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="virtuoso-test-")).resolve()
        (self.directory / "www").mkdir()
        (self.directory / "vad").mkdir()
        self.isql_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.isql_port:
            self.http_port = free_port()
        allowed = [".", str(self.directory), *(str(d) for d in self.dirs_allowed)]
        (self.directory / "virtuoso.ini").write_text(
            INI.format(dir=self.directory, isql_port=self.isql_port, http_port=self.http_port, dirs_allowed=", ".join(allowed)),
            encoding="utf-8",
        )
        # In the foreground Virtuoso writes its log to standard output rather than ErrorLogFile.
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.server_bin, "+foreground", "+configfile", str(self.directory / "virtuoso.ini")],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C at the terminal reaches pytest, which then stops us cleanly
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise VirtuosoError(f"virtuoso-t exited with status {self.process.returncode} while starting")
            if "Server online at" in self.log_path.read_text(encoding="utf-8", errors="replace") and self._http_ready():
                return
            if time.monotonic() > deadline:
                raise VirtuosoError(
                    f"Virtuoso did not come online within {self.startup_timeout:.0f} s "
                    f"(ports {self.isql_port}, {self.http_port}; set VIRTUOSO_STARTUP_TIMEOUT to wait longer)"
                )
            time.sleep(0.25)

    def _http_ready(self) -> bool:
        try:
            with _HTTP.open(f"{self.sparql_url}?query=ASK%7B%7D", timeout=5) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 30 s) and delete its folder; safe to call twice."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, VirtuosoError):
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- SQL --------------------------------------------------------------------------------------

    def isql(self, *statements: str, timeout: float = 600.0) -> str:
        """Run SQL statements (each without its final ``;``) as dba; their output; raise on any error."""
        script = "".join(f"{s.strip().rstrip(';')};\n" for s in statements)
        command = [self.isql_bin, f"127.0.0.1:{self.isql_port}", self.user, self.password,
                   "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF", "ERRORS=STDOUT"]
        try:
            done = subprocess.run(command, input=script, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise VirtuosoError(f"isql did not finish within {timeout:.0f} s:\n{script}") from None
        output = done.stdout + done.stderr
        # isql goes on after a failed statement and exits 0: errors are known only by their text.
        if done.returncode != 0 or "*** Error" in output:
            raise VirtuosoError(f"isql failed (exit status {done.returncode}):\n{script}--- output ---\n{output}")
        return done.stdout

    def bulk_load(self, path: str | Path, graph_iri: str) -> None:
        """Load an RDF file (N-Triples, Turtle, N-Quads, RDF/XML by extension) into a graph with the bulk loader."""
        path = Path(path).resolve()
        if not any(path.parent == d or d in path.parent.parents for d in [self._dir, *self.dirs_allowed]):
            (self._dir / "load").mkdir(exist_ok=True)
            path = Path(shutil.copy2(path, self._dir / "load" / path.name))
        file = _sql_string(str(path))
        self.isql(
            f"DELETE FROM DB.DBA.load_list WHERE ll_file = {file}",
            f"ld_add({file}, {_sql_string(graph_iri)})",
            "rdf_loader_run()",
            "checkpoint",
        )
        status = self.isql(f"SELECT ll_state, ll_error FROM DB.DBA.load_list WHERE ll_file = {file}").split(None, 1)
        if not status or status[0] != "2" or status[1].strip() != "NULL":
            raise VirtuosoError(f"bulk load of {path} failed: ll_state, ll_error = {' '.join(status) or '(no row)'}")

    # -- HTTP -------------------------------------------------------------------------------------

    def select(self, query: str, default_graph: str | None = None) -> dict:
        """Run a SELECT (or ASK) query through the SPARQL Protocol; the parsed SPARQL 1.1 JSON results."""
        form = [("query", query)]
        if default_graph is not None:
            form.append(("default-graph-uri", default_graph))
        request = urllib.request.Request(
            self.sparql_url,
            data=urllib.parse.urlencode(form).encode("utf-8"),
            headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with _HTTP.open(request, timeout=self.http_timeout) as response:
                body = response.read()
                partial = response.headers.get("X-SQL-State")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", errors="replace").strip()
            raise VirtuosoError(f"Virtuoso answered HTTP {error.code} to the query:\n{detail}") from None
        except urllib.error.URLError as error:
            raise VirtuosoError(f"no answer from {self.sparql_url}: {error.reason}") from None
        if partial:  # "anytime" query cut short: the answer is incomplete
            raise VirtuosoError(f"Virtuoso returned a partial answer (X-SQL-State: {partial})")
        return json.loads(body)

    def count(self, graph_iri: str) -> int:
        """The number of triples in a named graph."""
        result = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}")
        return int(result["results"]["bindings"][0]["n"]["value"])

    def _digest_authorization(self, request: urllib.request.Request) -> str | None:
        """The ``Authorization`` header for a request, from the challenge to a body-less GET of the same URL.

        Virtuoso answers an unauthenticated PUT with 401 and closes the connection without reading
        the body, so a large body would fail with a broken pipe before urllib's digest handler could
        retry (curl avoids this by first sending the PUT with an empty body). Hence the probe.
        """
        probe = urllib.request.Request(request.full_url, method="GET")
        try:
            with _HTTP.open(probe, timeout=self.http_timeout):
                return None  # no authentication asked for
        except urllib.error.HTTPError as error:
            challenge = error.headers.get("WWW-Authenticate", "")
            if error.code != 401 or not challenge.lower().startswith("digest "):
                raise VirtuosoError(f"Graph Store: no digest challenge from GET {request.full_url} (HTTP {error.code})") from None
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, self.base_url, self.user, self.password)
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(challenge.split(" ", 1)[1]))
        return "Digest " + urllib.request.HTTPDigestAuthHandler(passwords).get_authorization(request, fields)

    def put_graph(self, data: bytes, graph_iri: str, content_type: str = "application/n-triples") -> int:
        """Replace a named graph through the Graph Store Protocol (``PUT gsp_url?graph=iri``); the HTTP status."""
        return self._gsp("PUT", graph_iri, data, content_type)

    def delete_graph(self, graph_iri: str) -> int:
        """Drop a named graph through the Graph Store Protocol; the HTTP status."""
        return self._gsp("DELETE", graph_iri)

    def _gsp(self, method: str, graph_iri: str, data: bytes | None = None, content_type: str | None = None) -> int:
        url = f"{self.gsp_url}?{urllib.parse.urlencode({'graph': graph_iri})}"
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type} if content_type else {})
        try:
            authorization = self._digest_authorization(request)
            if authorization:
                request.add_header("Authorization", authorization)
            with _HTTP.open(request, timeout=self.http_timeout) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", errors="replace").strip()
            raise VirtuosoError(f"Graph Store {method} {url}: HTTP {error.code}\n{detail}") from None
        except urllib.error.URLError as error:
            hint = " (the server stopped reading the body: wrong credentials?)" if isinstance(error.reason, BrokenPipeError) else ""
            raise VirtuosoError(f"Graph Store {method} {url}: {error.reason}{hint}") from None
