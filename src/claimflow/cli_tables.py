"""How every ``claimflow`` command prints a table: human headers and values as
:mod:`claimflow.display` writes them, identifiers never cut, too many columns split into parts
that repeat the leading ids, ``--wide`` for one table and ``--format csv`` for another program."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from claimflow import display
from claimflow.cli_common import out


class TableFormat(StrEnum):
    """How a command prints its table: for a person, or CSV for another program."""

    table = "table"
    csv = "csv"


WideOpt = Annotated[
    bool,
    typer.Option("--wide", help="One table as wide as its columns need (no width limit)."),
]
FormatOpt = Annotated[
    TableFormat,
    typer.Option("--format", help="table (for a person) or csv (plain CSV with column names)."),
]

_NUMERIC: frozenset[str] = frozenset({"count", "money", "rate", "days", "number"})
_ATOMIC_KINDS: frozenset[str] = _NUMERIC | {"date", "timestamp", "flag"}
_LONGEST_WORD = 24
"""A word of free text longer than this folds (an identifier never does)."""


@dataclass
class _Col:
    name: str
    header: str
    cells: list[str]
    numeric: bool
    atomic: bool  # an identifier, a code, a number, a date: never wrapped, never cut

    @cached_property
    def least(self) -> int:
        """The narrowest this column may be."""
        header_word = max((cell_len(w) for w in self.header.split()), default=1)
        if self.atomic:
            return max([header_word, *(cell_len(c) for c in self.cells)])
        words = [min(cell_len(w), _LONGEST_WORD) for c in self.cells for w in c.split()]
        return max([header_word, 1, *words])

    @cached_property
    def most(self) -> int:
        """As wide as this column could use."""
        lines = [line for c in self.cells for line in c.splitlines()]
        return max([cell_len(self.header), *(cell_len(line) for line in lines)])


def _columns(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    report: str | None,
    cents: bool,
    ids: Collection[str],
) -> list[_Col]:
    made = []
    for name in columns:
        kind = display.term(name, report).kind
        cells = [display.show(name, row.get(name), report, cents=cents) for row in rows]
        atomic = (
            name in ids
            or kind in _ATOMIC_KINDS
            or (kind == "text" and all(len(c.split()) <= 1 for c in cells))
        )
        made.append(_Col(name, display.label(name, report), cells, kind in _NUMERIC, atomic))
    return made


def _overhead(n: int) -> int:
    """What a table of n columns adds to their text: a space either side of each cell, and the
    rules between and around them."""
    return 3 * n + 1


def _fit(cols: Sequence[_Col], width: int | None) -> list[int] | None:
    """Widths for ``cols`` within ``width`` characters (None: as wide as they need), or None
    when even the narrowest do not fit."""
    if width is None:
        return [c.most for c in cols]
    room = width - _overhead(len(cols))
    widths = [c.least for c in cols]
    if sum(widths) > room:
        return None
    spare = room - sum(widths)
    # what is left goes to those that want more: headers on one line when that takes at most a
    # third of it, then one character at a time the text that folds (fewer lines), then the rest
    headers = sum(c.most - widths[i] for i, c in enumerate(cols) if c.atomic)
    if headers <= spare // 3:
        widths = [c.most if c.atomic else w for c, w in zip(cols, widths, strict=True)]
        spare -= headers
    for atomic in (False, True):
        while spare > 0:
            wanting = [i for i, c in enumerate(cols) if c.atomic == atomic and widths[i] < c.most]
            if not wanting:
                break
            for i in wanting[:spare]:
                widths[i] += 1
            spare -= min(spare, len(wanting))
    return widths


def _parts(cols: list[_Col], width: int) -> list[tuple[list[_Col], list[int]]]:
    """Split columns too many for ``width`` into tables that each repeat the leading
    identifier columns (the row's key), as many columns in each as fit."""
    keys: list[_Col] = []
    for c in cols:
        if not c.atomic or c.numeric or len(keys) == len(cols) - 1:
            break
        if _fit([*keys, c], width // 2) is None:
            break
        keys.append(c)
    parts: list[tuple[list[_Col], list[int]]] = []
    rest = cols[len(keys) :]
    while rest:
        take = 1
        while take < len(rest) and _fit([*keys, *rest[: take + 1]], width) is not None:
            take += 1
        chosen = [*keys, *rest[:take]]
        parts.append((chosen, _fit(chosen, width) or [c.least for c in chosen]))  # or wider
        rest = rest[take:]
    return parts


@dataclass
class _Part:
    """One table to print: its columns, their widths, and what is written above and below."""

    title: str
    cols: list[_Col]
    widths: list[int]
    rows: int
    caption: str | None = None
    width: int | None = None  # the table's width when wider than the console (never cut)


def _layout(cols: list[_Col], title: str, rows: int, width: int | None) -> list[_Part]:
    fitted = _fit(cols, width)
    caption = None if rows else "no rows"
    if width is None or fitted is not None or not cols:
        widths = fitted or [c.most for c in cols]
        whole = sum(widths) + _overhead(len(cols)) if width is None else None
        return [_Part(title, cols, widths, rows, caption, whole)]
    parts = _parts(cols, width)
    made = []
    for n, (part, widths) in enumerate(parts, 1):
        need = sum(widths) + _overhead(len(part))
        made.append(
            _Part(
                title if n == 1 else "", part, widths, rows,
                f"part {n} of {len(parts)} (too wide for {width} columns)",
                need if need > width else None,
            )
        )  # fmt: skip
    return made


def _table(part: _Part) -> Table:
    table = Table(title=part.title, title_justify="left", width=part.width)
    for c, w in zip(part.cols, part.widths, strict=True):
        table.add_column(
            Text(c.header, no_wrap=False, overflow="fold"),  # a header folds, its column may not
            justify="right" if c.numeric else "left",
            width=w,
            no_wrap=c.atomic,
            overflow="ellipsis" if c.atomic else "fold",
        )
    for i in range(part.rows):
        table.add_row(*(c.cells[i] for c in part.cols))
    if part.caption:
        table.caption, table.caption_justify = part.caption, "left"
    return table


def _plain(console: Console, part: _Part) -> Text:
    """``part`` drawn as Rich draws it (its box, folding and alignment), without its styles,
    line by line: Rich takes about a millisecond a row, too slow for a report of thousands."""
    cols, widths = part.cols, part.widths
    total = sum(widths) + _overhead(len(cols))

    def wrapped(text: str, width: int, justify: JustifyMethod, fold: bool) -> list[str]:
        if not fold and "\n" not in text and cell_len(text) <= width:
            pad = " " * (width - cell_len(text))
            return [pad + text if justify == "right" else text + pad]
        lines = Text(text).wrap(console, width, justify=justify, overflow="fold")
        return [line.plain for line in lines]

    def row(cells: list[list[str]], bar: str, bottom: bool) -> list[str]:
        height = max((len(c) for c in cells), default=1)
        blank = [" " * w for w in widths]
        grid = [
            [*([b] * (height - len(c)) if bottom else []), *c,
             *([] if bottom else [b] * (height - len(c)))]
            for c, b in zip(cells, blank, strict=True)
        ]  # fmt: skip
        return [bar + " " + f" {bar} ".join(g[i] for g in grid) + " " + bar for i in range(height)]

    def rule(left: str, line: str, cross: str, right: str) -> str:
        return left + cross.join(line * (w + 2) for w in widths) + right

    def note(text: str) -> list[str]:
        return [line.plain for line in Text(text).wrap(console, total, justify="left")]

    lines = note(part.title) if part.title else []
    lines.append(rule("┏", "━", "┳", "┓"))
    headers = [
        wrapped(c.header, w, "right" if c.numeric else "left", True)
        for c, w in zip(cols, widths, strict=True)
    ]
    lines += row(headers, "┃", bottom=True)
    lines.append(rule("┡", "━", "╇", "┩"))
    for i in range(part.rows):
        cells = [
            wrapped(c.cells[i], w, "right" if c.numeric else "left", not c.atomic)
            for c, w in zip(cols, widths, strict=True)
        ]
        lines += row(cells, "│", bottom=False)
    lines.append(rule("└", "─", "┴", "┘"))
    if part.caption:
        lines += note(part.caption)
    return Text("\n".join(lines))


_RICH_ROWS = 200
"""Up to this many rows a table is drawn by Rich (styled); beyond, by :func:`_plain`."""


def tables(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    title: str,
    *,
    report: str | None = None,
    cents: bool = False,
    width: int | None = 80,
    ids: Collection[str] = (),
) -> list[Table]:
    """``rows`` as the Rich tables a person reads within ``width`` characters (None: no limit).

    Headers are :func:`claimflow.display.label` of each column, cells
    :func:`claimflow.display.show` of each value (``cents`` for amounts of one claim or line),
    numbers right-aligned. Identifiers, codes, numbers and dates (a text column none of whose
    values has a space, and the columns named in ``ids``) are never wrapped or cut: their
    column is as wide as their longest value, headers and free text fold to make room. When
    even that does not fit, the columns are split into several tables, each repeating the
    leading identifier columns, and the captions say so.
    """
    cols = _columns(rows, columns, report, cents, ids)
    return [_table(part) for part in _layout(cols, title, len(rows), width)]


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    title: str,
    *,
    report: str | None = None,
    cents: bool = False,
    fmt: TableFormat = TableFormat.table,
    wide: bool = False,
    ids: Collection[str] = (),
    console: Console | None = None,
    hint: str | None = "--wide; every column for another program: --format csv",
) -> None:
    """Print ``rows`` (see :func:`tables`) on ``console`` (stdout by default): as tables as
    wide as the console, as one table however wide (``wide``), or as CSV (``fmt``: the column
    names, then the values as stored, dates without a time of day, nothing for a missing
    value). ``hint``: how to get one table instead of several, by the command's options."""
    console = console or out
    if fmt == TableFormat.csv:
        writer = csv.writer(console.file, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row.get(c), display.term(c, report).kind) for c in columns])
        return
    cols = _columns(rows, columns, report, cents, ids)
    parts = _layout(cols, title, len(rows), None if wide else console.width)
    for part in parts:  # a table is only ever wider than the console to keep ids whole
        if part.rows <= _RICH_ROWS:
            console.print(_table(part), crop=False)
        else:
            console.print(_plain(console, part), crop=False, soft_wrap=True, highlight=False)
    if len(parts) > 1 and hint:
        console.print(f"One table: {hint}.", highlight=False)


def _csv_value(value: object, kind: str) -> object:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(_csv_value(v, kind)) for v in value)
    if kind == "date" and isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value
