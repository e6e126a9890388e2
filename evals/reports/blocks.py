"""A report as a list of blocks: headings, paragraphs (`Text`), lists and tables (`Table`), rendered to
Markdown here and to HTML by the templates (`templates/blocks.html.j2`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from evals.reports.table import Table, Text, text


@dataclass(frozen=True)
class Heading:
    level: int
    text: Text
    kind: ClassVar[str] = "heading"

    def __post_init__(self):
        object.__setattr__(self, "text", text(self.text))

    def markdown(self) -> str:
        return "#" * self.level + " " + self.text.markdown()


@dataclass(frozen=True)
class Bullets:
    items: tuple[Text, ...]
    kind: ClassVar[str] = "bullets"

    def __post_init__(self):
        object.__setattr__(self, "items", tuple(text(item) for item in self.items))

    def markdown(self) -> str:
        return "\n".join("- " + item.markdown() for item in self.items)


Block = Heading | Text | Bullets | Table


def markdown(blocks: list[Block]) -> str:
    """The blocks in Markdown, a blank line between two, ending in a newline."""
    return "\n\n".join(b.markdown().rstrip("\n") for b in blocks) + "\n"
