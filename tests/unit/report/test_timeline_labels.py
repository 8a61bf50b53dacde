"""The timeline's labels never cover each other: a second label at the same place goes to another row, a label
that does not fit is shortened to the room there is (its mark or bar keeps the whole text as a tooltip), and the
same text is not shown twice at one place."""

from __future__ import annotations

import re

from drdrill.report.html import CHAR_W, _Labels

ROWS = (122, 110, 98)
TEXT = re.compile(r"<text x='([\d.]+)' y='(\d+)' font-size='(\d+)'[^>]*text-anchor='(\w+)'>([^<]*)</text>")


def _extent(svg: str) -> tuple[float, float, int, str]:
    found = TEXT.search(svg)
    assert found, svg
    x, y, size, anchor, text = found.groups()
    w = len(text) * int(size) * CHAR_W
    x0 = float(x) - w if anchor == "end" else float(x)
    return x0, x0 + w, int(y), text


def test_two_signals_at_one_place_take_two_rows() -> None:
    labels = _Labels(940)
    first = _extent(labels.place(40.0, ROWS, "primary", "#8250df"))
    second = _extent(labels.place(40.0, ROWS, "normal", "#8250df"))
    assert (first[2], second[2]) == (122, 110)
    assert (first[3], second[3]) == ("primary", "normal")


def test_the_same_text_at_one_place_is_shown_once() -> None:
    labels = _Labels(940)
    assert labels.place(200.8, ROWS, "backup", "#8250df")
    assert labels.place(203.3, ROWS, "backup", "#8250df") == ""
    assert labels.place(203.3, ROWS, "reduced-accuracy", "#8250df")  # another text: another row


def test_a_label_with_too_little_room_is_shortened_and_one_with_none_is_left_out() -> None:
    labels = _Labels(940)
    long = "Worker fails over to the backup provider after repeated primary failures"
    shown = _extent(labels.place(168.0, (160,), long, "#1a7f37", limit=117.0))
    assert shown[3].endswith("…") and long.startswith(shown[3][:-1])
    assert shown[1] - shown[0] <= 117.0
    after = _extent(labels.place(291.0, (160,), "After the primary recovers", "#1a7f37"))
    assert after[0] >= shown[1]  # the later label starts where the shortened one ended, or after
    assert labels.place(292.0, (160,), "Another step", "#1a7f37") == ""  # on top of the later label: no room


def test_a_mark_in_the_right_third_is_labelled_on_its_left_within_the_chart() -> None:
    labels = _Labels(940)
    x0, x1, _, _ = _extent(labels.place(900.0, ROWS, "primary", "#8250df"))
    assert x1 <= 900.0 and x0 >= 0
    x0b, x1b, y, _ = _extent(labels.place(880.0, ROWS, "normal", "#8250df"))
    assert y == 110 or x1b <= x0 or x0b >= x1  # another row, or beside it without covering it
