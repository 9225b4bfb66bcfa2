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

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .namespaces import ID, KZE, OA, SCHEMA
from .records import Record
from .tables import SEPARATOR, Row, Table, Unit, slug

RFC7111 = URIRef("http://tools.ietf.org/rfc/rfc7111")
Triple = tuple[URIRef, URIRef, object]
# The terms every row uses, looked up once (a Namespace attribute costs a lookup and a URIRef each time).
TYPE, PREF_LABEL, LABEL, DERIVED = RDF.type, SKOS.prefLabel, RDFS.label, PROV.wasDerivedFrom
CITATION, ELECTION, UNIT, REGISTERED, BALLOTS = KZE.citation, KZE.election, KZE.reportingUnit, KZE.registeredVoters, KZE.ballotsCast
REPORT, RESULT, PLACE, IN_REPORT, PARTY, VOTES = KZE.ResultReport, KZE.PartyResult, KZE.Place, KZE.inReport, KZE.party, KZE.votes
PLACE_TYPE, WITHIN, REFERENCE = KZE.placeType, SCHEMA.containedInPlace, KZE.sourceReference
ANNOTATION, CITATION_CLASS, MOTIVATED, DESCRIBING = OA.Annotation, KZE.Citation, OA.motivatedBy, OA.describing
BODY, TARGET, SPECIFIC, SOURCE, SELECTOR = OA.hasBody, OA.hasTarget, OA.SpecificResource, OA.hasSource, OA.hasSelector
FRAGMENT, CONFORMS, VALUE = OA.FragmentSelector, DCTERMS.conformsTo, RDF.value


def integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def label(text: str) -> Literal:
    return Literal(text, lang="en")


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
    """The triples of one table's rows; labels and URIs shared by its rows are made once."""

    def __init__(self, table: Table, by_id: dict[str, Record], units: dict[str, Unit]):
        self.table, self.units, self.by_id = table, units, by_id
        record = table.record
        self.source, self.election = ID[record.id], ID[record.get("election")]
        self.title = record.get("label")
        self.parties = [(party, ID[party], by_id[party].get("label")) for party in table.parties]

    def __iter__(self) -> Iterator[Triple]:
        for row in self.table.rows:
            yield from self.row(row)

    def unit_label(self, unit: str) -> str:
        record = self.by_id.get(unit)
        return record.get("label") if record is not None else self.units[unit].label

    def row(self, row: Row) -> Iterator[Triple]:
        citation, unit, name = row_uri(self.table, row), ID[row.unit], self.unit_label(row.unit)
        report = report_uri(self.table, row.unit)
        facts = [report]
        yield from self.fact(report, REPORT, f"{name} in {self.title}", citation)
        yield report, ELECTION, self.election
        yield report, UNIT, unit
        if row.registered is not None:
            yield report, REGISTERED, integer(row.registered)
        if row.ballots is not None:
            yield report, BALLOTS, integer(row.ballots)
        for (party, party_uri, party_label), votes in zip(self.parties, row.votes, strict=True):
            if votes is None:
                continue
            result = result_uri(self.table, row.unit, party)
            facts.append(result)
            yield from self.fact(result, RESULT, f"{party_label}, {name} in {self.title}", citation)
            yield result, IN_REPORT, report
            yield result, PARTY, party_uri
            yield result, VOTES, integer(votes)
            yield result, ELECTION, self.election
        if row.defines:
            facts.append(unit)
            yield from self.place(self.units[row.unit], unit, citation)
        yield from self.citation(citation, row, facts)

    def fact(self, subject: URIRef, cls: URIRef, text: str, citation: URIRef) -> Iterator[Triple]:
        name = label(text)
        yield subject, TYPE, cls
        yield subject, PREF_LABEL, name
        yield subject, LABEL, name
        yield subject, CITATION, citation
        yield subject, DERIVED, self.source

    def place(self, unit: Unit, subject: URIRef, citation: URIRef) -> Iterator[Triple]:
        yield from self.fact(subject, PLACE, unit.label, citation)
        yield subject, PLACE_TYPE, ID[unit.type]
        if unit.within is not None:
            yield subject, WITHIN, ID[unit.within]

    def citation(self, citation: URIRef, row: Row, facts: list[URIRef]) -> Iterator[Triple]:
        target, selector = URIRef(f"{citation}#target"), URIRef(f"{citation}#selector")
        yield citation, TYPE, CITATION_CLASS
        yield citation, TYPE, ANNOTATION
        yield citation, MOTIVATED, DESCRIBING
        for fact in facts:
            yield citation, BODY, fact
        yield citation, TARGET, target
        yield target, TYPE, SPECIFIC
        yield target, SOURCE, self.source
        yield target, SELECTOR, selector
        yield selector, TYPE, FRAGMENT
        yield selector, CONFORMS, RFC7111
        yield selector, VALUE, Literal(f"row={row.number}")
        if row.reference is not None:
            yield selector, REFERENCE, Literal(row.reference)


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
