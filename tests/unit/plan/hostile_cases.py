"""Hostile plan directories: a builder of mutated plans and the check every one must pass.

Shared by the fuzz tests (``test_hostile_fuzz.py``) and ``benchmarks/hostile_plans.py``, so the benchmark's
figures are about exactly what the tests try. A mutation is plain data (:class:`Mutation`); hypothesis draws
them in the tests, a seeded ``random.Random`` in the benchmark.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from markdown_it import MarkdownIt

from drdrill.plan import PlanError, load_plan
from drdrill.plan.errors import MAX_MESSAGE_CHARS, display_path
from drdrill.plan.lints import lint_plan
from drdrill.tabletop import render_tabletop
from drdrill.tabletop.script import Format
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO

SECRET = "root:$6$NOT-TO-BE-PRINTED:19000:0:99999:7:::"
TODAY = date(2026, 11, 22)


def _laughs(size: int) -> str:
    width = 2 + size % 9
    rows = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, 4 + size % 12)]
    return "{" + ", ".join(rows) + "}"


def _nest(size: int) -> str:
    depth = 1 + size * 3
    return "[" * depth + "x" + "]" * depth


def _alias_chain(size: int) -> str:
    links = [f"c0: &c0 {'[' * 20}1{']' * 20}"]
    links += [f"c{i}: &c{i} [*c{i - 1}]" for i in range(1, 2 + size)]
    return "{" + ", ".join(links) + "}"


# Values a mutation writes, by name; `size` (0-60) scales the ones that have a size.
FRAGMENTS: dict[str, Callable[[int], str]] = {
    "laughs": _laughs,
    "nest": _nest,
    "alias-chain": _alias_chain,
    "recursive-alias": lambda size: f"&r{size} [1, *r{size}]",
    "reused-anchor": lambda size: f"[&a{size} 1, &a{size} 2]",
    "undefined-alias": lambda size: f"*nowhere{size}",
    "tag": lambda size: [
        "!!python/object/apply:os.system [id]",
        "!!int x",
        "!foo bar",
        "!!binary AAAA",
        "!!set {a}",
        "!!timestamp x",
        "!<tag:x> 1",
        "!!str 5",
        "!!map {}",
    ][size % 9],
    "raw-control": lambda size: f"a{chr([0, 7, 8, 11, 27, 127, 0x9F, 0xFFFE][size % 8])}b",
    "escaped-control": lambda size: ['"\\0"', '"\\x07"', '"\\ud800"', '"\\udfff"', '"\\x1b[31m"'][size % 5],
    "huge-value": lambda size: "x" * (1 + size * 4000),
    "huge-words": lambda size: "word " * (1 + size * 800),
    "huge-number": lambda size: "9" * (1 + size * 100),
    "huge-duration": lambda size: "9" * (1 + size * 10) + ["d", "s", "ms", "h"][size % 4],
    "iso-duration": lambda size: f"P{'9' * (1 + size)}W",
    "far-date": lambda size: ["9999-12-31", "0001-01-01", "2024-02-30", "9999-12-31T23:59:59"][size % 4],
    "markup": lambda size: [
        '"<script>alert(1)</script>"',
        '"[x](javascript:alert(1))"',
        '"<img src=x>"',
        '"# h"',
        '"- i"',
        '"&#106;avascript:"',
    ][size % 6],
    "yaml-1.1": lambda size: "1e3",
    "inf": lambda size: [".inf", "-.inf", ".nan"][size % 3],
}
MODES = ("value", "append", "plan-append", "raw")


@dataclass(frozen=True)
class Mutation:
    """Write ``FRAGMENTS[fragment](size)`` into a file: as the value of line ``line``, as a new key, or raw."""

    fragment: str
    size: int
    line: int
    mode: str


def _value_into(text: str, line: int, value: str) -> str:
    lines = text.splitlines()
    keyed = [i for i, row in enumerate(lines) if ": " in row]
    index = keyed[line % len(keyed)] if keyed else 0
    if keyed:
        head = lines[index].split(": ", 1)[0]
        lines[index] = f"{head}: {value}"
    return "\n".join(lines) + "\n"


def apply(mutations: list[Mutation]) -> tuple[str, str]:
    """(plan.yaml, s.yaml) after applying ``mutations`` to the minimal plan and scenario."""
    plan, scenario = MINIMAL_PLAN, MINIMAL_SCENARIO
    for m in mutations:
        value = FRAGMENTS[m.fragment](m.size)
        if m.mode == "value":
            scenario = _value_into(scenario, m.line, value)
        elif m.mode == "append":
            scenario += f"extra{m.line}: {value}\n"
        elif m.mode == "plan-append":
            plan += f"extra{m.line}: {value}\n"
        else:
            lines = scenario.splitlines()
            lines.insert(m.line % (len(lines) + 1), value)
            scenario = "\n".join(lines) + "\n"
    return plan, scenario


# Special files a case may put in the plan directory, as scenario files or as the compose file.
SPECIALS = (
    "none",
    "link-outside",
    "link-dev-zero",
    "fifo",
    "link-loop",
    "dangling-link",
    "directory",
    "oversized",
    "compose-dev-zero",
    "compose-fifo",
    "compose-outside",
)


def _special(directory: Path, kind: str) -> str:
    """Create the special file ``kind`` in ``directory``; the plan.yaml line it needs, if any."""
    secret = directory.parent / "shadow"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    if kind == "link-outside":
        os.symlink(secret, directory / "leak.yaml")
    elif kind == "link-dev-zero":
        os.symlink("/dev/zero", directory / "zero.yaml")
    elif kind == "fifo":
        os.mkfifo(directory / "pipe.yaml")
    elif kind == "link-loop":
        os.symlink("loop.yaml", directory / "loop.yaml")
    elif kind == "dangling-link":
        os.symlink("gone.yaml", directory / "dangling.yaml")
    elif kind == "directory":
        (directory / "folder.yaml").mkdir()
    elif kind == "oversized":
        (directory / "big.yaml").write_text("# " + "x" * 300_000 + "\n", encoding="utf-8")
    elif kind == "compose-fifo":
        (directory / "staging").mkdir()
        os.mkfifo(directory / "staging" / "compose.yaml")
        return "staging_topology: {compose_file: staging/compose.yaml}\n"
    elif kind == "compose-dev-zero":
        return "staging_topology: {compose_file: /dev/zero}\n"
    elif kind == "compose-outside":
        return f"staging_topology: {{compose_file: {secret}}}\n"
    return ""


def write_case(directory: Path, mutations: list[Mutation], special: str = "none") -> Path:
    """Write the mutated plan into ``directory`` (created; its parent holds a secret file). Returns it."""
    directory.mkdir(parents=True)
    plan, scenario = apply(mutations)
    plan += _special(directory, special)
    (directory / "plan.yaml").write_bytes(plan.encode("utf-8", "surrogatepass"))
    (directory / "s.yaml").write_bytes(scenario.encode("utf-8", "surrogatepass"))
    return directory


def problems(directory: Path) -> list[str]:
    """What is wrong with how drdrill answers the plan in ``directory``; empty when it answers well.

    Answering well: either a :class:`PlanError` whose every line names the file (with a line when it can),
    stays under the message limit and quotes no other file, or a plan that lints and renders both tabletops.
    """
    found: list[str] = []
    try:
        plan = load_plan(directory)
    except PlanError as exc:
        if not exc.issues:
            found.append("a PlanError with no issue")
        for issue in exc.issues:
            line = str(issue)
            if not line.startswith(display_path(issue.path)) or "\n" in line:
                found.append(f"issue does not start with its file or spans lines: {line[:200]}")
            if len(issue.message) > MAX_MESSAGE_CHARS:
                found.append(f"message of {len(issue.message)} characters: {line[:200]}")
            if "NOT-TO-BE-PRINTED" in line:
                found.append(f"another file's content is echoed: {line[:200]}")
        return found
    for finding in lint_plan(plan, today=TODAY).findings:
        if "NOT-TO-BE-PRINTED" in str(finding):
            found.append(f"another file's content is echoed: {str(finding)[:200]}")
    formats: tuple[Format, ...] = ("md", "html")
    for scenario in plan.scenarios.values():
        for fmt in formats:
            page = render_tabletop(plan, scenario, fmt)
            page.encode("utf-8")  # what write_tabletop will do: no unpaired surrogate may reach it
            if fmt == "md":
                # Escaped markup (\\<script\\>) is text; what matters is what a CommonMark renderer makes of it.
                page = MarkdownIt("commonmark").render(page)
            if "<script" in page:
                found.append(f"{fmt} tabletop of {scenario.name} holds a raw <script>")
    return found


def random_case(rng: random.Random) -> tuple[list[Mutation], str]:
    """Mutations and a special file drawn from ``rng`` over the same space as the tests' strategy."""
    mutations = [
        Mutation(rng.choice(sorted(FRAGMENTS)), rng.randint(0, 60), rng.randint(0, 40), rng.choice(MODES))
        for _ in range(rng.randint(1, 3))
    ]
    special = rng.choice(SPECIALS) if rng.random() < 0.3 else "none"
    return mutations, special


def scratch() -> tempfile.TemporaryDirectory[str]:
    """A temporary directory for one case."""
    return tempfile.TemporaryDirectory(prefix="drdrill-hostile-")
