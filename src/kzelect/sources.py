"""The source texts: checksums, and finding a curator's quote in a text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import Problem

CONTEXT = 32  # characters of prefix and suffix kept in a TextQuoteSelector

# Characters a curator may type differently: no-break and thin spaces, curly quotes.
_EQUIVALENT = {
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u202f": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
}


@dataclass(frozen=True)
class SourceText:
    file: str
    text: str
    sha256: str
    normalized: str
    positions: tuple[int, ...]  # normalized index -> code point index in text


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


def normalize(text: str) -> tuple[str, tuple[int, ...]]:
    """Fold equivalent characters and whitespace runs; keep where each kept char came from."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        char = _EQUIVALENT.get(char, char)
        if char.isspace():
            if not out or out[-1] == " ":
                continue
            char = " "
        out.append(char)
        where.append(index)
    return "".join(out), tuple(where)


def read_checksums(path: Path = paths.CHECKSUMS) -> dict[str, str]:
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums


def load_text(file: str, checksums: dict[str, str], folder: Path = paths.SOURCE_TEXTS) -> SourceText:
    """Read one source text, verifying its checksum; raise ValueError saying what is wrong."""
    path = folder / file
    if not path.is_file():
        raise ValueError(f"source text {paths.relative(path)} does not exist")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if file not in checksums:
        raise ValueError(f"{file} has no checksum in {paths.relative(paths.CHECKSUMS)}")
    if checksums[file] != digest:
        raise ValueError(f"{file} does not match its checksum in {paths.relative(paths.CHECKSUMS)}: "
                         "the text must stay byte-for-byte as captured")
    text = raw.decode("utf-8")
    normalized, positions = normalize(text)
    return SourceText(file, text, digest, normalized, positions)


def find_quote(source: SourceText, quote: str) -> tuple[Span | None, str]:
    """Locate a quote once in a source; return (span, '') or (None, what went wrong)."""
    needle, _ = normalize(quote.strip())
    hits, at = [], source.normalized.find(needle)
    while at != -1:
        hits.append(at)
        at = source.normalized.find(needle, at + 1)
    if not hits:
        return None, "is not in the source"
    if len(hits) > 1:
        starts = ", ".join(str(source.positions[h]) for h in hits)
        return None, f"occurs {len(hits)} times in the source (at {starts})"
    start = source.positions[hits[0]]
    end = source.positions[hits[0] + len(needle) - 1] + 1
    text = source.text
    return Span(start, end, text[start:end], text[max(0, start - CONTEXT):start], text[end:end + CONTEXT]), ""


def quote_problem(file: str, line: int, record_id: str, source_id: str, quote: str, why: str) -> Problem:
    short = quote if len(quote) <= 60 else quote[:57] + "..."
    fix = ("copy the words exactly from the source text" if "not in" in why
           else "lengthen the quote until it occurs only once")
    return Problem(file, line, f"{record_id}: quote \"{short}\" {why} ({source_id})", fix)
