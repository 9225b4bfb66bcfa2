"""Finding a curator's quote in a source text: tolerant of typing, strict about place."""

from __future__ import annotations

from kzelect import paths
from kzelect.sources import find_quote, load_text, normalize, read_checksums

CHECKSUMS = read_checksums()
EMBASSY = load_text("002_03502d3ab96f89d4.txt", CHECKSUMS)
MOSCOW = load_text("004_1abba11cb89ae0a4.txt", CHECKSUMS)


def test_texts_ship_byte_for_byte_with_their_checksums():
    seeds = paths.ROOT.parent / "shared" / "seeds"
    for name in CHECKSUMS:
        text = load_text(name, CHECKSUMS)
        if (seeds / name).exists():  # beside a checkout with the team's shared folder
            assert (seeds / name).read_bytes() == (paths.SOURCE_TEXTS / name).read_bytes()
        assert len(text.text) > 1000


def test_straight_quotes_find_curly_quotes_and_offsets_are_code_points():
    span, why = find_quote(EMBASSY, 'the "Ak Zhol" party')
    assert why == ""
    assert EMBASSY.text[span.start:span.end] == span.exact == "the “Ak Zhol” party"
    assert span.prefix == EMBASSY.text[span.start - 32:span.start]


def test_plain_spaces_find_no_break_spaces():
    assert "\u00a0" in MOSCOW.text
    span, why = find_quote(MOSCOW, "A state of emergency remains in place in the town.")
    assert why == "" and "\u00a0" in span.exact
    assert MOSCOW.text[span.start:span.end] == span.exact


def test_whitespace_runs_count_as_one_space():
    span, why = find_quote(EMBASSY, "Kazakhstan;   93,023 (1.58 per cent)")
    assert why == "" and span.exact.startswith("Kazakhstan;")


def test_absent_and_ambiguous_quotes_are_refused():
    assert find_quote(EMBASSY, "Ak Zhol won a landslide") == (None, "is not in the source")
    span, why = find_quote(EMBASSY, "Nur Otan")
    assert span is None and why.startswith("occurs ")


def test_normalize_keeps_where_each_character_came_from():
    text = "a\u00a0\u00a0“b”"
    folded, where = normalize(text)
    assert folded == 'a "b"'
    assert [text[i] for i in where] == ["a", "\u00a0", "“", "b", "”"]
