#!/usr/bin/env python3
"""Make the claims system's test sets, deterministically (the same files on every run and machine).

    python3 scripts/make_claims_test_sets.py          # write them
    python3 scripts/make_claims_test_sets.py --check  # exit 1 if a committed file differs from what it makes

Three files, each from its own seed, from one generator of claim texts whose label is known by construction
(the template it came from):

- ``scenarios/golden/claims.jsonl``: the golden set, 8 claims a label, ``{"input", "expected"}`` a line. A drill
  submits each through the system after recovery and judges its accuracy (the scenario's ``min_accuracy``).
- ``compose/claims/search/reference_claims.tsv``: 2,000 past claims (id, label, text) the image seeds into
  Postgres: the source rows of the search service's vector index.
- ``scenarios/golden/similar-claims.jsonl``: 50 new claim texts and the ids of their 10 exact nearest reference
  claims by cosine similarity of ``compose/claims/apps/embedding.py`` (ties broken by id): the query set whose
  recall@10 a drill measures on the rebuilt index.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "compose" / "claims" / "apps"))

from embedding import embed  # noqa: E402 - the replica's own module, found above

GOLDEN = ROOT / "scenarios" / "golden" / "claims.jsonl"
QUERIES = ROOT / "scenarios" / "golden" / "similar-claims.jsonl"
REFERENCE = ROOT / "compose" / "claims" / "search" / "reference_claims.tsv"
GOLDEN_PER_LABEL, REFERENCE_ROWS, QUERY_COUNT, K = 8, 2000, 50, 10

# Per label: who or what, what happened, what it cost. A claim is one of each, and a detail that makes its
# wording unique (a reference number), so no two claims embed the same and nearest neighbours have no ties.
TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "auto": (
        ("My car", "Our delivery van", "The family car", "My motorcycle", "A rental vehicle", "My truck"),
        (
            "was rear-ended at a traffic light",
            "collided with a cyclist at a roundabout",
            "skidded on ice into a parking barrier",
            "was hit by a reversing bus",
            "had its windshield cracked by a stone on the motorway",
            "was scraped in the supermarket parking lot",
        ),
        (
            "the bumper and tail lights are broken",
            "a door is dented and a mirror is gone",
            "a tyre and the wheel rim are ruined",
            "the bonnet is crumpled",
            "the paint is scratched along one side",
        ),
    ),
    "property": (
        ("Our house", "My apartment", "The rented flat", "Our holiday home", "The basement", "Our kitchen"),
        (
            "was flooded overnight when a pipe burst",
            "caught fire while dinner was cooking",
            "lost roof tiles in a storm",
            "was burgled while we were away",
            "had a leak through the ceiling",
            "was hit by a falling tree in the storm",
        ),
        (
            "the floor and cabinets are ruined",
            "the walls are blackened by smoke",
            "a laptop and jewellery were stolen",
            "the plaster and wiring must be redone",
            "the carpets and furniture are soaked",
        ),
    ),
    "health": (
        ("I", "My daughter", "My husband", "Our son", "My mother", "A colleague on my policy"),
        (
            "was taken to hospital by ambulance after a fall",
            "needed surgery on a torn knee ligament",
            "had emergency dental treatment for a broken tooth",
            "was admitted to the clinic with pneumonia",
            "started physiotherapy after a shoulder operation",
            "needed a doctor's visit and a prescription for an infection",
        ),
        (
            "the hospital bill covers two nights",
            "the medical costs include x-rays and tests",
            "the clinic invoiced ten sessions",
            "the prescription and the follow-up visit were paid",
            "the surgeon's fees and the anaesthesia were charged",
        ),
    ),
    "liability": (
        ("A customer", "A visitor", "Our neighbour", "A pedestrian", "A delivery driver", "A client"),
        (
            "slipped on the wet floor of our shop and is suing us",
            "was bitten by our dog and claims compensation",
            "tripped over a cable at our office and filed a lawsuit",
            "says our negligence caused an injury on our premises",
            "holds us liable for a fall on our icy front steps",
            "sued us after a shelf fell on them in our store",
        ),
        (
            "their lawyer demands damages",
            "they claim lost wages and pain",
            "the third-party claim names our business",
            "a court date has been set",
            "they want their medical costs repaid",
        ),
    ),
    "other": (
        (
            "My luggage",
            "My phone",
            "Our wedding deposit",
            "My bicycle bell",
            "A concert ticket",
            "My passport",
        ),
        (
            "was lost on a trip abroad",
            "went missing at a festival",
            "was not refunded when the event was cancelled",
            "was left behind in a taxi",
            "disappeared during a move between cities",
            "was taken by mistake at an airport",
        ),
        (
            "and it is unclear what the policy covers",
            "and I would like to know if this is insured",
            "and the seller refuses to pay anything back",
            "and I have the receipt",
            "and nobody has found it since",
        ),
    ),
}
LABELS = tuple(TEMPLATES)


def claim(draw: random.Random, label: str) -> str:
    """One claim text of ``label``, drawn from its templates, with a reference number of its own."""
    who, what, cost = TEMPLATES[label]
    reference = draw.randrange(10_000, 100_000)
    return f"{draw.choice(who)} {draw.choice(what)}; {draw.choice(cost)} (reference {reference})."


def golden() -> list[dict[str, str]]:
    draw = random.Random(1)
    items = [
        {"input": claim(draw, label), "expected": label} for label in LABELS for _ in range(GOLDEN_PER_LABEL)
    ]
    draw.shuffle(items)
    return items


def reference() -> list[tuple[str, str, str]]:
    draw = random.Random(2)
    return [
        (f"ref-{i:04d}", label, claim(draw, label))
        for i, label in enumerate(draw.choice(LABELS) for _ in range(REFERENCE_ROWS))
    ]


def queries(rows: list[tuple[str, str, str]]) -> list[dict[str, object]]:
    draw = random.Random(3)
    vectors = [(row_id, embed(text)) for row_id, _, text in rows]
    out: list[dict[str, object]] = []
    for _ in range(QUERY_COUNT):
        text = claim(draw, draw.choice(LABELS))
        query = embed(text)
        scored = sorted(
            vectors, key=lambda item: (-sum(x * y for x, y in zip(query, item[1], strict=True)), item[0])
        )
        out.append({"query": text, "expected": [row_id for row_id, _ in scored[:K]]})
    return out


def files() -> dict[Path, str]:
    rows = reference()
    return {
        GOLDEN: "".join(json.dumps(item) + "\n" for item in golden()),
        REFERENCE: "".join(f"{row_id}\t{label}\t{text}\n" for row_id, label, text in rows),
        QUERIES: "".join(json.dumps(item) + "\n" for item in queries(rows)),
    }


def main(argv: list[str]) -> int:
    made = files()
    if argv == ["--check"]:
        stale = [path for path, text in made.items() if not path.is_file() or path.read_text() != text]
        for path in stale:
            print(
                f"{path.relative_to(ROOT)} differs from what {Path(__file__).name} makes: run it",
                file=sys.stderr,
            )
        return 1 if stale else 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    for path, text in made.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
