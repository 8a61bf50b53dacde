"""Hostile scorecards: a builder of crafted files in a reports directory and the check every one must pass.

Shared by ``test_hostile_reports.py`` and ``benchmarks/hostile_plans.py``, so the benchmark's figures are about
exactly what the tests try. A case is one family and a seeded ``random.Random``: the family says what is
crafted (a FIFO, a link to ``/dev/zero``, a non-finite number at a random figure, ...), the generator where
and how much.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from drdrill.cli import main
from drdrill.report.history import read_history
from drdrill.report.schema import MAX_SCORECARD_BYTES

ROOT = Path(__file__).resolve().parents[3]
PLAN = ROOT / "scenarios"
_MARK = "__drdrill_hostile__"
# Terminal control: C0 except tab and newline, DEL, and C1 (0x80-0x9f), which terminals also obey.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

Leaf = tuple[dict[str, Any] | list[Any], str | int]


def _leaves(node: Any, want: type | tuple[type, ...]) -> Iterator[Leaf]:
    """(container, key) of every leaf value of type ``want`` (bool is no number here)."""
    items: Iterator[tuple[str | int, Any]]
    if isinstance(node, dict):
        items = iter(node.items())
    elif isinstance(node, list):
        items = iter(enumerate(node))
    else:
        return
    for key, value in items:
        if isinstance(value, dict | list):
            yield from _leaves(value, want)
        elif isinstance(value, want) and not isinstance(value, bool):
            yield node, key


def _with_raw(card: dict[str, Any], rng: random.Random, want: type | tuple[type, ...], raw: str) -> str:
    """The card's JSON with one random leaf of type ``want`` replaced by the raw JSON text ``raw``."""
    copy = json.loads(json.dumps(card))
    container, key = rng.choice(list(_leaves(copy, want)))
    container[key] = _MARK  # type: ignore[index]
    return json.dumps(copy).replace(json.dumps(_MARK), raw, 1)


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _text(path: Path, text: str | bytes) -> None:
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))


def _deep(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    depth = rng.choice([33, 100, 999, 5000, 200_000])
    _text(path, _with_raw(card, rng, (str, int, float), _nested(depth)))


def _fifo(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    os.symlink(rng.choice(["/dev/zero", "/dev/urandom", "/dev/null"]), path)


def _non_finite(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    token = rng.choice(["NaN", "Infinity", "-Infinity", "1e308", "-1e308", "1e999", "1.7976931348623157e308"])
    _text(path, _with_raw(card, rng, (int, float), token))


def _future(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    ahead = rng.choice([timedelta(minutes=10), timedelta(days=1), timedelta(days=3000)])
    started = rng.choice(["9999-12-31T23:59:59+00:00", (datetime.now(UTC) + ahead).isoformat()])
    _text(path, json.dumps({**card, "started_utc": started}))


def _huge(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    # Sparse: the size is real to every reader, the disk holds nothing.
    with path.open("wb") as handle:
        handle.truncate(MAX_SCORECARD_BYTES + 1 + rng.randrange(4 * MAX_SCORECARD_BYTES))


def _control(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    copy = json.loads(json.dumps(card))
    sequence = rng.choice(["\x1b[2J\x1b[H", "\x1b]0;owned\x07", "\r\x1b[K", "\x9b31m", "\x07\x08\x7f"])
    # One text every view prints (the title, the plan, a verdict, the error), then random others.
    printed = rng.choice(["title", "plan", "verdict", "error"])
    if printed == "title":
        copy["scenario"]["title"] += sequence
    elif printed == "plan":
        copy["plan"]["name"] += sequence
    elif printed == "verdict":
        copy["verdicts"][0]["message"] += sequence
    else:
        copy["error"] = f"the tool failed{sequence}"
    for _ in range(rng.randrange(5)):
        container, key = rng.choice(list(_leaves(copy, str)))
        container[key] = f"{container[key]}{sequence}"  # type: ignore[index]
    _text(path, json.dumps(copy))


def _link_loop(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    os.symlink(path.name, path)


def _surrogate(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    _text(path, _with_raw(card, rng, str, rng.choice(['"\\ud800"', '"x\\udfff"', '"\\udc00\\ud800"'])))


def _huge_int(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    _text(path, _with_raw(card, rng, (int, float), "9" * rng.choice([20, 400, 5000, 100_000])))


def _not_utf8(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    raw = json.dumps(card).encode("utf-8")
    at = rng.randrange(len(raw))
    _text(path, raw[:at] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80"]) + raw[at:])


def _cut_short(path: Path, card: dict[str, Any], rng: random.Random) -> None:
    raw = json.dumps(card)
    _text(path, raw[: rng.randrange(len(raw))])


FAMILIES: dict[str, Callable[[Path, dict[str, Any], random.Random], None]] = {
    "deep-nesting": _deep,
    "fifo": _fifo,
    "dev-zero-link": _dev_zero,
    "non-finite": _non_finite,
    "future-date": _future,
    "huge-file": _huge,
    "control-characters": _control,
    "link-loop": _link_loop,
    "lone-surrogate": _surrogate,
    "huge-integer": _huge_int,
    "not-utf8": _not_utf8,
    "cut-short": _cut_short,
}


def write_reports(reports: Path, card: dict[str, Any], family: str, rng: random.Random) -> Path:
    """A reports directory holding ``card`` (run ``good``) and one crafted ``scorecard.json`` (run ``bad``)."""
    (reports / "good").mkdir(parents=True)
    (reports / "good" / "scorecard.json").write_text(json.dumps(card), encoding="utf-8")
    (reports / "bad").mkdir()
    bad = reports / "bad" / "scorecard.json"
    FAMILIES[family](bad, card, rng)
    return bad


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def card_problems(reports: Path, bad: Path, scratch: Path, *, terminal: bool = True) -> list[str]:
    """What is wrong with how drdrill answers the reports directory ``reports``; empty when it answers well.

    Answering well: the good scorecard still counts; the crafted one is read or skipped with one line that
    names it; ``history`` and ``lint --reports`` finish; ``report`` (and ``--html``), ``tabletop --scorecard``
    and ``export`` answer it with a status, and a refusal is one line naming the file. With ``terminal``, no
    control character reaches the terminal. A traceback escapes to the caller (the benchmark reports it).
    """
    found: list[str] = []
    history = read_history(reports)
    if not any(run.path.parent.name == "good" for run in history.drills):
        found.append("the good scorecard no longer counts")
    for line in history.unreadable:
        if "\n" in line or not line.startswith(str(bad)):
            found.append(f"a skipped file's line spans lines or does not name it: {line[:200]!r}")
    code, _, _ = _run(["history", str(reports), "--plan", str(PLAN), "-o", str(scratch / "readiness.html")])
    if code != 0:
        found.append(f"history exited {code}")
    code, _, _ = _run(["lint", str(PLAN), "--reports", str(reports)])
    if code not in (0, 1):
        found.append(f"lint --reports exited {code}")
    commands = {
        "report": ["report", str(bad), "--html", str(scratch / "card.html")],
        "tabletop": [
            *("tabletop", "provider-outage", "--plan", str(PLAN), "--scorecard", str(bad)),
            *("--out", str(scratch / "tabletop"), "--format", "md"),
        ],
        "export": ["export", "--chaostoolkit", str(bad), "-o", str(scratch / "ctk.json")],
    }
    for name, argv in commands.items():
        code, out, err = _run(argv)
        if code not in (0, 1, 2):
            found.append(f"{name} exited {code}")
        if code == 2 and (err.count("\n") != 1 or not err.startswith(f"drdrill: error: {bad}")):
            found.append(f"{name}'s refusal is not one line naming the file: {err[:200]!r}")
        if terminal and CONTROL.search(out + err):
            found.append(f"{name} wrote a control character to the terminal")
    return found
