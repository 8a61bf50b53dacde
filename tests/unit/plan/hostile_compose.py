"""Hostile compose files: a builder of plans whose compose file reaches for the host, and the check each must pass.

Shared by ``test_hostile_compose.py`` and ``benchmarks/hostile_plans.py``. A case is a family and a seeded
``random.Random``:

- ``host-setting``: one to three services with one or two settings that give the stack the host (and safe ones
  mixed in): each must be refused at the compose file's line with its allowance, and the plan must load once
  exactly those allowances are given;
- ``safe-setting``: only settings that stay inside the stack: the plan must load;
- ``hostile-name``: a privileged service with a name built to break messages (control characters, 5,000
  characters, right-to-left marks, paths): refused in one line of bounded length, never a traceback;
- ``link``: links as the compose file (a loop, ``/dev/zero``), as a bind source leaving the folder, as an
  included or extended file;
- ``fifo``: FIFOs as the compose file, an included file, an extended file, a bind source.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from drdrill.plan import PlanError, load_plan
from drdrill.plan.errors import MAX_MESSAGE_CHARS, display_path
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO

PLAN = MINIMAL_PLAN.replace("    staging: {service: api}\n", "").replace(
    "    staging: {proxy: model, service: model}\n", ""
)
SCENARIO = (
    MINIMAL_SCENARIO[: MINIMAL_SCENARIO.index("faults:")]
    + MINIMAL_SCENARIO[MINIMAL_SCENARIO.index("recovery:") :]
)


def _settings() -> list[tuple[str, str]]:
    """(a setting as one compose line, the allowance its refusal names)."""
    socket = os.path.realpath("/var/run/docker.sock")
    home = os.path.realpath(os.path.expanduser("~/.ssh"))
    return [
        ("network_mode: host", "network_mode:host"),
        ("network_mode: 'container:x1'", "network_mode:container:x1"),
        ("network_mode: 'service:nowhere'", "network_mode:service:nowhere"),
        ("pid: host", "pid:host"),
        ("ipc: host", "ipc:host"),
        ("uts: host", "uts:host"),
        ("userns_mode: host", "userns_mode:host"),
        ("cgroup: host", "cgroup:host"),
        ("privileged: true", "privileged"),
        ("cap_add: [ALL]", "cap:ALL"),
        ("cap_add: [SYS_PTRACE]", "cap:SYS_PTRACE"),
        ("cap_add: [CAP_NET_ADMIN]", "cap:NET_ADMIN"),
        ("devices: ['/dev/fuse:/dev/fuse']", "device:/dev/fuse"),
        ("device_cgroup_rules: ['a *:* rwm']", "device_cgroup_rules"),
        ("security_opt: ['seccomp=unconfined']", "security_opt:seccomp=unconfined"),
        ("security_opt: ['label:disable']", "security_opt:label:disable"),
        ("volumes_from: ['container:x2']", "volumes_from:container:x2"),
        ("volumes: ['/:/host']", "bind:/"),
        ("volumes: ['/var/run/docker.sock:/s']", f"bind:{socket}"),
        ("volumes: [{type: bind, source: /srv/data, target: /d}]", "bind:/srv/data"),
        ("volumes: ['~/.ssh:/k:ro']", f"bind:{home}"),
        ("volumes: ['../../../escape:/e']", "bind:"),  # the path depends on the case's folder: prefix only
        ("extends: {file: /etc/base.yaml, service: b}", "extends:/etc/base.yaml"),
    ]


SAFE = (
    "cap_add: [CHOWN, NET_BIND_SERVICE, SETUID]",
    "network_mode: none",
    "security_opt: ['no-new-privileges:true']",
    "volumes: ['./data:/data', 'cache:/cache', '/tmp-in-container']",
    "privileged: false",
    "pid: ''",
    "expose: ['8080']",
)
HOSTILE_NAMES = (
    "web\x1b[2Jx",
    "n" * 5000,
    "\u202eevil",
    "../../etc",
    "a:b",
    "spaces in name",
    "日本語",
    "x\ud800y",
    "",
    "null",
)


@dataclass
class ComposeCase:
    """A written case: its family, the plan directory, and what a good answer is."""

    family: str
    directory: Path
    refusals: list[tuple[str, str]] = field(default_factory=list)
    """(service, allowance) each of which must be refused, nothing else."""
    loads: bool = False
    """The plan must load as it is."""
    allow: str = ""
    """plan.yaml lines that allow every refusal: with them the plan must load."""


def _write(directory: Path, compose: str | None, allow: str = "") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "stack").mkdir(exist_ok=True)
    topology = "staging_topology:\n  compose_file: stack/compose.yaml\n" + allow
    (directory / "plan.yaml").write_text(PLAN + topology, encoding="utf-8")
    (directory / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    if compose is not None:
        (directory / "stack" / "compose.yaml").write_bytes(compose.encode("utf-8", "surrogatepass"))


def _service(name: str, lines: list[str]) -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return f"  {json.dumps(name)}:\n    image: example/app:local\n{body}"


def _host_setting(directory: Path, rng: random.Random) -> ComposeCase:
    case = ComposeCase("host-setting", directory)
    services = []
    for s in range(rng.randint(1, 3)):
        name = f"svc{s}"
        chosen = rng.sample(_settings(), rng.randint(1, 2))
        by_key: dict[str, str] = {}  # one line per key: YAML refuses a duplicate key
        for line in [line for line, _ in chosen] + rng.sample(SAFE, rng.randint(0, 2)):
            by_key.setdefault(line.split(":", 1)[0], line)
        lines = list(by_key.values())
        services.append(_service(name, lines))
        case.refusals += [(name, allowance) for line, allowance in chosen if line in lines]
    _write(directory, "services:\n" + "".join(services) + "volumes:\n  cache: {}\n")
    grouped: dict[str, list[str]] = {}
    for service, allowance in case.refusals:
        grouped.setdefault(service, []).append(allowance)
    resolved = {s: [_resolve_escape(a, directory) for a in entries] for s, entries in grouped.items()}
    case.allow = f"  allow_host_access: {json.dumps(resolved)}\n"
    return case


def _resolve_escape(allowance: str, directory: Path) -> str:
    return (
        f"bind:{os.path.realpath(directory / 'stack' / '../../../escape')}"
        if allowance == "bind:"
        else allowance
    )


def _safe_setting(directory: Path, rng: random.Random) -> ComposeCase:
    by_key: dict[str, str] = {}
    for line in rng.sample(SAFE, rng.randint(1, 3)):
        by_key.setdefault(line.split(":", 1)[0], line)
    lines = list(by_key.values())
    _write(directory, "services:\n" + _service("web", lines) + "volumes:\n  cache: {}\n")
    return ComposeCase("safe-setting", directory, loads=True)


def _hostile_name(directory: Path, rng: random.Random) -> ComposeCase:
    name = rng.choice(HOSTILE_NAMES)
    setting = rng.choice(["privileged: true", f"network_mode: {json.dumps('service:' + name)}", "pid: host"])
    _write(directory, "services:\n" + _service(name, [setting]) + _service("other", ["network_mode: host"]))
    return ComposeCase("hostile-name", directory)


def _link(directory: Path, rng: random.Random) -> ComposeCase:
    kind = rng.choice(
        ["compose-loop", "compose-dev-zero", "bind-link-out", "include-link-out", "extends-loop"]
    )
    case = ComposeCase("link", directory)
    _write(directory, None)
    stack = directory / "stack"
    if kind == "compose-loop":
        os.symlink("compose.yaml", stack / "compose.yaml")
    elif kind == "compose-dev-zero":
        os.symlink("/dev/zero", stack / "compose.yaml")
    elif kind == "bind-link-out":
        os.symlink("/etc", stack / "etc-link")
        _write(directory, "services:\n" + _service("web", ["volumes: ['./etc-link:/e']"]))
        case.refusals = [("web", "bind:/etc")]
        case.allow = '  allow_host_access: {web: ["bind:/etc"]}\n'
    elif kind == "include-link-out":
        outside = directory.parent / "outside.yaml"
        outside.write_text("services:\n  far:\n    image: example/app:local\n", encoding="utf-8")
        os.symlink(outside, stack / "part.yaml")
        _write(directory, "include: [part.yaml]\nservices:\n" + _service("web", []))
        case.refusals = [("far", "include:part.yaml")]
        case.allow = '  allow_host_access: {far: ["include:part.yaml"]}\n'
    else:
        os.symlink("base.yaml", stack / "base.yaml")
        _write(directory, "services:\n" + _service("web", ["extends: {file: base.yaml, service: b}"]))
    return case


def _fifo(directory: Path, rng: random.Random) -> ComposeCase:
    kind = rng.choice(["compose", "include", "extends", "bind-source"])
    case = ComposeCase("fifo", directory)
    _write(directory, None)
    stack = directory / "stack"
    if kind == "compose":
        os.mkfifo(stack / "compose.yaml")
    elif kind == "include":
        os.mkfifo(stack / "part.yaml")
        _write(directory, "include: [part.yaml]\nservices:\n" + _service("web", []))
    elif kind == "extends":
        os.mkfifo(stack / "base.yaml")
        _write(directory, "services:\n" + _service("web", ["extends: {file: base.yaml, service: b}"]))
    else:
        os.mkfifo(stack / "pipe")  # a bind source is never read: a FIFO inside the folder is the stack's own
        _write(directory, "services:\n" + _service("web", ["volumes: ['./pipe:/pipe']"]))
        case.loads = True
    return case


COMPOSE_FAMILIES: dict[str, Callable[[Path, random.Random], ComposeCase]] = {
    "host-setting": _host_setting,
    "safe-setting": _safe_setting,
    "hostile-name": _hostile_name,
    "link": _link,
    "fifo": _fifo,
}


def _issue_lines(error: PlanError) -> tuple[list[str], list[str]]:
    """(every line, the problems of their form: not naming a file, spanning lines, too long)."""
    lines, wrong = [], []
    for issue in error.issues:
        line = str(issue)
        lines.append(line)
        if not line.startswith(display_path(issue.path)) or "\n" in line:
            wrong.append(f"issue does not start with its file or spans lines: {line[:200]!r}")
        if len(issue.message) > MAX_MESSAGE_CHARS:
            wrong.append(f"message of {len(issue.message)} characters: {line[:200]!r}")
    return lines, wrong


def compose_problems(case: ComposeCase) -> list[str]:
    """What is wrong with how drdrill answers ``case``; empty when it answers well."""
    try:
        load_plan(case.directory)
    except PlanError as exc:
        lines, found = _issue_lines(exc)
    else:
        if case.loads:
            return []
        return ["the plan loaded: nothing was refused"]
    if case.loads:
        return [f"a safe compose file was refused: {lines[0][:300]!r}", *found]
    refused = [line for line in lines if "drdrill refuses it" in line]
    for service, allowance in case.refusals:
        wanted = f'{{{service}: ["{allowance}'
        if not any(wanted in line and "stack/compose.yaml" in line.split(": ", 1)[0] for line in refused):
            found.append(f"no refusal of {service}: {allowance} at the compose file")
    if case.refusals and len(refused) != len(case.refusals):
        found.append(f"{len(refused)} refusals for {len(case.refusals)} settings: {refused!r:.400}")
    if case.allow:
        plan = case.directory / "plan.yaml"
        plan.write_text(plan.read_text(encoding="utf-8") + case.allow, encoding="utf-8")
        try:
            load_plan(case.directory)
        except PlanError as exc:
            found.append(f"still refused with its allowances: {str(exc).splitlines()[0][:300]!r}")
    return found
