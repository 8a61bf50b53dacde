"""What a drill's pytest process pays before it starts anything: drdrill's modules are imported as plain
modules, not through pytest's assertion rewriting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bundled import copy_bundled_plan


@pytest.fixture
def plan_dir(pytester: pytest.Pytester) -> Path:
    return copy_bundled_plan(pytester.path / "scenarios")


def test_drdrill_modules_are_not_assertion_rewritten(pytester: pytest.Pytester, plan_dir: Path) -> None:
    # pytest marks every module of a plugin's distribution for rewriting; the plugin takes its package back, so
    # the modules a drill imports are loaded from source (or bytecode) by Python's own loader. In a process of
    # its own: in this one the modules are imported already.
    pytester.makeconftest(
        """
        def pytest_collection_finish(session):
            import drdrill.runner, drdrill.measure.fold
            for module in (drdrill.runner, drdrill.measure.fold):
                print("LOADER", module.__name__, type(module.__spec__.loader).__name__)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--co", "--drill=provider-outage")
    result.stdout.fnmatch_lines(
        ["LOADER drdrill.runner SourceFileLoader", "LOADER drdrill.measure.fold SourceFileLoader"]
    )


def test_a_drill_run_leaves_its_heap_out_of_the_collectors_sight_before_pytests_own_passes(
    pytester: pytest.Pytester, plan_dir: Path
) -> None:
    # pytest's unraisable-exception plugin runs a full garbage collection in its pytest_unconfigure and again in
    # its cleanup, and the interpreter's exit walks every live object once more; after drills the heap is thrown
    # away whole. drdrill's pytest_unconfigure (tryfirst) collects the garbage there is, then freezes the rest:
    # any other plugin's pytest_unconfigure already sees the frozen heap.
    pytester.makeconftest(
        """
        import gc, os

        def pytest_unconfigure(config):
            os.write(1, f"FROZEN {gc.get_freeze_count() > 1000}\\n".encode())
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--co", "--drill=provider-outage")
    result.stdout.fnmatch_lines(["FROZEN True"])
    plain = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--co", "-p", "no:drdrill")
    plain.stdout.fnmatch_lines(["FROZEN False"])  # without drills, pytest's end is left as it is
