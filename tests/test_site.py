"""`kzelect site`: the static copy has a page and three data documents per resource, and no broken internal link."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner

from kzelect.cli import main


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if attrs.get("id"):
            self.ids.add(attrs["id"])


@pytest.fixture(scope="module")
def site(dist, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site") / "www"
    result = CliRunner().invoke(main, ["site", str(target), "--build-dir", str(dist), "--base-url", "https://kzelect.example.org"])
    assert result.exit_code == 0, result.output
    return target


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_every_resource_has_a_page_and_its_data(site, dist):
    subjects = {str(q.subject.value).split("#")[0] for q in pyoxigraph.parse(path=str(dist / "kzelect.nt"),
                                                                            format=pyoxigraph.RdfFormat.N_TRIPLES)}
    ours = {s for s in subjects if s.startswith("https://w3id.org/kzelect/id/")}
    for iri in ours:
        stem = site / iri[len("https://w3id.org/kzelect/"):]
        for ext in ("html", "ttl", "jsonld", "nt"):
            assert stem.with_name(stem.name + "." + ext).is_file(), f"{iri}.{ext}"


def test_no_internal_link_is_broken(site):
    pages = {path: parse(path) for path in site.rglob("*.html")}
    ids = {path: page.ids for path, page in pages.items()}
    broken = []
    for path, page in pages.items():
        for href in page.hrefs:
            if not href.startswith("/"):
                continue
            target, _, fragment = href.partition("#")
            file = site / target.lstrip("/") if target != "/" else site / "index.html"
            if not file.is_file():
                broken.append(f"{path.relative_to(site)} -> {href}")
            elif fragment and file.suffix == ".html" and fragment not in ids.get(file, parse(file).ids):
                broken.append(f"{path.relative_to(site)} -> {href} (no such anchor)")
    assert len(pages) > 700
    assert broken == []


def test_the_redirect_rules_come_with_it(site):
    htaccess = (site / ".htaccess").read_text()
    assert "RewriteRule ^ %1/id/%2.ttl [R=303,L]" in htaccess and "Header append Vary Accept" in htaccess
    w3id = (site / "w3id.htaccess").read_text()
    assert "RewriteRule ^(.*)$ https://kzelect.example.org/$1 [R=303,L,NE]" in w3id
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Ctrl+F" in home and '<li data-names="Ak Zhol|Ak Zhol (Bright Path)|Aq Zhol|Bright Path">' in home
