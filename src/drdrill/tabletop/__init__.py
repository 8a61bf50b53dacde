"""Tabletop exercise scripts generated from a scenario file, as Markdown and self-contained HTML."""

from drdrill.tabletop.script import build_document, fill_template, render_tabletop, write_tabletop

__all__ = ["build_document", "fill_template", "render_tabletop", "write_tabletop"]
