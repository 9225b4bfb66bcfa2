"""The reader's journey in a real browser: Debian's Chromium, headless, driven by Playwright.

A server for the session's build listens on 127.0.0.1 (a free port) in a thread. Skipped, with the
reason, where Playwright or Chromium is missing; under CI (``CI`` set) that is a failure, since
``.ci/run`` installs both.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from kzelect import paths
from kzelect.build import build
from kzelect.serve import make_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
HOSTILE = "Evil </script><script>window.pwned = 1; alert(1)</script><img src=x onerror=\"window.pwned = 2\">"


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright)"
    return None if CHROMIUM else "no Chromium on PATH (apt-get install chromium)"


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests, but: {reason}")
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


def _serve(app):
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def site(dist):
    server, url = _serve(make_app(dist, paths.DATA))
    yield url
    server.shutdown()


@pytest.fixture
def page(browser):
    page = browser.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    page.close()


def test_search_a_spelling_open_the_party_follow_a_claim_to_its_sentence(site, page):
    page.goto(site + "/")
    page.fill("input[name=q]", "Aq Zhol")
    page.click("text=Search")
    page.click("main ul >> nth=0 >> text=Ak Zhol")
    assert page.url.endswith("/id/party/ak-zhol.html")
    assert page.inner_text("h1") == "Ak Zhol"
    page.click("text=Ak Zhol, 2012 (The Moscow Times)")
    assert page.url.endswith("/id/result/2012-moscowtimes-ak-zhol.html")
    quoted = page.inner_text("figure >> nth=0 >> mark")
    page.click("figure >> nth=0 >> figcaption >> a >> nth=0")
    assert "/id/source/moscowtimes-2012.html#q-" in page.url
    anchor = page.url.split("#", 1)[1]
    marked = page.evaluate("id => { let n = document.getElementById(id); while (n && n.tagName !== 'MARK') n = n.nextElementSibling;"
                           " return n ? n.textContent : null; }", anchor)
    assert marked and quoted.startswith(marked)


def test_an_election_page_shows_the_chart(site, page):
    page.goto(site + "/id/election/mazhilis-2012.html")
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    assert chart.locator("rect").count() >= 9
    assert "Nur Otan" in chart.inner_html()


def test_the_pages_work_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/?q=Aq+Zhol")
    page.click("main ul >> nth=0 >> text=Ak Zhol")
    assert page.inner_text("h1") == "Ak Zhol"
    context.close()


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    from conftest import data_with_label

    root = tmp_path_factory.mktemp("hostile-browser")
    data = data_with_label(root, HOSTILE)
    build(root / "dist", data)
    server, url = _serve(make_app(root / "dist", data))
    yield url
    server.shutdown()


def test_a_label_with_markup_never_runs_as_script(hostile_site, page):
    for path in ("/", "/id/party/nur-otan.html"):
        page.goto(hostile_site + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.pwned === undefined")
        assert page.dialogs == []
    assert page.inner_text("h1") == HOSTILE


@pytest.fixture(scope="module")
def static_site(dist, tmp_path_factory):
    """The static copy (kzelect site), served as plain files."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from click.testing import CliRunner

    from kzelect.cli import main

    target = tmp_path_factory.mktemp("static") / "www"
    assert CliRunner().invoke(main, ["site", str(target), "--build-dir", str(dist)]).exit_code == 0
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(target))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_static_copy_finds_every_spelling_and_links_through(static_site, page):
    page.goto(static_site + "/index.html")
    page.fill("#find", "Aq Zhol")
    visible = page.locator("li[data-names]:visible")
    assert visible.count() == 1 and visible.inner_text().startswith("Ak Zhol")
    visible.locator("a").click()
    assert page.url.endswith("/id/party/ak-zhol.html") and page.inner_text("h1") == "Ak Zhol"
