"""The claims test sets are what the committed deterministic script makes: a golden set of 8 claims a label, 2,000
reference rows, and 50 queries with their exact 10 nearest reference rows."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "make_claims_test_sets.py"


def test_the_committed_test_sets_are_what_the_script_makes() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_golden_set_has_each_label_and_the_queries_their_nearest_ten() -> None:
    golden = [
        json.loads(line) for line in (ROOT / "scenarios" / "golden" / "claims.jsonl").read_text().splitlines()
    ]
    assert Counter(item["expected"] for item in golden) == {
        "auto": 8,
        "property": 8,
        "health": 8,
        "liability": 8,
        "other": 8,
    }
    rows = (ROOT / "compose" / "claims" / "search" / "reference_claims.tsv").read_text().splitlines()
    ids = {row.split("\t")[0] for row in rows}
    assert len(rows) == len(ids) == 2000
    queries = [
        json.loads(line)
        for line in (ROOT / "scenarios" / "golden" / "similar-claims.jsonl").read_text().splitlines()
    ]
    assert len(queries) == 50
    assert all(len(q["expected"]) == 10 and set(q["expected"]) <= ids for q in queries)
