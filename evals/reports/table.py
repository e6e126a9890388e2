"""The table model of every report: a `Table` of `Text` cells, rendered to Markdown here and to HTML by
the templates (`templates/blocks.html.j2`, autoescaped: no piece of text is ever taken as markup).

`Text` is a run of `Span`s, each plain or styled: "bold" and "code" (Markdown `**x**` and `` `x` ``, HTML
<b> and <code>), "note" (secondary) and "fail" (an alarm), which Markdown shows as plain text. A cell
or a paragraph is a `Text`; a plain string stands for one plain span.

Imports nothing from `evals`, so every layer (the gates' table included) can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

STYLES = ("", "bold", "code", "note", "fail")
_MARKDOWN = {"bold": "**{}**", "code": "`{}`"}


@dataclass(frozen=True)
class Span:
    text: str
    style: str = ""

    def __post_init__(self):
        if self.style not in STYLES:
            raise ValueError(f"unknown style {self.style!r}; one of {STYLES}")


@dataclass(frozen=True)
class Text:
    """A paragraph, or a table cell: styled pieces in order (`text(...)` builds one)."""

    spans: tuple[Span, ...] = ()
    kind: ClassVar[str] = "text"

    def markdown(self) -> str:
        return "".join(_MARKDOWN.get(s.style, "{}").format(s.text) for s in self.spans)


Piece = str | Span | Text


def text(*pieces: Piece | int) -> Text:
    """One `Text` of the pieces in order (strings and counts are plain)."""
    spans: list[Span] = []
    for piece in pieces:
        if isinstance(piece, Text):
            spans.extend(piece.spans)
        elif isinstance(piece, Span):
            spans.append(piece)
        elif not isinstance(piece, str) or piece:
            spans.append(Span(str(piece)))
    return Text(tuple(spans))


def bold(s: str) -> Span:
    return Span(s, "bold")


def code(s: str) -> Span:
    return Span(s, "code")


def note(s: str) -> Span:
    return Span(s, "note")


def fail(s: str) -> Span:
    return Span(s, "fail")


@dataclass(frozen=True)
class Table:
    """Columns and rows of cells (any `Piece`; kept as `Text`), with an optional sentence said before it."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Text, ...], ...] = ()
    title: str = ""
    kind: ClassVar[str] = "table"

    def __post_init__(self):
        columns = tuple(str(c) for c in self.columns)
        rows = tuple(tuple(text(cell) for cell in row) for row in self.rows)
        for row in rows:
            if len(row) != len(columns):
                raise ValueError(f"a row of {len(row)} cells in a table of {len(columns)} columns: {columns}")
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "rows", rows)

    def markdown(self) -> str:
        """A GitHub Markdown table (after the title and a blank line), ending in a newline."""
        lines = [_markdown_row(self.columns), "|" + "---|" * len(self.columns)]
        lines += [_markdown_row([cell.markdown() for cell in row]) for row in self.rows]
        return (f"{self.title}\n\n" if self.title else "") + "\n".join(lines) + "\n"


def _markdown_row(cells: Sequence[str]) -> str:
    """`| a | b |`; a "|" inside a cell is escaped and a line break becomes a space."""
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
