"""Hostile compose files, drawn from every family the benchmark draws from: each answered well (refused at its
line with its allowance, loaded when safe, one line per problem, never a traceback or a hang)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.unit.plan.hostile_compose import COMPOSE_FAMILIES, compose_problems

SEEDS = range(6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("family", sorted(COMPOSE_FAMILIES))
def test_every_hostile_compose_family_is_answered_well(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, family: str, seed: int
) -> None:
    monkeypatch.chdir(tmp_path)
    case = COMPOSE_FAMILIES[family](tmp_path / "plan", random.Random(f"{family}-{seed}"))
    assert compose_problems(case) == []
