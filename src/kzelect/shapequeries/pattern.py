"""sh:pattern: a Python regular expression as the store's REGEX reads it."""

from __future__ import annotations

import re


def _regex(pattern: str) -> str | None:
    """A Python regular expression (pyshacl's re.search) as one the store's REGEX (Rust's regex crate) reads the
    same way, or None where the two syntaxes or meanings part (\\w, \\b, look-arounds, flags, nested classes)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char, rest = pattern[i], pattern[i + 1:]
        if char == "\\":
            escape = re.match(r"[sS]|[dDtnrfv.^$*+?()\[\]{}|\\\-/#]|x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}", rest)
            if not escape:
                return None
            token = escape.group()
            if token == "s":  # Python's \s is Unicode's White_Space and U+001C..U+001F
                token = "\\s\\x1C-\\x1F" if in_class else "[\\s\\x1C-\\x1F]"
            elif token == "S":
                token = "[^\\s\\x1C-\\x1F]"
            else:
                token = "\\" + token
            out.append(token)
            i += 1 + escape.end()
            continue
        if in_class:
            if char == "[" or char in "&~-" and rest[:1] == char:
                return None
            in_class = char != "]" or out[-1] in ("[", "[^")
            out.append(char)
            i += 1
            continue
        token = char
        if char == "[":
            in_class = True
            token = "[^" if rest.startswith("^") else "["
        elif char == "(" and rest.startswith("?") and not rest.startswith("?:") or char == "}":
            return None
        elif char == "$":
            if rest[:1] not in ("", ")", "|"):
                return None
            token = "\\n?$"  # Python's $ also matches before a final newline
        elif char == "{":
            quantifier = re.match(r"\{\d+(,\d*)?\}", pattern[i:])
            if not quantifier:
                return None
            token = quantifier.group()
        i += len(token) if char in "[{" else 1
        if token[-1] in "*+?}" and pattern[i:i + 1] == "+":
            return None  # possessive in Python, an error in Rust
        out.append(token)
    return None if in_class else "".join(out)
