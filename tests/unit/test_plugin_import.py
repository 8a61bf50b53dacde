"""Every pytest run in a project with drdrill installed loads its plugin: without --drill it imports nothing
of drdrill but its hook specs, and none of the libraries a drill needs."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_plugin_imports_nothing_a_drill_needs() -> None:
    code = "import json, sys; import drdrill.plugin; print(json.dumps(sorted(sys.modules)))"
    loaded = set(
        json.loads(
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        )
    )
    assert sorted(m for m in loaded if m.startswith("drdrill")) == [
        "drdrill",
        "drdrill.hookspecs",
        "drdrill.plugin",
    ]
    assert not loaded & {
        "docker",
        "httpx",
        "pydantic",
        "testcontainers",
        "ruamel",
        "msgspec",
        "toxiproxy",
        "requests",
    }
