"""From result tables to RDF: a row in, triples out.

For the row of unit ``place/u`` in table ``table/t`` (URIs never depend on row numbers):

- ``id/report/t--u``: the row's result report (registered voters, ballots cast, the unit);
- ``id/result/t--u--p``: one party result per stated party cell;
- ``place/u`` itself where the row defines the unit (label, place type, within);
- ``id/row/t--u``: the row's citation, a Web Annotation whose target is the row of the table, selected
  by an RFC 7111 fragment (``row=N``, the header being row 1) and the table's own reference, if any.

Each fact cites its row and is ``prov:wasDerivedFrom`` the table, which is derived from its document.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .namespaces import ID, KZE, OA, SCHEMA
from .records import Record
from .tables import SEPARATOR, Row, Table, Unit, slug

RFC7111 = URIRef("http://tools.ietf.org/rfc/rfc7111")
Triple = tuple[URIRef, URIRef, object]
# The names every row uses, made once per table in the terms of its factory.
NAMES = {
    "TYPE": RDF.type, "PREF_LABEL": SKOS.prefLabel, "LABEL": RDFS.label, "DERIVED": PROV.wasDerivedFrom,
    "CITATION": KZE.citation, "ELECTION": KZE.election, "UNIT": KZE.reportingUnit, "REGISTERED": KZE.registeredVoters,
    "BALLOTS": KZE.ballotsCast, "REPORT": KZE.ResultReport, "RESULT": KZE.PartyResult, "PLACE": KZE.Place,
    "IN_REPORT": KZE.inReport, "PARTY": KZE.party, "VOTES": KZE.votes, "PLACE_TYPE": KZE.placeType,
    "WITHIN": SCHEMA.containedInPlace, "REFERENCE": KZE.sourceReference, "ANNOTATION": OA.Annotation,
    "CITATION_CLASS": KZE.Citation, "MOTIVATED": OA.motivatedBy, "DESCRIBING": OA.describing, "BODY": OA.hasBody,
    "TARGET": OA.hasTarget, "SPECIFIC": OA.SpecificResource, "SOURCE": OA.hasSource, "SELECTOR": OA.hasSelector,
    "FRAGMENT": OA.FragmentSelector, "CONFORMS": DCTERMS.conformsTo, "VALUE": RDF.value, "RFC7111": RFC7111,
}


class RdflibTerms:
    """Terms as rdflib makes them: the reference (``graph.build_graph``) and the small graph's engine."""

    iri = URIRef

    @staticmethod
    def integer(value: int) -> Literal:
        return Literal(str(value), datatype=XSD.integer)

    @staticmethod
    def label(text: str) -> Literal:
        return Literal(text, lang="en")

    plain = Literal


class OxigraphTerms:
    """The same terms made by pyoxigraph directly, for the build at scale (rdflib's Literal parses every value)."""

    iri = ox.NamedNode
    _INTEGER = ox.NamedNode(str(XSD.integer))

    @classmethod
    def integer(cls, value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=cls._INTEGER)

    @staticmethod
    def label(text: str) -> ox.Literal:
        return ox.Literal(text, language="en")

    plain = ox.Literal


def integer(value: int) -> Literal:
    return RdflibTerms.integer(value)


def row_uri(table: Table, row: Row) -> URIRef:
    return ID[f"row/{slug(table.record.id)}{SEPARATOR}{slug(row.unit)}"]


def report_uri(table: Table, unit: str) -> URIRef:
    return ID[f"report/{slug(table.record.id)}{SEPARATOR}{slug(unit)}"]


def result_uri(table: Table, unit: str, party: str) -> URIRef:
    return ID[f"result/{slug(table.record.id)}{SEPARATOR}{slug(unit)}{SEPARATOR}{slug(party)}"]


def table_record_triples(table: Table) -> Iterator[Triple]:
    """What the build adds to a table record: the checksum of its CSV and its number of rows."""
    subject = ID[table.record.id]
    yield subject, KZE.sha256, Literal(table.sha256)
    yield subject, KZE.rowCount, integer(len(table.rows))


class TableTriples:
    """The triples of one table's rows, in the terms of ``terms`` (rdflib's by default); the names and labels
    its rows share are made once."""

    def __init__(self, table: Table, by_id: dict[str, Record], units: dict[str, Unit], terms=RdflibTerms):
        self.table, self.units, self.by_id, self.terms = table, units, by_id, terms
        self.k = type("Names", (), {name: terms.iri(str(iri)) for name, iri in NAMES.items()})
        record = table.record
        self.source, self.election = terms.iri(str(ID[record.id])), terms.iri(str(ID[record.get("election")]))
        self.title = record.get("label")
        self.parties = [(party, terms.iri(str(ID[party])), by_id[party].get("label")) for party in table.parties]
        self.prefix = {kind: f"{ID}{kind}/{slug(record.id)}{SEPARATOR}" for kind in ("row", "report", "result")}

    def __iter__(self) -> Iterator[Triple]:
        for row in self.table.rows:
            yield from self.row(row)

    def unit_label(self, unit: str) -> str:
        record = self.by_id.get(unit)
        return record.get("label") if record is not None else self.units[unit].label

    def row(self, row: Row) -> Iterator[Triple]:
        k, terms, unit_slug = self.k, self.terms, slug(row.unit)
        citation = f"{self.prefix['row']}{unit_slug}"
        citation_iri, unit, name = terms.iri(citation), terms.iri(f"{ID}{row.unit}"), self.unit_label(row.unit)
        report = terms.iri(f"{self.prefix['report']}{unit_slug}")
        facts = [report]
        yield from self.fact(report, k.REPORT, f"{name} in {self.title}", citation_iri)
        yield report, k.ELECTION, self.election
        yield report, k.UNIT, unit
        if row.registered is not None:
            yield report, k.REGISTERED, terms.integer(row.registered)
        if row.ballots is not None:
            yield report, k.BALLOTS, terms.integer(row.ballots)
        for (party, party_uri, party_label), votes in zip(self.parties, row.votes, strict=True):
            if votes is None:
                continue
            result = terms.iri(f"{self.prefix['result']}{unit_slug}{SEPARATOR}{slug(party)}")
            facts.append(result)
            yield from self.fact(result, k.RESULT, f"{party_label}, {name} in {self.title}", citation_iri)
            yield result, k.IN_REPORT, report
            yield result, k.PARTY, party_uri
            yield result, k.VOTES, terms.integer(votes)
            yield result, k.ELECTION, self.election
        if row.defines:
            facts.append(unit)
            yield from self.place(self.units[row.unit], unit, citation_iri)
        yield from self.citation(citation, citation_iri, row, facts)

    def fact(self, subject, cls, text: str, citation) -> Iterator[Triple]:
        k, name = self.k, self.terms.label(text)
        yield subject, k.TYPE, cls
        yield subject, k.PREF_LABEL, name
        yield subject, k.LABEL, name
        yield subject, k.CITATION, citation
        yield subject, k.DERIVED, self.source

    def place(self, unit: Unit, subject, citation) -> Iterator[Triple]:
        yield from self.fact(subject, self.k.PLACE, unit.label, citation)
        yield subject, self.k.PLACE_TYPE, self.terms.iri(f"{ID}{unit.type}")
        if unit.within is not None:
            yield subject, self.k.WITHIN, self.terms.iri(f"{ID}{unit.within}")

    def citation(self, text: str, citation, row: Row, facts: list) -> Iterator[Triple]:
        k, terms = self.k, self.terms
        target, selector = terms.iri(f"{text}#target"), terms.iri(f"{text}#selector")
        yield citation, k.TYPE, k.CITATION_CLASS
        yield citation, k.TYPE, k.ANNOTATION
        yield citation, k.MOTIVATED, k.DESCRIBING
        for fact in facts:
            yield citation, k.BODY, fact
        yield citation, k.TARGET, target
        yield target, k.TYPE, k.SPECIFIC
        yield target, k.SOURCE, self.source
        yield target, k.SELECTOR, selector
        yield selector, k.TYPE, k.FRAGMENT
        yield selector, k.CONFORMS, k.RFC7111
        yield selector, k.VALUE, terms.plain(f"row={row.number}")
        if row.reference is not None:
            yield selector, k.REFERENCE, terms.plain(row.reference)


def locations(tables: list[Table]) -> dict[str, str]:
    """The CSV file and line of each row's citation URI (the key a violation's focus is looked up by)."""
    return {str(row_uri(table, row)): f"{table.file}:{row.line}" for table in tables for row in table.rows}


def row_of(uri: str) -> str | None:
    """The row citation URI of a report, result or row URI of a table (None for other URIs)."""
    for kind in ("report/", "result/", "row/"):
        prefix = str(ID[kind])
        if uri.startswith(prefix) and SEPARATOR in uri:
            table, unit = uri[len(prefix):].split("#", 1)[0].split(SEPARATOR)[:2]
            return str(ID[f"row/{table}{SEPARATOR}{unit}"])
    return None
