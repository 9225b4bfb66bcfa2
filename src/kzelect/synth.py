"""Synthetic elections in the input format of kzelect, for tests and benchmarks: ``synth(out, ...)``.

``synth`` writes a complete data folder: records/*.yaml (a synthetic source article and its
publisher, parties, place types, a country, N elections, one results document and one result
table per election), sources/ (the article's text and its SHA256SUMS) and tables/*.csv (one row
per reporting unit: the country, its regions and districts, and S polling stations). Votes are
drawn per polling station so that the party votes add up to at most the ballots cast, and the
ballots to at most the registered voters; a district's, region's and the country's row is the
sum of the rows within it. The same seed gives the same bytes.

Everything says it is synthetic: every label starts with "Synthetic", the article and documents
are marked ``synthetic: true`` (the build then titles the dataset "SYNTHETIC ..."), and the loader
refuses a folder that mixes synthetic and real sources or documents.

Broken variants (``broken``) change a known few values of the first election's table; each is
reported exactly so by the build (``Synthesized.expected`` lists what must be reported).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KzelectError
from .namespaces import ID
from .tables import COLUMNS, SEPARATOR

FAULTS = 3  # how many rows a broken variant changes (within-cycle: one region and one district)
BROKEN = {  # each changes the first election's table (within-cycle: every table, which must agree on units)
    "votes-exceed-ballots": f"{FAULTS} polling stations get fewer ballots than party votes ({FAULTS} x report-votes-exceed-ballots)",
    "ballots-exceed-registered": f"{FAULTS} stations get more ballots than registered voters ({FAULTS} x report-ballots-exceed-registered)",
    "negative-votes": f"{FAULTS} polling stations get a negative vote count ({FAULTS} located problems: the folder is refused)",
    "within-cycle": "the first region lies within its first district (2 x place-within-itself: region, district)",
}
ARTICLE = "000_synthetic.txt"
PLACE_TYPES = ("country", "region", "district", "polling-station")


class SynthError(KzelectError):
    """The synthetic data cannot be written there (an existing folder, a bad option)."""


@dataclass
class Synthesized:
    folder: Path
    elections: int
    regions: int
    districts: int
    stations: int
    parties: int
    files: list[str] = field(default_factory=list)
    expected: dict[str, list[str]] = field(default_factory=dict)  # broken kind -> the focus URIs or "file:line" reported


@dataclass
class _Unit:
    slug: str
    label: str
    type: str
    within: str
    children: list[_Unit] = field(default_factory=list)
    reference: str = ""


def synth(out: Path, elections: int = 2, stations: int = 1000, parties: int = 7, seed: int = 0,
          broken: tuple[str, ...] = ()) -> Synthesized:
    """Write a synthetic data folder into ``out`` (new or empty); see the module's docstring."""
    out = Path(out)
    unknown = sorted(set(broken) - set(BROKEN))
    if unknown:
        raise SynthError(f"unknown broken variant(s) {unknown}: use {', '.join(BROKEN)}")
    if elections < 1 or parties < 1 or stations < FAULTS:
        raise SynthError(f"give at least 1 election, 1 party and {FAULTS} polling stations")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SynthError(f"{out} exists and is not an empty folder: synthetic data goes into a folder of its own")
    country = _hierarchy(stations)
    result = Synthesized(out, elections, len(country.children), sum(len(r.children) for r in country.children), stations, parties)
    files = _records(elections, parties, seed)
    for number in range(1, elections + 1):
        rng = random.Random(f"kzelect-synth-{seed}-{number}")
        faults = _faults(broken, seed, country, number)
        name = f"tables/synthetic-election-{number}.csv"
        files[name], rows = _table(country, parties, rng, faults)
        result.expected.update(_expected(faults, rows, name, number))
    for name, text in sorted(files.items()):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    result.files = sorted(files)
    return result


def _hierarchy(stations: int) -> _Unit:
    """The country, its regions (2 to 17), districts (about 50 stations each) and polling stations, in contiguous blocks."""
    regions = min(max(2, stations // 600), 17, stations)
    districts = min(stations, max(regions, stations // 50))
    country = _Unit("synthetic-country", "", "", "")
    width_r, width_d, width_s = len(str(regions)), len(str(districts)), len(str(stations))
    for r in range(regions):
        region = _Unit(f"synthetic-region-{r + 1:0{width_r}d}", f"Synthetic Region {r + 1}", "region", country.slug)
        country.children.append(region)
        for d in range(r * districts // regions, (r + 1) * districts // regions):
            district = _Unit(f"synthetic-district-{d + 1:0{width_d}d}", f"Synthetic District {d + 1}", "district", region.slug)
            region.children.append(district)
            for s in range(d * stations // districts, (d + 1) * stations // districts):
                district.children.append(_Unit(f"synthetic-station-{s + 1:0{width_s}d}", f"Synthetic polling station {s + 1}",
                                               "polling-station", district.slug, reference=f"protocol no. {s + 1}"))
    return country


def _faults(broken, seed: int, country: _Unit, number: int) -> dict[str, set[str]]:
    """The slugs of the units each broken variant changes in the table of election ``number``.

    The polling stations' faults go into the first election's table; the cycle into every table,
    since every table defines the same units and their definitions must agree.
    """
    stations = [s for region in country.children for district in region.children for s in district.children]
    chosen = {s.slug for s in random.Random(f"kzelect-synth-broken-{seed}").sample(stations, FAULTS)}
    faults: dict[str, set[str]] = {}
    for kind in broken:
        if kind == "within-cycle":
            faults[kind] = {country.children[0].slug}
        elif number == 1:
            faults[kind] = chosen
    return faults


def _expected(faults: dict[str, set[str]], rows: list[list], name: str, number: int) -> dict[str, list[str]]:
    """What the build must report for each broken variant: focus URIs, or the file:line of the loader's problems."""
    expected = {}
    for kind, slugs in faults.items():
        lines = {row[0].split("/", 1)[1]: index + 2 for index, row in enumerate(rows)}  # the header is line 1
        if kind == "negative-votes":
            expected[kind] = [f"{name}:{line}" for line in sorted(lines[slug] for slug in slugs)]
        elif kind == "within-cycle":
            region = next(row for row in rows if row[0] == f"place/{min(slugs)}")
            expected[kind] = sorted(f"{ID}place/{slug}" for slug in (min(slugs), region[3].split("/", 1)[1]))
        else:
            expected[kind] = sorted(f"{ID}report/synthetic-election-{number}{SEPARATOR}{slug}" for slug in slugs)
    return expected


def _table(country: _Unit, parties: int, rng: random.Random, faults: dict[str, set[str]]) -> tuple[str, list[list]]:
    """One election's CSV: a row per unit, the polling stations drawn, the others their sums."""
    rows: list[list] = []
    weights = [1000 // (i + 1) for i in range(parties)]  # party 1 leads, as a ruling party would

    def draw(unit: _Unit, within: str) -> list[int]:
        index = len(rows)
        rows.append([])  # a unit's row comes before the rows of the units within it
        if unit.children:
            totals = [sum(column) for column in zip(*(draw(child, unit.slug) for child in unit.children), strict=True)]
        else:
            totals = _station(rng, weights)
        rows[index] = _row(unit, within, totals, faults)
        return totals

    draw(country, "")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(COLUMNS)[:6] + [f"party/synthetic-party-{i + 1}" for i in range(parties)] + ["reference"])
    writer.writerows(rows)
    return buffer.getvalue(), rows


def _station(rng: random.Random, weights: list[int]) -> list[int]:
    """Registered voters, ballots and party votes of one polling station: votes <= ballots <= registered."""
    registered = rng.randint(300, 3000)
    ballots = registered * rng.randint(50, 90) // 100
    valid = ballots - rng.randint(0, ballots // 50)  # some ballots are invalid
    drawn = [w * rng.randint(50, 150) for w in weights]
    return [registered, ballots] + [valid * w // sum(drawn) for w in drawn]


def _row(unit: _Unit, within: str, totals: list[int], faults: dict[str, set[str]]) -> list:
    registered, ballots, *votes = totals
    if unit.slug in faults.get("votes-exceed-ballots", ()):
        ballots = sum(votes) - 1
    if unit.slug in faults.get("ballots-exceed-registered", ()):
        registered = ballots - 1
    if unit.slug in faults.get("negative-votes", ()):
        votes[0] = -votes[0] - 1
    if unit.slug in faults.get("within-cycle", ()):
        within = unit.children[0].slug
    if not unit.type:  # the country: a YAML place record, so its row gives only its counts
        return [f"place/{unit.slug}", "", "", "", registered, ballots, *votes, unit.reference]
    return [f"place/{unit.slug}", unit.label, f"place-type/{_type_slug(unit.type)}", f"place/{within}",
            registered, ballots, *votes, unit.reference]


def _type_slug(name: str) -> str:
    return f"synthetic-{name}"


def _records(elections: int, parties: int, seed: int) -> dict[str, str]:
    """The YAML records and the source article that the synthetic tables rest on."""
    sentences = {
        "organization": "The Synthetic Election Commission publishes the synthetic results.",
        "country": "Synthetic Country is where the synthetic elections are held.",
    }
    dates = {j: f"{2000 + 4 * j:04d}-03-07" for j in range(1, elections + 1)}
    for i in range(1, parties + 1):
        sentences[f"party-{i}"] = f"Synthetic Party {i} takes part in the synthetic elections."
    for j, date in dates.items():
        sentences[f"election-{j}"] = f"Synthetic Election {j} was held on {date}."
    article = (f"SYNTHETIC DATA generated by kzelect synth (seed {seed}): not a real article, and not real elections.\n"
               + "\n".join(sentences.values()) + "\n")
    digest = hashlib.sha256(article.encode("utf-8")).hexdigest()

    def cites(key: str) -> dict:
        return {"cites": [{"source": "source/synthetic-article", "quote": sentences[key]}]}

    files = {
        f"sources/{ARTICLE}": article,
        "sources/SHA256SUMS": f"{digest}  {ARTICLE}\n",
        "records/sources.yaml": _yaml([
            {"id": "source/synthetic-article", "label": "Synthetic article naming the synthetic parties and elections",
             "title": "SYNTHETIC DATA generated by kzelect synth", "publisher": "organization/synthetic-commission",
             "language": "en", "file": ARTICLE, "synthetic": True},
        ] + [{"id": f"document/synthetic-results-{j}", "label": f"Synthetic results of Synthetic Election {j}",
              "title": f"Synthetic results of Synthetic Election {j}", "publisher": "organization/synthetic-commission",
              "published": dates[j], "language": "en", "synthetic": True} for j in dates]),
        "records/organizations.yaml": _yaml([{"id": "organization/synthetic-commission", "label": "Synthetic Election Commission",
                                              **cites("organization")}]),
        "records/parties.yaml": _yaml([{"id": f"party/synthetic-party-{i}", "label": f"Synthetic Party {i}", **cites(f"party-{i}")}
                                       for i in range(1, parties + 1)]),
        "records/places.yaml": _yaml([{"id": "place/synthetic-country", "label": "Synthetic Country",
                                       "placeType": "place-type/synthetic-country", **cites("country")}]),
        "records/elections.yaml": _yaml([{"id": f"election/synthetic-election-{j}", "label": f"Synthetic Election {j}",
                                          "date": date, "electionType": "election-type/synthetic-parliamentary",
                                          "jurisdiction": "place/synthetic-country", **cites(f"election-{j}")}
                                         for j, date in dates.items()]),
        "records/tables.yaml": _yaml([{"id": f"table/synthetic-election-{j}", "label": f"Synthetic results of Synthetic Election {j} "
                                       "by polling station", "document": f"document/synthetic-results-{j}",
                                       "election": f"election/synthetic-election-{j}", "file": f"synthetic-election-{j}.csv",
                                       "status": "status/synthetic-final", "released": dates[j]} for j in dates]),
        "records/vocabularies.yaml": _yaml(
            [{"id": f"place-type/{_type_slug(name)}", "label": f"Synthetic {name.replace('-', ' ')}",
              "definition": f"A {name.replace('-', ' ')} of the synthetic country (generated data)."} for name in PLACE_TYPES]
            + [{"id": "election-type/synthetic-parliamentary", "label": "Synthetic parliamentary election",
                "definition": "A synthetic election to a synthetic legislature (generated data)."},
               {"id": "status/synthetic-final", "label": "Synthetic final results",
                "definition": "Final results of a synthetic election (generated data)."}]),
    }
    return files


def _yaml(records: list[dict]) -> str:
    """Records as the YAML of the data files; strings are written as JSON strings (valid YAML, never coerced)."""
    lines = ["# SYNTHETIC DATA generated by kzelect synth: not real elections; never publish it."]
    for record in records:
        for index, (key, value) in enumerate(record.items()):
            lead = "- " if index == 0 else "  "
            if key == "cites":
                lines.append(f"{lead}cites:")
                for cite in value:
                    lines += [f"    - source: {cite['source']}", f"      quote: {json.dumps(cite['quote'])}"]
            elif isinstance(value, bool):
                lines.append(f"{lead}{key}: {'true' if value else 'false'}")
            else:
                lines.append(f"{lead}{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
