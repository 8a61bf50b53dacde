"""Keyword retrieval over the small document set shipped in docs/: enough to make the prompt depend on context."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

WORD = re.compile(r"[a-z0-9]+")
# Words too common to tell one document from another.
STOP = frozenset(
    re.findall(
        r"\w+",
        "a an and are at be by can do does for from how i if in is it many much of on or the to what when where "
        "which who why with you your my me we our there",
    )
)


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if w not in STOP]


@dataclass(frozen=True)
class Document:
    name: str
    title: str
    text: str
    terms: Counter[str]


def load(folder: Path) -> list[Document]:
    """Every ``*.md`` of ``folder``; the first line (``# Title``) is the title."""
    found = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = text.splitlines()[0].lstrip("# ").strip() if text else path.stem
        found.append(Document(path.stem, title, text, Counter(words(text))))
    if not found:
        raise SystemExit(f"no documents in {folder}")
    return found


def retrieve(documents: list[Document], question: str, k: int = 2) -> list[Document]:
    """The ``k`` documents sharing the most words with the question (ties by name; never empty)."""
    asked = set(words(question))
    scored = sorted(documents, key=lambda d: (-sum(d.terms[w] for w in asked), d.name))
    return scored[:k]
