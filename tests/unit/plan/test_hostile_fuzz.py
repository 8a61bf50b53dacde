"""Fuzzing with hostile plans: whatever a pull request puts in a plan directory, drdrill answers clearly and fast.

The space (``hostile_cases``): one to three mutations of the minimal plan (alias bombs, deep nesting, tags,
control characters, huge values, numbers, durations and dates, markup), each written as a value, a new key or
a raw line, plus at times a special file (links out of the directory, FIFOs, /dev/zero, loops, an oversized
file, a compose file that is one of these). ``benchmarks/hostile_plans.py`` times the same space.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.plan.hostile_cases import FRAGMENTS, MODES, SPECIALS, Mutation, problems, scratch, write_case

mutations = st.lists(
    st.builds(
        Mutation,
        fragment=st.sampled_from(sorted(FRAGMENTS)),
        size=st.integers(0, 60),
        line=st.integers(0, 40),
        mode=st.sampled_from(MODES),
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=200,
    # each case takes well under 0.5 s on a quiet machine; an unbounded one took 90 s. The deadline catches a
    # hang, not slowness: generous enough for a loaded 2-core CI runner.
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutations=mutations, special=st.sampled_from(SPECIALS))
def test_hostile_plans_are_answered_clearly(mutations: list[Mutation], special: str) -> None:
    with scratch() as tmp:
        directory = write_case(Path(tmp) / "plan", mutations, special)
        assert problems(directory) == []
