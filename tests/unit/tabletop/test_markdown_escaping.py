"""The Markdown tabletop is escaped as carefully as the HTML one: a CommonMark renderer runs nothing from a plan.

Each check renders the ``.md`` with markdown-it-py's CommonMark preset, which passes raw HTML through (as
GitHub's and most wikis' renderers do), and reads the result back: only the tags the tabletop itself writes
may appear, and the plan's text must read exactly as written.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from drdrill.plan import load_plan
from drdrill.tabletop import render_tabletop
from drdrill.tabletop.document import Bullets, Document, Heading, Para, Questions, Section, Table, to_markdown
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO

# Tags the tabletop's own Markdown renders to (its answer lines are rules); anything else came from the plan.
OWN_TAGS = {
    *("h1", "h2", "h3", "h4", "p", "em", "ol", "ul", "li", "blockquote", "hr"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
PAYLOADS = [
    "<script>alert(1)</script>",
    "[click me](javascript:alert(1))",
    "![x](javascript:alert(2))",
    "<javascript:alert(3)>",
    '<img src=x onerror="alert(4)">',
    "[ref] [ref]: javascript:alert(5)",
    "&lt;b&gt; &#106;avascript:alert(6)",
    "**bold** _em_ `code` ~~gone~~ | cell",
    "# not a heading",
    "1. not a list",
    "- not an item",
    "--",
    "+ not an item either",
    "1) nor this",
    "> not a quote",
]


class _Reader(HTMLParser):
    """Tags, attributes and text of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _render(markdown: str) -> _Reader:
    reader = _Reader()
    reader.feed(MarkdownIt("commonmark").enable("table").render(markdown))
    reader.close()
    return reader


def _hostile_plan(directory: Path) -> tuple[Path, list[str]]:
    """A plan whose every free-text field the tabletop shows holds a payload; and the payloads used."""
    payload = iter(PAYLOADS * 3)
    used: list[str] = []

    def q() -> str:
        used.append(next(payload))
        return '"' + used[-1].replace("\\", "\\\\").replace('"', '\\"') + '"'

    plan = MINIMAL_PLAN.replace("client: Test Client", f"client: {q()}")
    plan = plan.replace("people: [Ann, Bob]", f"people: [{q()}, {q()}]")
    plan = plan.replace("template: We are investigating.", f"template: {q()}")
    plan = plan.replace("template: Assessment.", f"template: {q()}")
    scenario = (
        MINIMAL_SCENARIO.replace("title: Model down", f"title: {q()}")
        .replace("narrative: The model stops answering.", f"narrative: {q()}")
        .replace("impact: Nothing is processed.", f"impact: {q()}")
        .replace("{title: Fail over,", f"{{title: {q()},")
        .replace("{title: Tell the client,", f"{{title: {q()},")
    )
    scenario += f"tabletop:\n  assumptions: [{q()}]\n  injects:\n    - {{at: 20m, event: {q()}, questions: [{q()}]}}\n"
    directory.mkdir()
    (directory / "plan.yaml").write_text(plan, encoding="utf-8")
    (directory / "s.yaml").write_text(scenario, encoding="utf-8")
    return directory, used


def test_no_payload_of_a_hostile_plan_survives_rendering(tmp_path: Path) -> None:
    directory, used = _hostile_plan(tmp_path / "plan")
    plan = load_plan(directory)
    markdown = render_tabletop(plan, plan.scenarios["s"], "md")
    page = _render(markdown)
    assert page.tags <= OWN_TAGS
    assert page.attrs == []  # no href, src or handler at all: the tabletop writes no links
    text = " ".join(" ".join(page.text).split())
    assert len(used) == 13
    for payload in used:
        assert payload in text  # shown as written, not interpreted


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_block_shows_a_payload_as_text(payload: str) -> None:
    doc = Document(
        payload,
        payload,
        [
            Heading(3, payload),
            Para(payload),
            Para(payload, "quote"),
            Para(payload, "note"),
            Bullets([payload], ordered=True),
            Bullets([payload]),
            Table([payload], [[payload]]),
            Questions([payload], lines=1),
            Section(payload, [Para(payload)], badge=payload, kind="module"),
        ],
    )
    page = _render(to_markdown(doc))
    assert page.tags <= OWN_TAGS
    assert page.attrs == []
    assert [t.strip() for t in page.text if t.strip() and "____" not in t] == [payload] * 11 + [
        f"{payload} — {payload}",
        payload,
    ]


markup = st.text(alphabet=st.sampled_from(list("<>[]()!*_`~#&;|\\:-+=.1 \n\tajsvcript")), max_size=40).filter(
    str.strip
)


@settings(max_examples=200, deadline=1000)
@given(text=markup)
def test_any_text_reads_back_exactly_in_every_block(text: str) -> None:
    one_line = " ".join(text.split())
    doc = Document(
        "t",
        "s",
        [
            Para(text),
            Bullets([text]),
            Bullets([text], ordered=True),
            Table(["h"], [[text]]),
            Heading(3, text),
            Para(one_line, "quote"),  # the builder gives a quote one line; several lines make several
            Para(text, "note"),
            Questions([text], lines=0),
            Section(text, [], badge="T+0", kind="module"),
        ],
    )
    page = _render(to_markdown(doc))
    assert page.tags <= OWN_TAGS
    assert page.attrs == []
    shown = [" ".join(t.split()) for t in page.text if t.strip()]
    assert shown == ["t", "s", *[one_line] * 3, "h", *[one_line] * 5, f"T+0 — {one_line}"]
