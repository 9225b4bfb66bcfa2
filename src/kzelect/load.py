"""Loading the graph into a running triple store over the SPARQL 1.1 Graph Store HTTP Protocol.

``load`` PUTs the N-Triples export to ``{endpoint}?graph={iri}`` (replacing that graph), then GETs
the graph back and counts its triples: the count is what the store holds, not what was sent. HTTP
Basic and Digest authentication are both answered (Virtuoso's ``/sparql-graph-crud-auth`` wants
Digest); the password comes from an environment variable, never from the command line.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from .errors import EXIT_INVALID, KzelectError
from .namespaces import BASE

DEFAULT_GRAPH = BASE + "id/graph/kzelect"
NTRIPLES = "application/n-triples"
TURTLE = "text/turtle"
READABLE = {NTRIPLES: pyoxigraph.RdfFormat.N_TRIPLES, TURTLE: pyoxigraph.RdfFormat.TURTLE,
            "application/rdf+xml": pyoxigraph.RdfFormat.RDF_XML, "text/plain": pyoxigraph.RdfFormat.N_TRIPLES}


class LoadError(KzelectError):
    """The store could not be reached, refused the graph, or answered something unreadable."""


class CountMismatch(KzelectError):
    exit_code = EXIT_INVALID


@dataclass(frozen=True)
class Loaded:
    endpoint: str
    graph: str
    sent: int  # triples in the export
    held: int  # triples the store returns for the graph afterwards


def graph_url(endpoint: str, graph: str) -> str:
    """The Graph Store Protocol's indirect graph identification: ``?graph=`` added to the endpoint."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LoadError(f"--endpoint {endpoint!r}: give an http:// or https:// URL of a Graph Store Protocol service")
    query = "&".join(filter(None, [parts.query, urllib.parse.urlencode({"graph": graph})]))
    return urllib.parse.urlunsplit(parts._replace(query=query))


def opener(url: str, user: str | None, password: str | None) -> urllib.request.OpenerDirector:
    handlers: list = [urllib.request.ProxyHandler({})]  # a store on this machine or network, never via a proxy
    if user is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, user, password or "")
        handlers += [urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)]
    return urllib.request.build_opener(*handlers)


def _call(open_url, request: urllib.request.Request, timeout: float) -> tuple[str, bytes]:
    try:
        with open_url.open(request, timeout=timeout) as response:
            return response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        body = error.read()[:500].decode("utf-8", "replace").strip()
        failure = LoadError(f"{request.get_method()} {request.full_url}: the store answered {error.code} {error.reason}"
                            + (f": {body}" if body else ""))
        failure.status = error.code
        failure.challenge = error.headers.get("WWW-Authenticate", "") if error.code == 401 else ""
        raise failure from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise LoadError(f"{request.get_method()} {request.full_url}: cannot reach the store ({reason})") from None


def authorization(url: str, user: str | None, password: str | None, timeout: float) -> str | None:
    """The Authorization header for a PUT to ``url``, from the store's answer to a PUT with no body.

    A store may close the connection on an unauthenticated request without reading its body (Virtuoso
    does), so a large PUT cannot wait for the challenge: like curl, ask first with an empty one.
    Where the store wants no authentication, that empty PUT replaces the graph, as the real one is about to.
    """
    probe = urllib.request.Request(url, data=b"", method="PUT", headers={"Content-Type": NTRIPLES})
    try:
        _call(opener(url, None, None), probe, timeout)
        return None
    except LoadError as error:
        if getattr(error, "status", None) is None:
            raise  # the store cannot be reached
        challenge = getattr(error, "challenge", "")
        if not challenge:
            return None  # any other answer: the PUT itself will meet it, and say so
    if user is None:
        raise LoadError(f"PUT {url}: the store asks for authentication ({challenge.split()[0]}); "
                        "give --user and --password-env")
    _check_credentials(url, user, password, timeout)
    scheme, _, fields = challenge.partition(" ")
    if scheme.lower() == "basic":
        return "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
    if scheme.lower() == "digest":
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, user, password or "")
        challenge_fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(fields))
        request = urllib.request.Request(url, method="PUT")
        return "Digest " + urllib.request.HTTPDigestAuthHandler(passwords).get_authorization(request, challenge_fields)
    raise LoadError(f"PUT {url}: the store asks for {scheme} authentication; kzelect answers Basic and Digest")


def _check_credentials(url: str, user: str, password: str | None, timeout: float) -> None:
    """Try the credentials on a HEAD of the graph first: a store that refuses them on the PUT itself may close
    the connection before reading the data (Virtuoso does), and the client then sees a broken pipe, not the 401."""
    try:
        _call(opener(url, user, password), urllib.request.Request(url, method="HEAD", headers={"Accept": NTRIPLES}), timeout)
    except LoadError as error:
        if getattr(error, "status", None) == 401:
            raise LoadError(f"PUT {url}: the store refused the credentials of user {user!r} (401); "
                            "check --user and the password in --password-env") from None
        # any other answer (no such graph yet, HEAD not supported): the PUT will tell


def put_graph(ntriples: bytes, endpoint: str, graph: str = DEFAULT_GRAPH, user: str | None = None,
              password: str | None = None, timeout: float = 300) -> None:
    """Replace ``graph`` in the store with these N-Triples (as Turtle, of which N-Triples is a subset, if refused)."""
    url = graph_url(endpoint, graph)
    header = authorization(url, user, password, timeout)
    client = opener(url, None, None)
    for kind in (NTRIPLES, TURTLE):
        headers = {"Content-Type": kind} | ({"Authorization": header} if header else {})
        try:
            _call(client, urllib.request.Request(url, data=ntriples, method="PUT", headers=headers), timeout)
            return
        except LoadError as error:
            if kind == TURTLE or getattr(error, "status", None) != 415:
                raise


def count_graph(endpoint: str, graph: str = DEFAULT_GRAPH, user: str | None = None, password: str | None = None,
                timeout: float = 300) -> int:
    """The number of triples the store returns for ``graph``."""
    url = graph_url(endpoint, graph)
    accept = f"{NTRIPLES}, {TURTLE};q=0.9, application/rdf+xml;q=0.5"
    kind, body = _call(opener(url, user, password), urllib.request.Request(url, headers={"Accept": accept}), timeout)
    if kind not in READABLE:
        raise LoadError(f"GET {url}: the store answered {kind}, which is not an RDF syntax kzelect reads "
                        f"({', '.join(READABLE)})")
    try:
        return sum(1 for _ in pyoxigraph.parse(body, format=READABLE[kind]))
    except SyntaxError as error:
        raise LoadError(f"GET {url}: the store's {kind} answer does not parse: {error}") from None


def load(out: Path, endpoint: str, graph: str = DEFAULT_GRAPH, user: str | None = None, password: str | None = None,
         timeout: float = 300) -> Loaded:
    """Put the build's N-Triples export into ``graph`` at ``endpoint``; check what the store then holds."""
    from .store import NTRIPLES as EXPORT
    from .store import NoBuild

    path = Path(out) / EXPORT
    if not path.exists():
        raise NoBuild(f"{path}: no build output to load; run `kzelect build` first")
    ntriples = path.read_bytes()
    sent = sum(1 for line in ntriples.splitlines() if line.strip())
    put_graph(ntriples, endpoint, graph, user, password, timeout)
    held = count_graph(endpoint, graph, user, password, timeout)
    loaded = Loaded(endpoint, graph, sent, held)
    if held != sent:
        raise CountMismatch(f"the store at {endpoint} holds {held} triples in <{graph}>, but the export has {sent}")
    return loaded
