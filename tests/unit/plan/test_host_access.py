"""Compose settings that give a drilled stack the host are refused when the plan loads, at their file:line,
unless ``staging_topology.allow_host_access`` allows them for that service; real compose files, real links."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from drdrill.plan import PlanError, load_plan
from drdrill.plan.lints import lint_plan
from tests.unit.plan.conftest import WritePlan
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO

PLAN = MINIMAL_PLAN.replace("    staging: {service: api}\n", "").replace(
    "    staging: {proxy: model, service: model}\n", ""
)
SCENARIO = (
    MINIMAL_SCENARIO[: MINIMAL_SCENARIO.index("faults:")]
    + MINIMAL_SCENARIO[MINIMAL_SCENARIO.index("recovery:") :]
)
TOPOLOGY = "staging_topology:\n  compose_file: stack/compose.yaml\n"
SAFE = "services:\n  db:\n    image: postgres:16\n"

WriteStack = Callable[..., Path]


@pytest.fixture
def stack(write_plan: WritePlan, tmp_path: Path) -> WriteStack:
    """Write the plan and ``plan/stack/compose.yaml`` (plus ``files`` relative to ``plan/stack``)."""

    def write(compose: str, allow: str = "", **files: str) -> Path:
        directory = write_plan(PLAN + TOPOLOGY + allow, s=SCENARIO)
        (directory / "stack").mkdir(exist_ok=True)
        (directory / "stack" / "compose.yaml").write_text(compose, encoding="utf-8")
        for name, text in files.items():
            path = directory / "stack" / name.replace("__", "/").replace("_yaml", ".yaml")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return directory

    return write


def errors(directory: Path) -> list[str]:
    with pytest.raises(PlanError) as info:
        load_plan(directory)
    return str(info.value).splitlines()


def refusal(where: str, loc: str, what_why: str, service: str, allowance: str) -> str:
    return (
        f"{where}: {loc}: {what_why}; drdrill refuses it: remove it, or allow it knowingly in plan.yaml with "
        f'staging_topology.allow_host_access: {{{service}: ["{allowance}"]}}'
    )


def one_service(settings: str) -> str:
    """A compose file whose service ``web`` has ``settings`` (lines at 4 spaces), beside service ``db``."""
    return f"services:\n  web:\n    image: example/web:local\n{settings}  db:\n    image: postgres:16\n"


OUTSIDE = "outside the compose file's folder"


def _cases(tmp: Path) -> list[tuple[str, str, str, str, str]]:
    """(settings of web, position, loc, what and why, allowance); ``tmp`` is the test's folder."""
    tree = tmp / "plan" / "stack"
    return [
        (
            "    network_mode: host\n",
            "4:19",
            "services.web.network_mode",
            "network_mode: host shares the host's network: its ports listen on every address of this machine, "
            "not only 127.0.0.1 as drdrill publishes them",
            "network_mode:host",
        ),
        (
            "    network_mode: 'service:elsewhere'\n",
            "4:19",
            "services.web.network_mode",
            "network_mode: service:elsewhere names no service of the drilled stack: it joins something outside it",
            "network_mode:service:elsewhere",
        ),
        (
            "    network_mode: 'container:db1'\n",
            "4:19",
            "services.web.network_mode",
            "network_mode: container:db1 shares the network namespace of a container outside the drilled stack",
            "network_mode:container:db1",
        ),
        (
            "    pid: host\n",
            "4:10",
            "services.web.pid",
            "pid: host sees and can signal every process of the host",
            "pid:host",
        ),
        (
            "    ipc: host\n",
            "4:10",
            "services.web.ipc",
            "ipc: host shares the host's shared memory and semaphores",
            "ipc:host",
        ),
        (
            "    uts: host\n",
            "4:10",
            "services.web.uts",
            "uts: host shares the host's hostname and can change it",
            "uts:host",
        ),
        (
            "    userns_mode: host\n",
            "4:18",
            "services.web.userns_mode",
            "userns_mode: host turns user-namespace remapping off: its root is the host's root",
            "userns_mode:host",
        ),
        (
            "    cgroup: host\n",
            "4:13",
            "services.web.cgroup",
            "cgroup: host runs in the host's cgroup namespace",
            "cgroup:host",
        ),
        (
            "    privileged: true\n",
            "4:17",
            "services.web.privileged",
            "privileged: true gets every device and capability of the host: it can take the machine",
            "privileged",
        ),
        (
            "    cap_add: [NET_BIND_SERVICE, ALL]\n",
            "4:33",
            "services.web.cap_add[1]",
            "cap_add: ALL gives every capability of the kernel: it can take the machine",
            "cap:ALL",
        ),
        (
            "    cap_add: [cap_sys_admin]\n",
            "4:15",
            "services.web.cap_add[0]",
            "cap_add: cap_sys_admin adds a capability beyond Docker's default set (adding one of that set, e.g. "
            "NET_BIND_SERVICE, CHOWN, SETUID or SETGID, is allowed)",
            "cap:SYS_ADMIN",
        ),
        (
            "    devices: ['/dev/fuse:/dev/fuse:rwm']\n",
            "4:15",
            "services.web.devices[0]",
            "devices: /dev/fuse gives the container a device of the host",
            "device:/dev/fuse",
        ),
        (
            "    devices: [{source: /dev/kvm, target: /dev/kvm}]\n",
            "4:15",
            "services.web.devices[0]",
            "devices: /dev/kvm gives the container a device of the host",
            "device:/dev/kvm",
        ),
        (
            "    device_cgroup_rules: ['c 1:3 mr']\n",
            "4:26",
            "services.web.device_cgroup_rules",
            "device_cgroup_rules lets the container use devices of the host by number",
            "device_cgroup_rules",
        ),
        (
            "    security_opt: ['no-new-privileges:true', 'apparmor:unconfined']\n",
            "4:46",
            "services.web.security_opt[1]",
            "security_opt: apparmor:unconfined turns a confinement of the container off (seccomp, AppArmor or "
            "SELinux labels)",
            "security_opt:apparmor:unconfined",
        ),
        (
            "    volumes_from: ['container:other']\n",
            "4:20",
            "services.web.volumes_from[0]",
            "volumes_from: container:other mounts the volumes of a container outside the drilled stack",
            "volumes_from:container:other",
        ),
        (
            "    volumes: ['/:/host:ro']\n",
            "4:15",
            "services.web.volumes[0]",
            "a bind mount of / reads and writes every file of the host",
            "bind:/",
        ),
        (
            "    volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n",
            "4:15",
            "services.web.volumes[0]",
            "a bind mount of /var/run/docker.sock reaches the Docker socket: it controls the engine, so it can "
            "start a privileged container and take the host",
            f"bind:{os.path.realpath('/var/run/docker.sock')}",
        ),
        (
            "    volumes: [{type: bind, source: /run, target: /r}]\n",
            "4:15",
            "services.web.volumes[0]",
            "a bind mount of /run reaches the Docker socket: it controls the engine, so it can start a "
            "privileged container and take the host",
            "bind:/run",
        ),
        (
            "    volumes: ['./data:/data', '../outside:/o']\n",
            "4:31",
            "services.web.volumes[1]",
            f"a bind mount of ../outside reaches {tmp}/plan/outside, {OUTSIDE} {tree}: host files the stack's "
            "own folder does not hold",
            f"bind:{tmp}/plan/outside",
        ),
        (
            "    volumes: ['~/notes:/notes']\n",
            "4:15",
            "services.web.volumes[0]",
            f"a bind mount of ~/notes reaches {tmp}/home/notes, {OUTSIDE} {tree}: host files the stack's own "
            "folder does not hold",
            f"bind:{tmp}/home/notes",
        ),
        (
            "    extends: {file: ../../base.yaml, service: base}\n",
            "4:21",
            "services.web.extends.file",
            f"extends: ../../base.yaml takes settings from a file {OUTSIDE} {tree}, which a review of the plan "
            "does not see",
            "extends:../../base.yaml",
        ),
    ]


CASE_IDS = [
    "network-host",
    "network-service-outside",
    "network-container",
    "pid",
    "ipc",
    "uts",
    "userns",
    "cgroup",
    "privileged",
    "cap-all",
    "cap-sys-admin",
    "devices-short",
    "devices-long",
    "device-cgroup-rules",
    "security-opt",
    "volumes-from",
    "bind-root",
    "bind-docker-socket",
    "bind-run-holds-socket",
    "bind-outside",
    "bind-home",
    "extends-outside",
]


@pytest.mark.parametrize("case", range(len(CASE_IDS)), ids=CASE_IDS)
def test_each_setting_is_refused_at_its_line_with_its_allowance(
    stack: WriteStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: int
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    settings, position, loc, what_why, allowance = _cases(tmp_path)[case]
    directory = stack(one_service(settings))
    assert errors(directory) == [
        refusal(f"plan/stack/compose.yaml:{position}", loc, what_why, "web", allowance)
    ]
    # The allowance the refusal names lets it through, for that service only.
    allow = f'  allow_host_access: {{web: ["{allowance}"]}}\n'
    load_plan(stack(one_service(settings), allow))
    other = f'  allow_host_access: {{db: ["{allowance}"]}}\n'
    assert len(errors(stack(one_service(settings), other))) == 1


def test_settings_that_stay_inside_the_stack_are_not_refused(stack: WriteStack) -> None:
    compose = (
        one_service(
            "    network_mode: 'service:db'\n"
            "    cap_add: [NET_BIND_SERVICE, CHOWN, CAP_SETUID, setgid]\n"
            "    security_opt: ['no-new-privileges:true', 'seccomp=./profile.json']\n"
            "    volumes: ['./data:/data', 'named:/n', '/just-a-target', {type: tmpfs, target: /t}]\n"
            "    privileged: false\n"
        )
        + "volumes:\n  named: {}\n"
    )
    load_plan(stack(compose))


def test_a_link_inside_the_folder_is_followed_out_of_it(stack: WriteStack, tmp_path: Path) -> None:
    directory = stack(one_service("    volumes: ['./etc-link:/e']\n"))
    os.symlink("/etc", directory / "stack" / "etc-link")
    assert errors(directory) == [
        refusal(
            "plan/stack/compose.yaml:4:15",
            "services.web.volumes[0]",
            f"a bind mount of ./etc-link reaches /etc, {OUTSIDE} {tmp_path}/plan/stack: host files the stack's own "
            "folder does not hold",
            "web",
            "bind:/etc",
        )
    ]


def test_a_named_volume_that_binds_a_host_path_is_refused_where_it_is_mounted(stack: WriteStack) -> None:
    compose = one_service("    volumes: ['data:/data']\n") + (
        "volumes:\n  data:\n    driver: local\n    driver_opts: {type: none, o: bind, device: /}\n"
    )
    assert errors(stack(compose)) == [
        refusal(
            "plan/stack/compose.yaml:4:15",
            "services.web.volumes[0]",
            "volume data (its driver_opts bind /) reads and writes every file of the host",
            "web",
            "bind:/",
        )
    ]


def test_an_allowed_bind_covers_the_folder_below_it(stack: WriteStack, tmp_path: Path) -> None:
    (tmp_path / "shared" / "models").mkdir(parents=True)
    compose = one_service("    volumes: ['../../shared/models:/models:ro']\n")
    load_plan(stack(compose, f'  allow_host_access: {{web: ["bind:{tmp_path}/shared"]}}\n'))
    load_plan(stack(compose, '  allow_host_access: {web: ["bind:../../shared"]}\n'))  # relative to the folder
    assert (
        len(errors(stack(compose, f'  allow_host_access: {{web: ["bind:{tmp_path}/shared/other"]}}\n'))) == 1
    )


def test_same_file_extends_gives_the_base_settings_to_the_extending_service(stack: WriteStack) -> None:
    compose = (
        "services:\n  base:\n    image: example/base:local\n    privileged: true\n"
        "  web:\n    extends: base\n  calm:\n    extends: base\n    privileged: false\n"
    )
    why = "privileged: true gets every device and capability of the host: it can take the machine"
    assert errors(stack(compose)) == [
        refusal("plan/stack/compose.yaml:4:17", "services.base.privileged", why, "base", "privileged"),
        refusal("plan/stack/compose.yaml:4:17", "services.base.privileged", why, "web", "privileged"),
    ]


def test_a_file_extended_inside_the_folder_is_checked_at_its_own_lines(stack: WriteStack) -> None:
    compose = "services:\n  web:\n    extends: {file: bases/base.yaml, service: base}\n"
    base = "services:\n  base:\n    image: example/base:local\n    pid: host\n"
    assert errors(stack(compose, bases__base_yaml=base)) == [
        refusal(
            "plan/stack/bases/base.yaml:4:10",
            "services.base.pid",
            "pid: host sees and can signal every process of the host",
            "web",
            "pid:host",
        )
    ]


def test_an_included_file_inside_the_folder_is_checked_at_its_own_lines(stack: WriteStack) -> None:
    compose = "include:\n  - parts/db.yaml\n" + SAFE.replace("db:", "web:")
    part = "services:\n  db:\n    image: postgres:16\n    volumes: ['../../outside:/o']\n"
    (lines,) = [errors(stack(compose, parts__db_yaml=part))]
    assert lines == [
        refusal(
            "plan/stack/parts/db.yaml:4:15",
            "services.db.volumes[0]",
            f"a bind mount of ../../outside reaches {Path.cwd()}/plan/outside, {OUTSIDE} {Path.cwd()}/plan/stack: "
            "host files the stack's own folder does not hold",
            "db",
            f"bind:{Path.cwd()}/plan/outside",
        )
    ]


def test_an_include_from_outside_the_folder_needs_an_allowance_per_service_it_brings(
    stack: WriteStack, tmp_path: Path
) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "common.yaml").write_text(SAFE, encoding="utf-8")
    compose = "include:\n  - ../../shared/common.yaml\nservices:\n  web:\n    image: example/web:local\n"
    assert errors(stack(compose)) == [
        refusal(
            "plan/stack/compose.yaml:2:5",
            "include[0]",
            f"include: ../../shared/common.yaml brings service 'db' from a file {OUTSIDE} {tmp_path}/plan/stack, which a "
            "review of the plan does not see",
            "db",
            "include:../../shared/common.yaml",
        )
    ]
    load_plan(stack(compose, '  allow_host_access: {db: ["include:../../shared/common.yaml"]}\n'))


def test_an_include_from_outside_that_cannot_be_read_is_one_line(stack: WriteStack, tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    os.mkfifo(tmp_path / "shared" / "pipe.yaml")
    compose = "include:\n  - ../../shared/pipe.yaml\nservices:\n  web:\n    image: example/web:local\n"
    assert errors(stack(compose)) == [
        f"plan/stack/compose.yaml:2:5: include[0]: include of ../../shared/pipe.yaml, {OUTSIDE} {tmp_path}/plan/stack, which "
        "drdrill cannot read to see what it brings (is a named pipe (FIFO), not a regular file: drdrill reads only "
        "regular files (give a regular file)): copy it into the folder"
    ]


def test_an_allowance_drdrill_does_not_know_is_an_error_at_its_entry(stack: WriteStack) -> None:
    allow = '  allow_host_access:\n    db: [root, "bind:"]\n'
    assert errors(stack(one_service(""), allow)) == [
        "plan/plan.yaml:25:10: staging_topology.allow_host_access.db[0]: 'root' names no setting drdrill "
        "refuses; an allowance is one of: privileged, device_cgroup_rules, network_mode:<value>, pid:<value>, "
        "ipc:<value>, uts:<value>, userns_mode:<value>, cgroup:<value>, cap:<value>, device:<value>, "
        "security_opt:<value>, bind:<value>, volumes_from:<value>, extends:<value>, include:<value>",
        "plan/plan.yaml:25:16: staging_topology.allow_host_access.db[1]: 'bind:' gives no value; write it as the "
        "refusal says, e.g. bind:host or bind:/data",
    ]


def test_an_allowance_for_no_service_of_the_stack_is_an_error(stack: WriteStack) -> None:
    assert errors(stack(one_service(""), "  allow_host_access: {wbe: [privileged]}\n")) == [
        "plan/plan.yaml:24:23: staging_topology.allow_host_access.wbe: unknown compose service 'wbe'; did you "
        "mean 'web'? (known in plan/stack/compose.yaml: db, web)",
    ]


def test_an_interpolated_value_is_left_to_the_preflight(stack: WriteStack) -> None:
    # Compose fills ${PRIV:-true} when it runs; the preflight checks compose's resolved model (test_stack_host).
    load_plan(stack(one_service("    privileged: ${PRIV:-true}\n    network_mode: ${NET:-host}\n")))


def test_lint_says_what_is_allowed_and_which_allowance_allows_nothing(stack: WriteStack) -> None:
    allow = '  allow_host_access: {web: [privileged, "cap:NET_ADMIN"]}\n'
    plan = load_plan(stack(one_service("    privileged: true\n"), allow))
    findings = [str(f) for f in lint_plan(plan, today=date(2026, 11, 22)).findings if "host-access" in str(f)]
    assert findings == [
        "plan/plan.yaml:24:41: warning [host-access-unused] allowance 'cap:NET_ADMIN' of service 'web' allows "
        "nothing its compose settings do: remove it",
        "plan/stack/compose.yaml:4:17: warning [host-access-allowed] services.web.privileged: privileged: true "
        "gets every device and capability of the host: it can take the machine; the plan allows it for service "
        "'web' (staging_topology.allow_host_access), so a drill gives this service the host",
    ]
