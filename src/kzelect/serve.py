"""`kzelect serve`: every URI of the graph at its own path, with content negotiation, and a SPARQL endpoint.

URI conventions (the classic 303 pattern for things that are not documents):

- ``/id/{kind}/{slug}`` names a thing (a party, an election). A request for it gets ``303 See
  Other`` to a document about it: ``/id/{kind}/{slug}.html``, ``.ttl``, ``.jsonld`` or ``.nt``,
  chosen by the ``Accept`` header (HTML when the client takes anything) or by ``?format=``
  (html, ttl, turtle, jsonld, json-ld, nt, ntriples), with ``Vary: Accept``. An ``Accept`` that
  allows none of them gets 406.
- ``/id/{kind}/{slug}.{ext}`` are those documents, served directly.
- Hash IRIs (``/id/quote/...#target``) are described by the document of the IRI before the ``#``.
- A retired identifier (``owl:deprecated``) answers ``301 Moved Permanently`` to its replacement.
- Anything else under ``/id/`` is a 404 with a page that helps.
- ``/sparql``: the SPARQL 1.1 Protocol (GET ``?query=``, POST form or ``application/sparql-query``),
  with the read-only rules, refusals and limits of ``kzelect query``; GET without a query shows a
  query page with the shipped queries as examples.

Pages and documents are looked up in the graph by IRI, never by a path on disk, and no answer is
built from the ``Host`` header (redirects are to absolute paths).

Requests are served in threads. At most ``queries`` SPARQL queries run at a time, each in its own
process (time, row and memory limits); a query that finds no free slot within ``wait`` seconds
gets ``429 Too Many Requests`` with ``Retry-After``. Pages never wait for a query slot. A query
whose client disconnects is stopped.
"""

from __future__ import annotations

import math
import re
import threading
from pathlib import Path

from werkzeug.exceptions import HTTPException, NotAcceptable, NotFound, RequestEntityTooLarge, abort
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .errors import KzelectError
from .execute import ClientGone, Limits, MemoryLimitReached, TimeLimitReached
from .namespaces import BASE
from .pages import DOCUMENTS, TEMPLATES, Site
from .results import SELECT_FORMATS

FORMAT_ALIASES = {"html": "html", "ttl": "ttl", "turtle": "ttl", "jsonld": "jsonld", "json-ld": "jsonld", "nt": "nt",
                  "ntriples": "nt", "n-triples": "nt"}
RESULT_TYPES = {"application/sparql-results+json": "json", "application/json": "json", "application/sparql-results+xml": "xml",
                "application/xml": "xml", "text/csv": "csv", "text/tab-separated-values": "tsv"}
GRAPH_TYPES = {"text/turtle": "turtle", "application/ld+json": "jsonld", "application/n-triples": "nt"}
MAX_QUERY_BYTES = 100_000
SAFE_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9_~-]*(?:[/.][A-Za-z0-9][A-Za-z0-9_~-]*)*")
ENDPOINT_LIMITS = Limits(seconds=10, rows=10_000, memory=256)
QUERY_SLOTS = 4  # queries running at once: with the memory limit, at most 1 GB of data for queries
QUERY_WAIT = 2.0  # seconds a query waits for a free slot before a 429


class App:
    """The WSGI application over one build (``out``) and the data's source texts."""

    def __init__(self, site: Site, out: Path, limits: Limits = ENDPOINT_LIMITS, queries: int = QUERY_SLOTS,
                 wait: float = QUERY_WAIT):
        self.site, self.out, self.limits, self.queries, self.wait = site, out, limits, queries, wait
        self.slots = threading.BoundedSemaphore(queries)
        self.urls = Map([Rule("/", endpoint="home"), Rule("/sparql", endpoint="sparql", methods=["GET", "POST"]),
                         Rule("/id/<path:rest>", endpoint="resource"), Rule("/ontology", endpoint="ontology"),
                         Rule("/ontology.<ext>", endpoint="ontology_document")],
                        strict_slashes=False, merge_slashes=False)  # no redirect, which werkzeug would build from Host

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, args = self.urls.bind_to_environ(environ).match()
            response = getattr(self, endpoint)(request, **args)
        except NotFound:
            response = self.html(self.site.not_found(request.path), 404)
        except HTTPException as error:
            response = error.get_response(environ)
        return response(environ, start_response)

    @staticmethod
    def html(text: str, status: int = 200) -> Response:
        return Response(text, status, content_type="text/html; charset=utf-8")

    def home(self, request: Request) -> Response:
        return self.html(self.site.home(request.args.get("q", "")[:200]))

    def ontology(self, request: Request) -> Response:
        response = Response(status=303, headers={"Location": f"/ontology.{self.negotiate(request)}"})
        response.vary.add("Accept")
        return response

    def ontology_document(self, request: Request, ext: str) -> Response:
        from .pages import ontology_document, ontology_page

        if ext not in DOCUMENTS:
            raise NotFound()
        path = self.out / "ontology.ttl"
        data = ontology_page(path, self.site.static).encode("utf-8") if ext == "html" else ontology_document(path, ext)
        return Response(data, content_type=DOCUMENTS[ext] + "; charset=utf-8")

    def resource(self, request: Request, rest: str) -> Response:
        if not SAFE_PATH.fullmatch(rest):
            raise NotFound()  # our ids are kind/slug in plain characters: nothing else can name a resource
        stem, dot, ext = rest.rpartition(".")
        if dot and ext in DOCUMENTS and "/" in stem:
            return self.document(request, BASE + "id/" + stem, ext)
        iri = BASE + "id/" + rest
        replacement = self.site.graph.replacement(iri)
        if replacement:
            return Response(status=301, headers={"Location": replacement[len(BASE) - 1:] if replacement.startswith(BASE) else replacement})
        if not self.site.graph.exists(iri):
            raise NotFound()
        fmt = self.negotiate(request)
        response = Response(status=303, headers={"Location": f"/id/{rest}.{fmt}"})
        response.vary.add("Accept")
        return response

    def negotiate(self, request: Request) -> str:
        asked = request.args.get("format")
        if asked:
            if asked.lower() not in FORMAT_ALIASES:
                raise NotAcceptable(f"?format={asked}: use one of {', '.join(FORMAT_ALIASES)}")
            return FORMAT_ALIASES[asked.lower()]
        by_type = {kind: ext for ext, kind in DOCUMENTS.items()}
        best = request.accept_mimetypes.best_match(list(by_type), default=None)
        if best is None:
            if not request.accept_mimetypes:
                return "html"
            raise NotAcceptable("this resource is available as " + ", ".join(by_type))
        return by_type[best]

    def document(self, request: Request, iri: str, ext: str) -> Response:
        if not self.site.graph.exists(iri):
            raise NotFound()
        charset = "; charset=utf-8"
        return Response(self.site.document(iri, ext), content_type=DOCUMENTS[ext] + charset)

    def sparql(self, request: Request) -> Response:
        from .execute import ask
        from .results import write

        text = self.query_text(request)
        if text is None:
            return self.html(self.query_page())
        if not self.slots.acquire(timeout=self.wait):
            return _plain(429, f"{self.queries} queries are running already; try again in a few seconds",
                          {"Retry-After": str(math.ceil(self.limits.seconds or 1))})
        try:
            answer = ask(text, self.out, self.limits, start="forkserver", client=request.environ.get("werkzeug.socket"))
        except (TimeLimitReached, MemoryLimitReached) as error:
            return _plain(503, str(error))
        except ClientGone as error:
            return _plain(499, str(error))  # nginx's "client closed request": nobody reads it
        except KzelectError as error:
            return _plain(400, str(error))
        finally:
            self.slots.release()
        graph = answer.form in ("CONSTRUCT", "DESCRIBE")
        types = GRAPH_TYPES if graph else RESULT_TYPES
        best = request.accept_mimetypes.best_match(list(types), default=None)
        if best is None and request.accept_mimetypes and not request.accept_mimetypes.quality("text/html"):  # a browser gets the default
            raise NotAcceptable("answers are available as " + ", ".join(types))
        best = best or ("text/turtle" if graph else "application/sparql-results+json")
        response = Response(write(answer, types[best]), content_type=best + "; charset=utf-8")
        response.vary.add("Accept")
        if answer.truncated:
            response.headers["X-Kzelect-Truncated"] = f"true; limit={answer.limit}"
        return response

    def query_text(self, request: Request) -> str | None:
        """The query of a request, or None; refuses updates, and queries (or bodies) over the size limit, before reading on."""
        too_large = _plain(413, f"a query may be at most {MAX_QUERY_BYTES:,} bytes")
        request.max_content_length = MAX_QUERY_BYTES + 1  # read a chunked body (no Content-Length) one byte past the limit
        try:
            body = request.get_data()  # kept for the form parser
        except RequestEntityTooLarge:  # the Content-Length says so
            abort(too_large)
        if len(body) > MAX_QUERY_BYTES:
            abort(too_large)
        post = request.method == "POST"
        if "update" in request.args or post and ("update" in request.form or request.mimetype == "application/sparql-update"):
            abort(_plain(400, "updates are refused: the graph is read-only"))
        if post and request.mimetype == "application/sparql-query":
            return body.decode("utf-8", "replace")
        text = (request.form if post else request.args).get("query")
        if text is not None and len(text.encode("utf-8")) > MAX_QUERY_BYTES:  # a GET has no body: measure the query itself
            abort(too_large)
        return text

    def query_page(self) -> str:
        from .queries import named_queries

        return TEMPLATES.get_template("sparql.html").render(title="SPARQL", queries=named_queries().values(),
                                                              formats=sorted(SELECT_FORMATS), static=False)


def _plain(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(message + "\n", status, headers, content_type="text/plain; charset=utf-8")


def make_app(out: Path, data_dir: Path) -> App:
    """The application for the build in ``out`` (refreshed first) and the source texts in ``data_dir``."""
    from .data import load_data
    from .graph import uri
    from .store import open_store

    data = load_data(data_dir)
    texts = {str(uri(source_id)): text.text for source_id, text in data.texts.items()}
    return App(Site(open_store(out), out / "ontology.ttl", texts), out)
