"""Published URIs: every URI the build publishes is in a committed list, and none disappears."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import paths
from .data import load_data
from .graph import GRAPH_BASE, triples_by_graph
from .namespaces import ID


@dataclass
class UriReport:
    new: list[str] = field(default_factory=list)  # published but not yet listed
    missing: list[str] = field(default_factory=list)  # listed but gone without deprecation
    dangling: list[str] = field(default_factory=list)  # deprecated, replacement not published
    written: bool = False

    @property
    def ok(self) -> bool:
        return not (self.new or self.missing or self.dangling)

    def text(self) -> str:
        lines = []
        if self.missing:
            lines.append(f"{len(self.missing)} published URI(s) disappeared without a deprecation record. "
                         f"Fix: restore them, or add to {paths.relative(paths.DEPRECATED)} an entry "
                         "'- id: kind/slug' with 'replacedBy: kind/slug':")
            lines += [f"  {u}" for u in self.missing]
        if self.dangling:
            lines.append("deprecated URI(s) whose replacement is not published:")
            lines += [f"  {u}" for u in self.dangling]
        if self.new:
            lines.append(f"{len(self.new)} URI(s) published but not in {paths.relative(paths.PUBLISHED_URIS)}. "
                         "Fix: run 'kzelect uris --write' and commit the list:")
            lines += [f"  {u}" for u in self.new]
        if self.written:
            lines.append(f"wrote {paths.relative(paths.PUBLISHED_URIS)}")
        return "\n".join(lines) if lines else "ok: every published URI is listed and none has disappeared."


def published(data) -> set[str]:
    """Every URI under id/ the build publishes: described nodes and named graphs."""
    return published_in(triples_by_graph(data))


def published_in(groups) -> set[str]:
    """The URIs under id/ that the named graphs ``groups`` describe, and the graphs themselves."""
    base = str(ID)
    subjects = {s.value if type(s) is ox.NamedNode else s for triples in groups.values() for s, _, _ in triples}
    described = {str(s) for s in subjects if isinstance(s, str) and s.startswith(base) and "#" not in s}
    return described | {str(GRAPH_BASE + name) for name in groups}


def read_list(path: Path = paths.PUBLISHED_URIS) -> set[str]:
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def compare(listed: set[str], data_dir: Path = paths.DATA) -> UriReport:
    data = load_data(data_dir)
    return _report(listed, published(data), data)


def missing_in(groups, data, data_dir: Path) -> UriReport:
    """For the build: the listed URIs that the graphs ``groups`` no longer publish and no deprecation retires (new ones are fine)."""
    report = _report(read_list(data_dir / "published-uris.txt"), published_in(groups), data)
    report.new = []
    return report


def _report(listed: set[str], now: set[str], data) -> UriReport:
    replaced = {str(ID[d.replaced_by]) for d in data.deprecations}
    return UriReport(new=sorted(now - listed), missing=sorted(listed - now), dangling=sorted(replaced - now))


def check_published(data_dir: Path = paths.DATA) -> UriReport:
    return compare(read_list(data_dir / "published-uris.txt"), data_dir)


def write_published(data_dir: Path = paths.DATA) -> UriReport:
    """Add newly published URIs to the list; never remove one (that needs a deprecation)."""
    path = data_dir / "published-uris.txt"
    listed = read_list(path)
    report = compare(listed, data_dir)
    header = ("# Every URI kzelect has published. Never delete a line: retire a URI with an entry in\n"
              "# data/deprecated.yaml (owl:deprecated + dct:isReplacedBy). Extend with 'kzelect uris --write'.\n")
    path.write_text(header + "".join(f"{u}\n" for u in sorted(listed | set(report.new))), encoding="utf-8")
    report.new, report.written = [], True
    return report


