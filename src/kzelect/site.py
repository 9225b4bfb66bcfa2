"""`kzelect site DIR`: the pages and data documents as static files, for any static web host.

The files sit at the paths the server answers: ``id/{kind}/{slug}.html`` (and ``.ttl``, ``.jsonld``,
``.nt``), ``index.html``, ``ontology.html`` (and its data documents). Two sets of redirect rules come with them:

- ``.htaccess`` for the host (Apache): a request for a thing (``/id/{kind}/{slug}``) is answered
  ``303 See Other`` with the document the ``Accept`` header asks for, as ``kzelect serve`` does;
- ``w3id.htaccess``: the rules to put in the w3id.org repository (``kzelect/.htaccess``) so that
  ``https://w3id.org/kzelect/...`` redirects to the host given with ``--base-url``.

Everything is written into a temporary folder first and moved into place only when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph

from .describe import local_path
from .namespaces import BASE
from .pages import DOCUMENTS, Site, ontology_document, ontology_page

HTACCESS = """# Content negotiation for the kzelect static site (Apache 2.4, mod_rewrite).
# A thing /id/{kind}/{slug} is answered 303 See Other with the document the client accepts.
Options -MultiViews
AddType text/turtle .ttl
AddType application/ld+json .jsonld
AddType application/n-triples .nt
AddDefaultCharset utf-8
RewriteEngine On
RewriteCond %{REQUEST_URI} ^(.*)/id/([^.]+)$
RewriteCond %{HTTP_ACCEPT} text/turtle
RewriteRule ^ %1/id/%2.ttl [R=303,L]
RewriteCond %{REQUEST_URI} ^(.*)/id/([^.]+)$
RewriteCond %{HTTP_ACCEPT} application/ld\\+json
RewriteRule ^ %1/id/%2.jsonld [R=303,L]
RewriteCond %{REQUEST_URI} ^(.*)/id/([^.]+)$
RewriteCond %{HTTP_ACCEPT} application/n-triples
RewriteRule ^ %1/id/%2.nt [R=303,L]
RewriteCond %{REQUEST_URI} ^(.*)/id/([^.]+)$
RewriteRule ^ %1/id/%2.html [R=303,L]
RewriteCond %{HTTP_ACCEPT} text/turtle
RewriteRule ^ontology$ ontology.ttl [R=303,L]
RewriteCond %{HTTP_ACCEPT} application/ld\\+json
RewriteRule ^ontology$ ontology.jsonld [R=303,L]
RewriteCond %{HTTP_ACCEPT} application/n-triples
RewriteRule ^ontology$ ontology.nt [R=303,L]
RewriteRule ^ontology$ ontology.html [R=303,L]
Header append Vary Accept
ErrorDocument 404 /404.html
"""

W3ID = """# For the w3id.org repository: kzelect/.htaccess. Sends https://w3id.org/kzelect/... to the site.
Options +FollowSymLinks
RewriteEngine on
RewriteRule ^$ {base}/ [R=302,L]
RewriteRule ^(.*)$ {base}/$1 [R=303,L,NE]
"""


def resources(store: pyoxigraph.Store) -> list[str]:
    """Every IRI of ours that is the subject of a triple (hash IRIs belong to the document before the '#')."""
    found = {q.subject.value.split("#", 1)[0] for q in store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph())
             if isinstance(q.subject, pyoxigraph.NamedNode) and local_path(q.subject.value)}
    return sorted(found)


def write_site(site: Site, out: Path, target: Path, base_url: str) -> int:
    """Write the static site into ``target``; returns the number of files written."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        count = _write_all(site, out, staging, base_url.rstrip("/"))
        os.chmod(staging, 0o755)
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
        return count
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_all(site: Site, out: Path, root: Path, base_url: str) -> int:
    files = {"index.html": site.home().encode("utf-8"), "404.html": site.not_found("").encode("utf-8"),
             ".htaccess": HTACCESS.encode("utf-8"), "w3id.htaccess": W3ID.format(base=base_url).encode("utf-8"),
             "ontology.html": ontology_page(Path(out) / "ontology.ttl", static=True).encode("utf-8")}
    for ext in ("ttl", "jsonld", "nt"):
        files[f"ontology.{ext}"] = ontology_document(Path(out) / "ontology.ttl", ext)
    for iri in resources(site.graph.store):
        path = iri[len(BASE):]
        for ext in DOCUMENTS:
            files[f"{path}.{ext}"] = site.document(iri, ext)
    for name, data in files.items():
        file = root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
    return len(files)
