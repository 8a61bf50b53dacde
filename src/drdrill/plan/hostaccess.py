"""Compose settings that give a drilled stack the host, found before anything starts.

drdrill starts the user's own compose file. Its override confines published ports to 127.0.0.1, labels
everything and removes it all after the drill; a few compose settings undo that confinement or reach past the
stack into the machine, and a drill (which kills, floods and restarts what it starts) must not run them
unnoticed:

- the host's namespaces: ``network_mode: host`` (the service listens on every address of the machine, the
  override's 127.0.0.1 ports are discarded), ``pid``, ``ipc``, ``uts``, ``userns_mode`` and ``cgroup: host``;
  ``network_mode`` / ``pid`` / ``ipc`` of a container outside the stack (``container:x``, ``service:x`` of no
  service of the stack); ``volumes_from: [container:x]``;
- ``privileged: true``; ``cap_add`` beyond Docker's default set (:data:`SAFE_CAPABILITIES`: adding those back
  changes nothing a default container could not do); ``devices``, ``device_cgroup_rules``; ``security_opt``
  that turns a confinement off (``seccomp=unconfined``, ``apparmor=unconfined``, ``label=disable``, ...);
- bind mounts (short and long syntax, and named volumes whose ``driver_opts`` bind a host path) of ``/``, of the
  Docker socket, or of any host path outside the compose file's own folder, links followed;
- ``extends`` or ``include`` of a file outside that folder.

Each is refused, at its file:line, unless the plan allows it knowingly for that one service, with one entry of
``staging_topology.allow_host_access`` (the words are :func:`allowance_problem`'s grammar). What cannot be known
from the files (a value written with ``${...}``) is checked again on ``docker compose config``'s resolved model
before the replica starts (:func:`resolved_host_access`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drdrill.plan.compose import MAX_COMPOSE_BYTES, ComposeFile
from drdrill.plan.errors import PlanIssue, dotted, shorten
from drdrill.plan.files import FileRefusedError, read_guarded
from drdrill.plan.yamlsource import YamlDoc, parse_yaml

SAFE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
"""Docker's default capabilities: ``cap_add`` of one of these only undoes a ``cap_drop``, so it is allowed."""

NAMESPACE_KEYS = ("network_mode", "pid", "ipc", "uts", "userns_mode", "cgroup")
DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
SETTING_PREFIXES = (
    *(f"{key}:" for key in NAMESPACE_KEYS),
    "cap:",
    "device:",
    "security_opt:",
    "bind:",
    "volumes_from:",
    "extends:",
    "include:",
)
WHOLE_SETTINGS = ("privileged", "device_cgroup_rules")
MAX_FILES_DEEP = 10
_UNCONFINED = frozenset({"unconfined", "disable", "disabled"})
_PLAN_KEY = "staging_topology.allow_host_access"

_WHY_NAMESPACE = {
    "network_mode": "shares the host's network: its ports listen on every address of this machine, not only "
    "127.0.0.1 as drdrill publishes them",
    "pid": "sees and can signal every process of the host",
    "ipc": "shares the host's shared memory and semaphores",
    "uts": "shares the host's hostname and can change it",
    "userns_mode": "turns user-namespace remapping off: its root is the host's root",
    "cgroup": "runs in the host's cgroup namespace",
}


def allowance_problem(entry: str) -> str | None:
    """Why ``entry`` is no allowance of ``allow_host_access``, or None.

    An allowance is ``privileged``, ``device_cgroup_rules``, or a setting and its value: ``network_mode:host``,
    ``pid:host``, ``ipc:host``, ``uts:host``, ``userns_mode:host``, ``cgroup:host`` (or ``...:container:x``),
    ``cap:SYS_ADMIN``, ``device:/dev/fuse``, ``security_opt:seccomp=unconfined``, ``bind:/data`` (that host
    path and what lies below it), ``volumes_from:container:x``, ``extends:../base.yaml``,
    ``include:../shared.yaml``. Each drdrill refusal names the exact entry.
    """
    if entry in WHOLE_SETTINGS:
        return None
    prefix = next((p for p in SETTING_PREFIXES if entry.startswith(p)), None)
    if prefix is None:
        known = ", ".join([*WHOLE_SETTINGS, *(f"{p}<value>" for p in SETTING_PREFIXES)])
        return f"{shorten(entry)!r} names no setting drdrill refuses; an allowance is one of: {known}"
    if not entry[len(prefix) :].strip():
        return f"{entry!r} gives no value; write it as the refusal says, e.g. {prefix}host or bind:/data"
    return None


@dataclass(frozen=True)
class HostAccess:
    """One setting that gives service ``service`` part of the host, where it is written, and its allowance."""

    service: str
    allowance: str
    what: str
    why: str
    doc: YamlDoc | None
    loc: tuple[str | int, ...]
    host_path: Path | None = None
    """For a bind mount or a device: the host path, links followed (an allowance covers it and below)."""

    def message(self) -> str:
        """The refusal: which setting, what it gives, and the one plan entry that allows it knowingly."""
        return (
            f"{dotted(self.loc)}: {self.what} {self.why}; drdrill refuses it: remove it, or allow it knowingly "
            f'in plan.yaml with {_PLAN_KEY}: {{{self.service}: ["{self.allowance}"]}}'
        )

    def issue(self) -> PlanIssue:
        """The refusal at the setting's line in the file it is written in."""
        if self.doc is None:
            raise ValueError("a setting of the resolved model has no line; locate it with locate()")
        return self.doc.issue(self.loc, self.message())


def covers(entry: str, access: HostAccess, tree: Path) -> bool:
    """Whether the allowance ``entry`` allows ``access`` (``bind:``/``device:`` paths relative to ``tree``)."""
    if entry == access.allowance:
        return True
    for prefix in ("bind:", "device:"):
        if access.host_path is not None and entry.startswith(prefix) and access.allowance.startswith(prefix):
            allowed = _host_path(entry[len(prefix) :], tree)
            return access.host_path == allowed or access.host_path.is_relative_to(allowed)
    return False


def allowed(access: HostAccess, allowances: Mapping[str, Sequence[str]], tree: Path) -> bool:
    """Whether the plan allows ``access`` for its service."""
    return any(covers(entry, access, tree) for entry in allowances.get(access.service, ()))


def _host_path(written: str, base: Path) -> Path:
    """A host path as compose reads it (``~`` expanded, relative to ``base``), every link followed."""
    return Path(os.path.realpath(base / os.path.expanduser(written)))


def _interpolated(value: object) -> bool:
    """A value compose fills from the environment: unknown until ``docker compose config`` resolves it."""
    return isinstance(value, str) and "$" in value


# --- one service's settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A compose document and the folder its relative paths are read against."""

    doc: YamlDoc | None
    data: Mapping[str, Any]
    base: Path


class _Finder:
    """Collects the host access of services; ``tree`` is the compose file's folder, ``stack`` its services."""

    def __init__(self, tree: Path, stack: frozenset[str]) -> None:
        self.tree = tree
        self.stack = stack
        self.found: list[HostAccess] = []

    def add(
        self,
        service: str,
        where: tuple[_Source, tuple[str | int, ...]],
        allowance: str,
        what: str,
        why: str,
        host_path: Path | None = None,
    ) -> None:
        source, loc = where
        self.found.append(HostAccess(service, allowance, what, why, source.doc, loc, host_path))

    def service(self, service: str, chain: Sequence[tuple[_Source, str]]) -> None:
        """Every host access ``service`` gets from its chain of definitions (the furthest base first)."""
        scalars: dict[str, tuple[object, _Source, tuple[str | int, ...]]] = {}
        for source, name in chain:
            body = _services(source.data).get(name)
            if not isinstance(body, dict):
                continue
            base: tuple[str | int, ...] = ("services", name)
            for key in (*NAMESPACE_KEYS, "privileged"):
                if key in body:  # the extending service's value wins over its base's
                    scalars[key] = (body[key], source, (*base, key))
            self._lists(service, source, base, body)
        for key, (value, source, loc) in scalars.items():
            if key == "privileged":
                if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
                    self.add(
                        service,
                        (source, loc),
                        "privileged",
                        "privileged: true",
                        "gets every device and capability of the host: it can take the machine",
                    )
            else:
                self._namespace(service, key, value, (source, loc))

    def _namespace(
        self, service: str, key: str, value: object, where: tuple[_Source, tuple[str | int, ...]]
    ) -> None:
        if not isinstance(value, str) or _interpolated(value):
            return
        mode = value.strip()
        if mode == "host":
            self.add(service, where, f"{key}:host", f"{key}: host", _WHY_NAMESPACE[key])
        elif mode.startswith("container:"):
            self.add(
                service,
                where,
                f"{key}:{mode}",
                f"{key}: {shorten(mode)}",
                f"shares the {key.removesuffix('_mode')} namespace of a container outside the drilled stack",
            )
        elif mode.startswith("service:") and mode.removeprefix("service:") not in self.stack:
            self.add(
                service,
                where,
                f"{key}:{mode}",
                f"{key}: {shorten(mode)}",
                "names no service of the drilled stack: it joins something outside it",
            )

    def _lists(
        self, service: str, source: _Source, base: tuple[str | int, ...], body: Mapping[str, Any]
    ) -> None:
        for i, entry in _items(body.get("cap_add")):
            if not isinstance(entry, str) or _interpolated(entry):
                continue
            cap = entry.strip().upper().removeprefix("CAP_")
            if cap not in SAFE_CAPABILITIES:
                why = (
                    "gives every capability of the kernel: it can take the machine"
                    if cap == "ALL"
                    else "adds a capability beyond Docker's default set (adding one of that set, e.g. "
                    "NET_BIND_SERVICE, CHOWN, SETUID or SETGID, is allowed)"
                )
                self.add(
                    service, (source, (*base, "cap_add", i)), f"cap:{cap}", f"cap_add: {shorten(entry)}", why
                )
        for i, entry in _items(body.get("devices")):
            host = (
                entry.get("source")
                if isinstance(entry, dict)
                else entry.split(":", 1)[0]
                if isinstance(entry, str)
                else None
            )
            if isinstance(host, str) and host and not _interpolated(host):
                path = _host_path(host, source.base)
                self.add(
                    service,
                    (source, (*base, "devices", i)),
                    f"device:{host}",
                    f"devices: {shorten(host)}",
                    "gives the container a device of the host",
                    path,
                )
        if _items(body.get("device_cgroup_rules")):
            self.add(
                service,
                (source, (*base, "device_cgroup_rules")),
                "device_cgroup_rules",
                "device_cgroup_rules",
                "lets the container use devices of the host by number",
            )
        for i, entry in _items(body.get("security_opt")):
            if not isinstance(entry, str) or _interpolated(entry):
                continue
            value = entry.replace("=", ":", 1).partition(":")[2].strip().lower()
            if value in _UNCONFINED:
                self.add(
                    service,
                    (source, (*base, "security_opt", i)),
                    f"security_opt:{entry}",
                    f"security_opt: {shorten(entry)}",
                    "turns a confinement of the container off (seccomp, AppArmor or SELinux labels)",
                )
        for i, entry in _items(body.get("volumes_from")):
            if isinstance(entry, str) and entry.startswith("container:"):
                self.add(
                    service,
                    (source, (*base, "volumes_from", i)),
                    f"volumes_from:{entry}",
                    f"volumes_from: {shorten(entry)}",
                    "mounts the volumes of a container outside the drilled stack",
                )
        for i, entry in _items(body.get("volumes")):
            self._volume(service, source, (*base, "volumes", i), entry)

    def _volume(self, service: str, source: _Source, loc: tuple[str | int, ...], entry: object) -> None:
        kind, name = _mount(entry)
        if name is None or _interpolated(name):
            return
        where = (source, loc)
        if kind == "bind":
            self._bind(service, where, name, f"a bind mount of {shorten(name)}")
            return
        volume = _section(source.data, "volumes").get(name)
        device = _bound_device(volume)
        if device is not None and not _interpolated(device):
            self._bind(
                service, where, device, f"volume {shorten(name)} (its driver_opts bind {shorten(device)})"
            )

    def _bind(
        self, service: str, where: tuple[_Source, tuple[str | int, ...]], written: str, what: str
    ) -> None:
        path = _host_path(written, where[0].base)
        allowance = f"bind:{path}"
        if path == Path("/"):
            self.add(service, where, allowance, what, "reads and writes every file of the host", path)
        elif _holds_docker_socket(path):
            self.add(
                service,
                where,
                allowance,
                what,
                "reaches the Docker socket: it controls the engine, so it can start a privileged container "
                "and take the host",
                path,
            )
        elif not (path == self.tree or path.is_relative_to(self.tree)):
            self.add(
                service,
                where,
                allowance,
                what,
                f"reaches {path}, outside the compose file's folder {self.tree}: host files the stack's own "
                "folder does not hold",
                path,
            )


def _items(value: object) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


def _services(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return _section(data, "services")


def _section(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = data.get(key)
    return found if isinstance(found, dict) else {}


def _mount(entry: object) -> tuple[str, str | None]:
    """(``bind`` or ``volume``, the host path or volume name) of one ``volumes`` entry; None for anonymous."""
    if isinstance(entry, dict):
        kind = str(entry.get("type", "volume"))
        found = entry.get("source")
        name = found if isinstance(found, str) and found else None
        return ("bind", name) if kind == "bind" else (("volume", name) if kind == "volume" else (kind, None))
    if not isinstance(entry, str) or ":" not in entry:
        return "volume", None
    host = entry.split(":", 1)[0]
    # Compose reads a source that is a path (., /, ~) as a bind mount; a volume name holds no '/'.
    return ("bind" if host.startswith((".", "/", "~")) or "/" in host else "volume"), host


def _bound_device(volume: object) -> str | None:
    """The host path a top-level volume binds through the local driver's ``driver_opts``, if any."""
    if not isinstance(volume, dict) or volume.get("driver", "local") != "local":
        return None
    opts = volume.get("driver_opts")
    if not isinstance(opts, dict):
        return None
    device = opts.get("device")
    binds = "bind" in str(opts.get("o", "")).split(",") or str(opts.get("type", "")) == "none"
    return device if binds and isinstance(device, str) and device.startswith(("/", ".", "~")) else None


def _holds_docker_socket(path: Path) -> bool:
    for socket in DOCKER_SOCKETS:
        real = Path(os.path.realpath(socket))
        if path in (real, Path(socket)) or real.is_relative_to(path) or Path(socket).is_relative_to(path):
            return True
    return path.name.endswith("docker.sock")


# --- the compose file and the files it includes or extends -----------------------------------------------


class _Tree:
    """Walks the compose file, and the files it includes or extends inside its folder, for host access."""

    def __init__(self, compose: ComposeFile) -> None:
        self.tree = Path(os.path.realpath(compose.path.parent))
        self.root = _Source(compose.doc, compose.doc.data, compose.path.parent)
        self.issues: list[PlanIssue] = []
        self.finder = _Finder(self.tree, frozenset())
        self._seen: set[Path] = set()
        self.brought: frozenset[str] = frozenset()
        """Services of included files outside the folder (not read for settings, but part of the stack)."""

    def run(self) -> list[HostAccess]:
        sources = list(self._included(self.root, 0))
        stack = frozenset(str(name) for source in sources for name in _services(source.data)) | self.brought
        self.finder.stack = stack
        for source in sources:
            for name in _services(source.data):
                self.finder.service(str(name), self._chain(source, str(name), 0, set()))
        return self.finder.found

    def _load(self, path: Path, within: Path | None) -> _Source | str:
        """The compose document at ``path``, or why it cannot be read (one line, never its content)."""
        try:
            raw = read_guarded(
                path,
                limit=MAX_COMPOSE_BYTES,
                within=within,
                noun="compose file",
                within_fix="copy the file into it",
            )
        except FileRefusedError as exc:
            return exc.reason
        doc = parse_yaml(path, raw)
        if isinstance(doc, PlanIssue):
            return f"does not parse: {doc.message}"
        if not isinstance(doc.data, dict):
            return "is no compose file (its top level is no mapping)"
        return _Source(doc, doc.data, path.parent)

    def _included(self, source: _Source, depth: int) -> Iterator[_Source]:
        """``source`` and every compose file it includes inside the folder, depth first."""
        yield source
        assert source.doc is not None
        for i, entry in _items(source.data.get("include")):
            paths = entry.get("path") if isinstance(entry, dict) else entry
            project = entry.get("project_directory") if isinstance(entry, dict) else None
            loc: tuple[str | int, ...] = ("include", i)
            for written in paths if isinstance(paths, list) else [paths]:
                if not isinstance(written, str) or _interpolated(written):
                    continue
                yield from self._include(source, loc, written, project, depth)

    def _include(
        self, source: _Source, loc: tuple[str | int, ...], written: str, project: object, depth: int
    ) -> Iterator[_Source]:
        assert source.doc is not None
        path = source.base / written
        real = Path(os.path.realpath(path))
        if not (real == self.tree or real.is_relative_to(self.tree)):
            self._outside_include(source, loc, written, path)
            return
        if depth >= MAX_FILES_DEEP or real in self._seen:
            if depth >= MAX_FILES_DEEP:
                self.issues.append(
                    source.doc.issue(
                        loc,
                        f"{dotted(loc)}: includes are nested more than {MAX_FILES_DEEP} files deep: flatten them",
                    )
                )
            return
        self._seen.add(real)
        loaded = self._load(path, self.tree)
        if isinstance(loaded, str):
            self.issues.append(source.doc.issue(loc, f"{dotted(loc)}: {shorten(written)}: {loaded}"))
            return
        if isinstance(project, str) and not _interpolated(project):
            loaded = _Source(loaded.doc, loaded.data, source.base / project)
        yield from self._included(loaded, depth + 1)

    def _outside_include(self, source: _Source, loc: tuple[str | int, ...], written: str, path: Path) -> None:
        """An include of a file outside the folder: each service it brings needs ``include:<file>``."""
        assert source.doc is not None
        loaded = self._load(path, None)
        if isinstance(loaded, str):
            self.issues.append(
                source.doc.issue(
                    loc,
                    (
                        f"{dotted(loc)}: include of {shorten(written)}, outside the compose file's folder {self.tree}, "
                        f"which drdrill cannot read to see what it brings ({loaded}): copy it into the folder"
                    ),
                )
            )
            return
        if not _services(loaded.data):
            self.issues.append(
                source.doc.issue(
                    loc,
                    (
                        f"{dotted(loc)}: include of {shorten(written)}, outside the compose file's folder {self.tree}, "
                        "which defines no service of its own: copy it into the folder"
                    ),
                )
            )
        self.brought |= {str(name) for name in _services(loaded.data)}
        for name in _services(loaded.data):
            self.finder.found.append(
                HostAccess(
                    str(name),
                    f"include:{written}",
                    f"include: {shorten(written)}",
                    f"brings service {str(name)!r} from a file outside the compose file's folder {self.tree}, which a "
                    "review of the plan does not see",
                    source.doc,
                    loc,
                )
            )

    def _chain(
        self, source: _Source, name: str, depth: int, seen: set[tuple[Path, str]]
    ) -> list[tuple[_Source, str]]:
        """``name``'s definitions, the furthest base first, through ``extends`` in the same file or another."""
        body = _services(source.data).get(name)
        assert source.doc is not None
        key = (source.doc.path, name)
        if not isinstance(body, dict) or key in seen or depth >= MAX_FILES_DEEP:
            return []  # a loop or a bad shape: compose.py reports those
        extends = body.get("extends")
        base_name = extends if isinstance(extends, str) else None
        loc: tuple[str | int, ...] = ("services", name, "extends")
        if isinstance(extends, dict):
            base_name = extends.get("service") if isinstance(extends.get("service"), str) else None
            written = extends.get("file")
            if isinstance(written, str) and not _interpolated(written) and base_name is not None:
                return [
                    *self._extends_file(source, name, loc, written, base_name, depth, seen | {key}),
                    (source, name),
                ]
        if base_name is None:
            return [(source, name)]
        return [*self._chain(source, base_name, depth + 1, seen | {key}), (source, name)]

    def _extends_file(
        self,
        source: _Source,
        name: str,
        loc: tuple[str | int, ...],
        written: str,
        base_name: str,
        depth: int,
        seen: set[tuple[Path, str]],
    ) -> list[tuple[_Source, str]]:
        assert source.doc is not None
        path = source.base / written
        real = Path(os.path.realpath(path))
        if not (real == self.tree or real.is_relative_to(self.tree)):
            self.finder.add(
                name,
                (source, (*loc, "file")),
                f"extends:{written}",
                f"extends: {shorten(written)}",
                f"takes settings from a file outside the compose file's folder {self.tree}, which a "
                "review of the plan does not see",
            )
            return []
        loaded = self._load(path, self.tree)
        if isinstance(loaded, str):
            self.issues.append(
                source.doc.issue((*loc, "file"), f"{dotted((*loc, 'file'))}: {shorten(written)}: {loaded}")
            )
            return []
        return self._chain(loaded, base_name, depth + 1, seen)


@dataclass(frozen=True)
class HostAccessReport:
    """What :func:`find_host_access` found in a compose file and the files it includes or extends."""

    found: list[HostAccess]
    issues: list[PlanIssue]
    """Included or extended files inside the folder that cannot be read."""
    services: frozenset[str]
    """Every service of the stack, the included ones too (allowances are keyed by them)."""
    tree: Path
    """The compose file's folder, links followed: bind mounts inside it are the stack's own."""

    def refused(self, allowances: Mapping[str, Sequence[str]]) -> list[HostAccess]:
        """The accesses no allowance covers."""
        return [a for a in self.found if not allowed(a, allowances, self.tree)]

    def allowed(self, allowances: Mapping[str, Sequence[str]]) -> list[HostAccess]:
        """The accesses the plan allows knowingly."""
        return [a for a in self.found if allowed(a, allowances, self.tree)]

    def unused(self, allowances: Mapping[str, Sequence[str]]) -> list[tuple[str, int, str]]:
        """``(service, index, entry)`` of every allowance that allows nothing the stack does."""
        return [
            (service, i, entry)
            for service, entries in allowances.items()
            for i, entry in enumerate(entries)
            if not any(a.service == service and covers(entry, a, self.tree) for a in self.found)
        ]


def find_host_access(compose: ComposeFile) -> HostAccessReport:
    """Every host access in ``compose`` and the files it includes or extends inside its folder, and the issues
    of those files that cannot be read. Values written with ``${...}`` are left to :func:`resolved_host_access`.
    """
    walk = _Tree(compose)
    found = walk.run()
    return HostAccessReport(found, walk.issues, walk.finder.stack, walk.tree)


def resolved_host_access(config: Mapping[str, Any], compose_path: Path) -> list[HostAccess]:
    """Every host access in ``docker compose config --format json`` of the compose file at ``compose_path``
    (includes, extends and interpolation already resolved, paths absolute). No positions: see :func:`locate`."""
    tree = Path(os.path.realpath(compose_path.parent))
    source = _Source(None, config, compose_path.parent)
    finder = _Finder(tree, frozenset(str(n) for n in _services(config)))
    for name in _services(config):
        finder.service(str(name), [(source, str(name))])
    return finder.found


def locate(access: HostAccess, doc: YamlDoc) -> PlanIssue:
    """The refusal of a setting of the resolved model, at its line in ``doc`` (the compose file).

    A setting the service does not write itself (it came from a file it extends or includes) is pointed at
    the service, and said so; a service of an included file is pointed at the file only.
    """
    services = _services(doc.data) if isinstance(doc.data, dict) else {}
    body = services.get(access.service)
    if not isinstance(body, dict):
        return PlanIssue(
            doc.path, 0, 0, f"service {access.service!r} of an included file: {access.message()}"
        )
    if len(access.loc) > 2 and access.loc[2] not in body:
        return doc.issue(access.loc[:2], f"(from the file it extends) {access.message()}")
    return doc.issue(access.loc, access.message())


def check_host_access(compose: ComposeFile, allowances: Mapping[str, Sequence[str]]) -> list[PlanIssue]:
    """The refusals of the plan's compose file: each host access its allowances do not cover, and each file it
    includes or extends that cannot be read."""
    report = find_host_access(compose)
    return [*report.issues, *(a.issue() for a in report.refused(allowances))]
