"""HTML pages from the Jinja2 templates in `templates/` (package data), autoescaped: every value a page
shows (file names, reasons, table cells) is escaped by the template engine, never by hand."""

from __future__ import annotations

from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context) -> str:
    """The page `template` (a file name in `templates/`) filled with `context`."""
    return _environment().get_template(template).render(**context)
