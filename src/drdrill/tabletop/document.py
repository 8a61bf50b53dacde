"""A small document model rendered to Markdown and to self-contained HTML, so both say the same thing."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    text: str
    style: str = ""  # "" | "note" | "quote" | "meta"


@dataclass(frozen=True)
class Bullets:
    items: list[str]
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Questions:
    """Questions with room to write an answer."""

    items: list[str]
    lines: int = 2


@dataclass(frozen=True)
class Section:
    """A titled group of blocks; in HTML a module box, in Markdown a heading."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    badge: str = ""
    kind: str = ""  # "" | "module"


Block = Heading | Para | Bullets | Table | Questions | Section


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    blocks: list[Block]


# --- Markdown -----------------------------------------------------------------------------------------


# Characters that start Markdown markup anywhere in a line: escapes, code, emphasis, links and images, raw HTML
# and autolinks, entities, table cells, strikethrough, headings' closing hashes.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~#])")
# ... and at the start of a line (or of a list item's text): "-" (a list marker, or with the item's own "- "
# a thematic break such as "- --"), and followed by a space "+", "1." and "1)".
_MD_START = re.compile(r"^(?:(-)|(\+)(?= |$)|(\d{1,9})([.)])(?= |$))")


def _md(text: str) -> str:
    """Text from a plan, a system or a log as literal Markdown, on one line.

    Every character that could start markup is backslash-escaped (CommonMark allows that for any ASCII
    punctuation and renders the character itself), so no emphasis, link, image, ``javascript:`` URL or raw
    HTML from the plan survives a renderer; line breaks become spaces, as they do in the HTML page.
    """
    one_line = " ".join(text.split())
    escaped = _MD_INLINE.sub(r"\\\1", one_line)
    return _MD_START.sub(lambda m: f"{m.group(3) or ''}\\{m.group(1) or m.group(2) or m.group(4)}", escaped)


def _md_block(block: Block, depth: int) -> list[str]:
    if isinstance(block, Heading):
        return ["#" * min(block.level, 6) + " " + _md(block.text), ""]
    if isinstance(block, Para):
        if block.style == "quote":
            return ["> " + _md(line) for line in block.text.splitlines()] + [""]
        if block.style in ("note", "meta"):
            return [f"*{_md(block.text)}*", ""]
        return [_md(block.text), ""]
    if isinstance(block, Bullets):
        marks = (
            [f"{i}." for i in range(1, len(block.items) + 1)] if block.ordered else ["-"] * len(block.items)
        )
        return [f"{m} {_md(item)}" for m, item in zip(marks, block.items, strict=True)] + [""]
    if isinstance(block, Table):
        out = ["| " + " | ".join(_md(h) for h in block.headers) + " |"]
        out.append("|" + "|".join("---" for _ in block.headers) + "|")
        out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
        return [*out, ""]
    if isinstance(block, Questions):
        out = []
        for i, item in enumerate(block.items, 1):
            out += [f"{i}. {_md(item)}", ""] + [
                "   ______________________________________________________________"
            ] * block.lines
            out.append("")
        return out
    title = f"{block.badge} — {block.title}" if block.badge else block.title
    out = ["#" * min(depth, 6) + " " + _md(title), ""]
    for inner in block.blocks:
        out += _md_block(inner, depth + 1)
    return out


def to_markdown(doc: Document) -> str:
    """Render ``doc`` as GitHub-flavoured Markdown; all text is escaped (:func:`_md`)."""
    lines = [f"# {_md(doc.title)}", "", f"*{_md(doc.subtitle)}*", ""]
    for block in doc.blocks:
        lines += _md_block(block, 2)
    return "\n".join(lines).rstrip() + "\n"


# --- HTML ---------------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1d2530; --muted:#5b6675; --line:#d5dbe3; --accent:#1f5fa8; --soft:#eef3f9; --warn:#8a4b00; }
* { box-sizing: border-box; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.9rem; margin: 0 0 .2rem; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 .6rem; padding-bottom: .3rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
.subtitle { color: var(--muted); margin: 0 0 1.5rem; }
.meta { color: var(--muted); font-size: .8rem; font-weight: 700; text-transform: uppercase; letter-spacing: .05em;
        margin: 1rem 0 .3rem; }
.note { background: #fff7e6; border-left: 4px solid var(--warn); padding: .6rem .9rem; }
blockquote { margin: .6rem 0; padding: .6rem 1rem; background: var(--soft); border-left: 4px solid var(--accent); }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .95rem; }
th, td { border: 1px solid var(--line); padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: var(--soft); }
.module { border: 1px solid var(--line); border-radius: 8px; padding: .2rem 1.1rem .8rem; margin: 1.1rem 0;
          page-break-inside: avoid; }
.module > h3 { display: flex; gap: .8rem; align-items: baseline; }
.badge { background: var(--accent); color: #fff; border-radius: 4px; padding: .05rem .5rem; font-size: .9rem;
         font-variant-numeric: tabular-nums; white-space: nowrap; }
ol.questions li { margin-bottom: .8rem; }
.answer { border-bottom: 1px solid var(--line); height: 1.7rem; }
nav ol { columns: 2; }
@media print { body { margin: 0; max-width: none; } nav { display: none; } }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_block(block: Block, depth: int) -> str:
    if isinstance(block, Heading):
        level = min(block.level, 6)
        anchor = f' id="{_e(block.anchor)}"' if block.anchor else ""
        return f"<h{level}{anchor}>{_e(block.text)}</h{level}>"
    if isinstance(block, Para):
        if block.style == "quote":
            return "<blockquote>" + "<br>".join(_e(x) for x in block.text.splitlines()) + "</blockquote>"
        cls = f' class="{block.style}"' if block.style else ""
        return f"<p{cls}>{_e(block.text)}</p>"
    if isinstance(block, Bullets):
        tag = "ol" if block.ordered else "ul"
        return f"<{tag}>" + "".join(f"<li>{_e(i)}</li>" for i in block.items) + f"</{tag}>"
    if isinstance(block, Table):
        head = "".join(f"<th>{_e(h)}</th>" for h in block.headers)
        body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if isinstance(block, Questions):
        answer = '<div class="answer"></div>' * block.lines
        return '<ol class="questions">' + "".join(f"<li>{_e(q)}{answer}</li>" for q in block.items) + "</ol>"
    level = min(depth, 6)
    badge = f'<span class="badge">{_e(block.badge)}</span>' if block.badge else ""
    inner = "".join(_html_block(b, depth + 1) for b in block.blocks)
    title = f"<h{level}>{badge}<span>{_e(block.title)}</span></h{level}>"
    if block.kind == "module":
        return f'<section class="module">{title}{inner}</section>'
    anchor = _anchor(block.title)
    return f'<section id="{_e(anchor)}"><h{level}>{_e(block.title)}</h{level}>{inner}</section>'


def _anchor(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")


def to_html(doc: Document) -> str:
    """Render ``doc`` as one self-contained HTML page (inline CSS, no scripts); all text is escaped."""
    toc = "".join(
        f'<li><a href="#{_e(_anchor(b.title))}">{_e(b.title)}</a></li>'
        for b in doc.blocks
        if isinstance(b, Section) and b.kind != "module"
    )
    body = "".join(_html_block(b, 2) for b in doc.blocks)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(doc.title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{_e(doc.title)}</h1><p class="subtitle">{_e(doc.subtitle)}</p></header>'
        f"<nav><strong>Contents</strong><ol>{toc}</ol></nav>"
        f"<main>{body}</main></body></html>\n"
    )
