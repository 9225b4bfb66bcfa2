"""HTML pages and data documents for the resources of the graph (used by `kzelect serve`).

Pages are rendered with Jinja2 with autoescaping on, so every string from the data is escaped;
the embedded JSON-LD is escaped for a ``<script>`` element; only http(s) IRIs become links.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jinja2
import pyoxigraph
from markupsafe import Markup

from .describe import PREF_LABEL, RDF_TYPE, Description, Graph, local_path
from .namespaces import BASE, KZE, curie
from .results import Answer, write

OA = "http://www.w3.org/ns/oa#"
DCT_TITLE = "http://purl.org/dc/terms/title"
DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
ORG, SCHEMA = "http://www.w3.org/ns/org#", "https://schema.org/"
SINCE = str(KZE.since)
DOCUMENTS = {"html": "text/html", "ttl": "text/turtle", "jsonld": "application/ld+json", "nt": "application/n-triples"}
HOME_CLASSES = (("Elections", KZE.Election), ("Parties", KZE.PoliticalParty), ("People", KZE.Person),
                ("Observer missions", KZE.ObserverMission), ("Events", KZE.Event), ("Sources", KZE.SourceArticle))

TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("kzelect", "templates"),
                               autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
                               undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def script_json(document) -> Markup:
    """JSON safe inside <script>: '<', '>' and '&' as \\u escapes, so `</script>` in a label stays text."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))  # noqa: S704 - escaped above


SAFE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def safe_href(iri: str) -> str | None:
    """A link target for an IRI: our own as its HTML document (``/id/x.html``), other http(s) as is, anything else none."""
    path = local_path(iri)
    if path:
        return path + ".html" + ("#" + iri.split("#", 1)[1] if "#" in iri else "")
    if iri.startswith(str(KZE)) and SAFE_NAME.fullmatch(iri[len(str(KZE)):]):
        return "/ontology.html#" + iri[len(str(KZE)):]
    return iri if iri.startswith(("http://", "https://")) and not any(c in iri for c in " <>\"\n\r\t") else None


@dataclass
class Citation:
    iri: str
    source: str
    source_title: str
    prefix: str
    exact: str
    suffix: str
    start: int
    end: int

    @property
    def href(self) -> str | None:
        return safe_href(self.iri)

    @property
    def source_href(self) -> str | None:
        return safe_href(self.source)


class Site:
    """Everything a page needs: the graph, the ontology's labels, the source texts."""

    def __init__(self, store: pyoxigraph.Store, ontology: Path | None = None, texts: dict[str, str] | None = None):
        self.graph = Graph(store, ontology)
        self.texts = texts or {}  # source IRI -> text
        self.static = False  # a static copy: no server-side search

    # -- documents ---------------------------------------------------------------------------

    def document(self, iri: str, fmt: str) -> bytes:
        description = self.graph.describe(iri)
        if fmt == "html":
            return self.page(description).encode("utf-8")
        return write(Answer("CONSTRUCT", triples=description.triples), {"ttl": "turtle"}.get(fmt, fmt))

    def page(self, d: Description) -> str:
        label = self.graph.label(d.iri)
        jsonld = json.loads(write(Answer("CONSTRUCT", triples=d.triples), "jsonld"))
        return TEMPLATES.get_template("resource.html").render(
            title=label, iri=d.iri, path=local_path(d.iri), types=[(self.graph.label(t), safe_href(t)) for t in d.types],
            sentence=self.sentence(d), properties=self.properties(d), parts=self.parts(d), citations=self.citations(d),
            static=self.static,
            disagreements=self.disagreements(d), incoming=[(safe_href(s), self.graph.label(s), self.graph.label(p))
                                                           for s, p in d.incoming],
            replacement=self.graph.replacement(d.iri), replacement_href=safe_href(self.graph.replacement(d.iri) or ""),
            cite=cite(label, d.iri), jsonld=script_json(jsonld),
            source_text=self.marked_text(d) if str(KZE.SourceArticle) in d.types else None,
            chart=self.chart(d) if str(KZE.Election) in d.types else None)

    # -- parts of a page ---------------------------------------------------------------------

    def link(self, term: dict) -> dict:
        """A value for the page: text, and a link where it is an IRI that may be linked."""
        if term["type"] == "uri":
            return {"text": self.graph.label(term["value"]), "href": safe_href(term["value"]), "iri": term["value"]}
        return {"text": term["value"], "href": None, "iri": None}

    def properties(self, d: Description, subject: str | None = None) -> list[tuple[str, list[dict]]]:
        rows: dict[str, list[dict]] = {}
        for s, p, o in d.triples:
            if s["value"] == (subject or d.iri) and p["value"] not in (RDF_TYPE, str(KZE.citation)):
                rows.setdefault(p["value"], []).append(self.link(o))
        return [(self.graph.label(p), values) for p, values in rows.items()]

    def parts(self, d: Description) -> list[dict]:
        """The resource's hash nodes (a citation's #target, #quote, #position), each with its own anchor."""
        subjects = sorted({s["value"] for s, _, _ in d.triples if s["value"].startswith(d.iri + "#")})
        return [{"id": s.split("#", 1)[1], "iri": s, "types": [self.graph.label(t["value"]) for t in d.values(RDF_TYPE, s)],
                 "properties": self.properties(d, s)} for s in subjects]

    def citations(self, d: Description) -> list[Citation]:
        iris = [o["value"] for o in d.values(str(KZE.citation))]
        if str(KZE.Citation) in d.types:
            iris = [d.iri]
        return sorted((c for c in (self.citation(i) for i in iris) if c), key=lambda c: (c.source_title, c.start))

    def citation(self, iri: str) -> Citation | None:
        d = self.graph.describe(iri)
        target = d.value(OA + "hasTarget")
        if not target:
            return None
        source = d.value(OA + "hasSource", target) or ""
        selectors = [s["value"] for s in d.values(OA + "hasSelector", target)]
        quote = next((s for s in selectors if d.value(OA + "exact", s) is not None), None)
        position = next((s for s in selectors if d.value(OA + "start", s) is not None), None)
        if quote is None or position is None:
            return None
        return Citation(iri, source, self.graph.label(source), d.value(OA + "prefix", quote) or "", d.value(OA + "exact", quote),
                        d.value(OA + "suffix", quote) or "", int(d.value(OA + "start", position)), int(d.value(OA + "end", position)))

    def sentence(self, d: Description) -> str:
        """The fact in one sentence, in plain words, from the resource's own values (never beyond them)."""
        def name(predicate: str) -> str | None:
            value = d.value(predicate if predicate.startswith("http") else str(KZE[predicate]))
            return self.graph.label(value) if value and value.startswith("http") else value

        def names(predicate: str) -> str:
            values = [self.graph.label(t["value"]) if t["type"] == "uri" else t["value"]
                      for t in d.values(predicate if predicate.startswith("http") else str(KZE[predicate]))]
            return " and ".join(sorted(values))

        label, according = self.graph.label(d.iri), self.according(d.value(DERIVED))
        if str(KZE.PartyResult) in d.types:
            share, votes = d.value(str(KZE.shareStatedAs)) or d.value(str(KZE.voteShare)), d.value(str(KZE.votes))
            got = " and ".join(x for x in (f"{share} of the vote" if share else "", f"{int(votes):,} votes" if votes else "") if x)
            return f"{name('party')} received {got or 'a result'} in the {name('election')}{according}."
        if str(KZE.Figure) in d.types:
            measure = name("measure") or "a figure"
            return f"{measure[:1].upper() + measure[1:]} of {name('figureOf')}: “{name('statedAs') or name('value')}”{according}."
        if str(KZE.Assessment) in d.types:
            return f"{names('assessedBy')} on the {name('assessmentOf')}: “{name('statement')}”{according}."
        if str(KZE.ParticipantClaim) in d.types:
            return f"{names('claimant')} claimed: “{name('statement')}”{according}."
        if str(KZE.StanceAttribution) in d.types:
            during = f" at the {name('duringElection')}" if name("duringElection") else ""
            return f"{name('stanceOf')} is described as “{name('statedAs')}” ({name('stance')}){during}{according}."
        if str(KZE.RoleHolding) in d.types:
            since = f", since {name(SINCE)}" if name(SINCE) else ""
            return (f"{name(ORG + 'member')}: “{name('statedTitle')}” ({name(ORG + 'role')}) "
                    f"of {name(ORG + 'organization')}{since}{according}.")
        if str(KZE.ObserverMission) in d.types:
            sent = f", sent by {names('organizedBy')}" if names("organizedBy") else ""
            return f"{label} observed the {names('observes')}{sent}{according}."
        if str(KZE.Event) in d.types:
            when = f" on {name(SCHEMA + 'startDate')}" if name(SCHEMA + "startDate") else ""
            where = f" in {names(SCHEMA + 'location')}" if names(SCHEMA + "location") else ""
            return f"{label} ({name('eventType')}){when}{where}{according}."
        if str(KZE.Disagreement) in d.types:
            return f"Sources disagree: {label}. Each source's figure is below, side by side."
        kinds = ", ".join(self.graph.label(t) for t in d.types) or "resource"
        article = "an" if kinds[:1].lower() in "aeiou" else "a"
        return f"{label} is {article} {kinds} in the kzelect graph{according}."

    def according(self, source: str | None) -> str:
        if not source:
            return ""
        described = self.graph.describe(source)
        publisher = described.value("http://purl.org/dc/terms/publisher")
        title = described.value(DCT_TITLE) or self.graph.label(source)
        return f", according to {self.graph.label(publisher) + ' ' if publisher else ''}(“{title}”)"

    def disagreements(self, d: Description) -> list[dict]:
        """Each disagreement this resource is, or is a claim of: the claims side by side."""
        iris = [d.iri] if str(KZE.Disagreement) in d.types else [s for s, p in d.incoming if p == str(KZE.disagreeingClaim)]
        out = []
        for iri in iris:
            x = self.graph.describe(iri)
            preferred = x.value(str(KZE.preferredClaim))
            claims = []
            for claim in sorted(c["value"] for c in x.values(str(KZE.disagreeingClaim))):
                c = self.graph.describe(claim)
                stated = c.value(str(KZE.shareStatedAs)) or c.value(str(KZE.statedAs)) or ""
                source = c.value(DERIVED)
                claims.append({"label": self.graph.label(claim), "href": safe_href(claim), "stated": stated,
                               "source": self.graph.label(source) if source else "", "preferred": claim == preferred,
                               "current": claim == d.iri})
            out.append({"label": self.graph.label(iri), "href": safe_href(iri), "claims": claims,
                        "reason": x.value(str(KZE.preferenceReason))})
        return out

    def marked_text(self, d: Description) -> list[dict] | None:
        """The source's text cut into segments, each cited span marked and linked to the facts it supports."""
        text = self.texts.get(d.iri)
        if text is None:
            return None
        spans = []
        rows = self.graph.select(
            f"SELECT ?body ?start ?end WHERE {{ ?c <{OA}hasTarget> ?t ; <{OA}hasBody> ?body . ?t <{OA}hasSource> <{d.iri}> ; "
            f"<{OA}hasSelector> ?p . ?p <{OA}start> ?start ; <{OA}end> ?end }}")
        for row in rows:
            spans.append((int(row["start"]["value"]), int(row["end"]["value"]), row["body"]["value"]))
        cuts = sorted({0, len(text)} | {s for s, _, _ in spans} | {e for _, e, _ in spans})
        segments = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            covering = sorted({body for s, e, body in spans if s <= a and b <= e})
            starts = sorted({f"q-{s}-{e}" for s, e, _ in spans if s == a})
            ends = sorted({body for s, e, body in spans if e == b})
            segments.append({"text": text[a:b], "marked": bool(covering), "anchors": starts,
                             "facts": [{"href": safe_href(body), "label": self.graph.label(body)} for body in ends]})
        return segments

    def chart(self, d: Description) -> Markup | None:
        """Vote shares by party and source, and seats where a source states them, as an inline SVG bar chart."""
        rows = self.graph.select(
            f"SELECT ?party ?share ?source ?seats WHERE {{ ?r a <{KZE.PartyResult}> ; <{KZE.election}> <{d.iri}> ; "
            f"<{KZE.party}> ?p ; <{KZE.voteShare}> ?share ; <{DERIVED}> ?s . ?p <{PREF_LABEL}> ?party . ?s <{DCT_TITLE}> ?source "
            f"OPTIONAL {{ ?r <{KZE.seats}> ?seats }} }}")
        if not rows:
            return None
        bars = sorted(((r["party"]["value"], r["source"]["value"], float(r["share"]["value"]), r["share"]["value"],
                        r["seats"]["value"] if "seats" in r else None) for r in rows), key=lambda b: (-b[2], b[0], b[1]))
        return Markup(TEMPLATES.get_template("chart.svg").render(bars=bars, height=24 * len(bars) + 30))  # noqa: S704 - autoescaped

    @cached_property
    def home_lists(self) -> list[tuple[str, list[dict]]]:
        return [(title, [{"href": safe_href(i), "label": label, "also": [n for n in self.graph.names(i) if n != label]}
                         for i, label in self.graph.instances(str(cls))]) for title, cls in HOME_CLASSES]

    def home(self, query: str = "") -> str:
        found = self.search(query) if query else None
        return TEMPLATES.get_template("home.html").render(title="kzelect", lists=self.home_lists, query=query, found=found,
                                                          static=self.static)

    def search(self, query: str) -> list[dict]:
        """Everything with a name (any spelling) containing the query, case-insensitively."""
        needle = query.casefold().strip()
        return [item for _, items in self.home_lists for item in items
                if needle and any(needle in n.casefold() for n in [item["label"], *item["also"]])]

    def not_found(self, path: str) -> str:
        return TEMPLATES.get_template("notfound.html").render(title="Not found", path=path, static=self.static)


def cite(label: str, iri: str) -> dict:
    """The 'cite this' box: a formatted citation, BibTeX and CSL-JSON, with no access date (pages are stable)."""
    key = "kzelect-" + iri[len(BASE):].removeprefix("id/").replace("/", "-").replace("#", "-")
    bibtex = (f"@misc{{{key},\n  title = {{{label.replace('{', '').replace('}', '')}}},\n"
              f"  howpublished = {{\\url{{{iri}}}}},\n  note = {{kzelect: Kazakhstan's Mazhilis elections as a cited knowledge graph}}\n}}")
    csl = {"id": key, "type": "dataset", "title": label, "URL": iri, "publisher": "kzelect"}
    return {"text": f"“{label}”. kzelect: Kazakhstan's Mazhilis elections as a cited knowledge graph. {iri}",
            "bibtex": bibtex, "csl": json.dumps(csl, ensure_ascii=False, indent=1), "curie": curie(iri)}


def ontology_page(path: Path, static: bool = False) -> str:
    """The ontology as a page: each class and property with its label, comment and alignments, anchored by name."""
    from rdflib import OWL, RDF, RDFS, Graph, URIRef
    from rdflib.namespace import DCTERMS

    from .namespaces import ONTOLOGY_IRI, bind_prefixes

    graph = bind_prefixes(Graph()).parse(path, format="turtle")
    shown = graph.namespace_manager.normalizeUri
    ontology = graph.resource(URIRef(ONTOLOGY_IRI))
    sections = []
    for heading, kinds in (("Classes", (OWL.Class,)), ("Properties", (OWL.ObjectProperty, OWL.DatatypeProperty))):
        terms = []
        for term in sorted({s for k in kinds for s in graph.subjects(RDF.type, k) if str(s).startswith(str(KZE))}):
            facts = [(name, sorted(shown(o) for o in graph.objects(term, predicate)))
                     for name, predicate in (("subclass of", RDFS.subClassOf), ("subproperty of", RDFS.subPropertyOf),
                                             ("equivalent to", OWL.equivalentClass), ("domain", RDFS.domain), ("range", RDFS.range))]
            terms.append({"name": str(term)[len(str(KZE)):], "label": str(graph.value(term, RDFS.label) or ""),
                          "comment": str(graph.value(term, RDFS.comment) or ""), "facts": [(n, v) for n, v in facts if v]})
        sections.append((heading, terms))
    return TEMPLATES.get_template("ontology.html").render(
        title=str(ontology.value(DCTERMS.title) or "kzelect ontology"), iri=ONTOLOGY_IRI,
        version=str(ontology.value(OWL.versionInfo) or ""), description=str(ontology.value(DCTERMS.description) or ""),
        sections=sections, static=static)


def ontology_document(path: Path, fmt: str) -> bytes:
    """The ontology file, or the same triples as JSON-LD or N-Triples."""
    if fmt == "ttl":
        return path.read_bytes()
    from rdflib import Graph

    from .export import to_jsonld, to_ntriples
    from .namespaces import bind_prefixes

    graph = bind_prefixes(Graph()).parse(path, format="turtle")
    return to_jsonld(graph) if fmt == "jsonld" else to_ntriples(graph)
