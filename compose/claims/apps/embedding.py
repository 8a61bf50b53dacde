"""The claims system's text embedding: a fixed, deterministic vector for a claim text (stdlib only).

Each character trigram of the lower-cased, space-padded words is hashed (blake2b, so the same on every
machine and Python) into one of DIMENSIONS buckets with a sign; the vector is normalised to length 1, so the
dot product of two vectors is their cosine similarity. No model weights: similar wording gives similar vectors,
which is what the search service's vector index and its fixed query set need.
"""

from __future__ import annotations

import hashlib
import math
import re

DIMENSIONS = 64
_WORD = re.compile(r"[a-z0-9]+")


def _bucket(trigram: str) -> tuple[int, float]:
    digest = hashlib.blake2b(trigram.encode(), digest_size=4).digest()
    value = int.from_bytes(digest, "big")
    return value % DIMENSIONS, 1.0 if value & 0x8000_0000 else -1.0


def embed(text: str) -> list[float]:
    """The unit vector of ``text`` (all zeros for a text without letters or digits)."""
    vector = [0.0] * DIMENSIONS
    for word in _WORD.findall(text.lower()):
        padded = f" {word} "
        for i in range(len(padded) - 2):
            index, sign = _bucket(padded[i : i + 3])
            vector[index] += sign
    norm = math.sqrt(sum(v * v for v in vector))
    return vector if norm == 0 else [v / norm for v in vector]


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two unit vectors."""
    return sum(x * y for x, y in zip(a, b, strict=True))
