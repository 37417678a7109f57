"""Find the line of a TOML key, so that scenario errors can say where.

Python's ``tomllib`` returns plain dictionaries without source positions, and no maintained
TOML library reports the line of each key, so this module scans the text once and maps each
dotted key path (array-of-tables entries indexed: ``timeline.2.at``) to the line that defines
it. It understands table headers, arrays of tables, dotted and quoted keys, and skips the
continuation lines of multi-line arrays and strings; a path it cannot find falls back to its
nearest enclosing table.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _split_key(text: str) -> list[str]:
    """Split a TOML key (``a."b.c".d``) into its parts."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t.":
            i += 1
            continue
        if c in "\"'":
            j = text.index(c, i + 1) if c in text[i + 1 :] else n
            parts.append(text[i + 1 : j])
            i = j + 1
            continue
        m = _BARE.match(text, i)
        if not m:
            break
        parts.append(m.group(0))
        i = m.end()
    return parts


def _key_end(line: str) -> int:
    """Index of the ``=`` that ends the key of a key/value line, or -1."""
    quote = ""
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "=":
            return i
        elif c == "#":
            return -1
    return -1


def _depth_change(value: str) -> int:
    """Net count of open brackets in a value (ignoring strings and comments)."""
    depth, quote = 0, ""
    for c in value:
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            break
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
    return depth


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map every key path in ``text`` to its 1-based line number."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    array_counts: dict[tuple[str, ...], int] = {}
    depth = 0
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        if depth > 0:
            depth += _depth_change(line)
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            path = tuple(_split_key(line[2 : line.index("]]")]))
            index = array_counts.get(path, 0)
            array_counts[path] = index + 1
            table = (*path, str(index))
            lines.setdefault(path, number)
            lines[table] = number
            continue
        if line.startswith("["):
            table = tuple(_split_key(line[1 : line.index("]")]))
            # Arrays of tables nested under a table entry keep the entry index.
            table = _with_indices(table, array_counts)
            lines.setdefault(table, number)
            continue
        eq = _key_end(line)
        if eq < 0:
            continue
        key = (*table, *_split_key(line[:eq]))
        lines.setdefault(key, number)
        value = line[eq + 1 :].strip()
        for quote in ('"""', "'''"):
            if value.startswith(quote) and value.count(quote) == 1:
                in_multiline = quote
        depth = _depth_change(value)
    return lines


def _with_indices(path: tuple[str, ...], counts: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    out: list[str] = []
    for part in path:
        out.append(part)
        prefix = tuple(p for p in out)
        if prefix in counts:
            out.append(str(counts[prefix] - 1))
    return tuple(out)


def find_line(lines: dict[tuple[str, ...], int], path: tuple[str | int, ...]) -> int | None:
    """The line of ``path``, or of its nearest enclosing key that has one."""
    key = tuple(str(p) for p in path)
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return None
