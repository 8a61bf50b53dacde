"""The plan's compose file as data: its services, the container ports they declare, networks and volumes.

Read as YAML with positions, knowing compose's shape (``<<:`` merges and anchors, same-file ``extends``,
``ports`` in short and long syntax, ``expose``, ``environment`` as a list or a map, ``networks`` as a list or a
map). Nothing here runs Docker or compose: this is what the plan checks its names against before any container
starts, and what the staging replica reads to know the user's stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drdrill.plan.errors import PlanIssue, dotted
from drdrill.plan.files import FileRefusedError, read_guarded
from drdrill.plan.yamlsource import Loc, YamlDoc, parse_yaml

# A compose file is a few kilobytes; anything far larger is the wrong file, and is not read into memory.
MAX_COMPOSE_BYTES = 4 * 1024 * 1024
_PORT_RANGE = re.compile(r"^(?P<low>\d{1,5})(?:-(?P<high>\d{1,5}))?(?:/(?:tcp|udp|sctp))?$")


@dataclass(frozen=True)
class ComposeService:
    """One service of the compose file, as far as a drill needs to know it."""

    name: str
    image: str | None
    has_build: bool
    ports: frozenset[int] = frozenset()
    """Container ports it declares: the targets of ``ports`` and every ``expose`` entry."""
    ports_known: bool = True
    """False when a port is written with ``${...}`` interpolation, so the declared set may be incomplete."""
    networks: tuple[str, ...] = ()
    container_name: str | None = None
    environment: Mapping[str, str | None] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    named_volumes: tuple[str, ...] = ()
    """Named volumes it mounts (``name:/path``), not bind mounts."""


@dataclass(frozen=True)
class ComposeFile:
    """A compose file that parsed and has services; ``doc`` keeps the positions for errors pointing into it."""

    path: Path
    name: str | None
    services: Mapping[str, ComposeService]
    networks: tuple[str, ...]
    volumes: tuple[str, ...]
    doc: YamlDoc


class ComposeError(Exception):
    """The compose file cannot be used.

    ``issues`` point at lines of the compose file itself (it does not parse, or a value has the wrong shape);
    without issues, ``reason`` is about the file as a whole (missing, not a file, no services), and the caller
    says it at the place that names the file.
    """

    def __init__(self, reason: str, issues: Sequence[PlanIssue] = ()) -> None:
        self.reason = reason
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues) if self.issues else reason)


def read_compose(path: Path, within: Path | None = None) -> ComposeFile:
    """Read the compose file at ``path``; raises :class:`ComposeError` saying why it cannot be used.

    With ``within`` (a plan's project folder) it is read like a plan file: a regular file inside that folder,
    with a size limit, never followed out of it and never quoted (a plan may arrive in a pull request).
    """
    try:
        raw = read_guarded(
            path,
            limit=MAX_COMPOSE_BYTES,
            within=within,
            kind_fix="name the compose file itself",
            size_fix="name the compose file itself",
            noun="compose file",
        )
    except FileRefusedError as exc:
        raise ComposeError(exc.reason) from None
    key = (str(path), raw)
    found = _READ.get(key)
    if found is None:
        found = _parse(path, raw)
        if len(_READ) >= _READ_KEPT:
            _READ.pop(next(iter(_READ)))
        _READ[key] = found
    return found


# Files read, by path and exact content: a plan's scenarios each check the same compose file (sixteen parses of
# one file cost a second or two of every drill's start); a file changed on disk is read again. ComposeFile is
# frozen and nothing writes into its parsed tree.
_READ: dict[tuple[str, bytes], ComposeFile] = {}
_READ_KEPT = 8


def _parse(path: Path, raw: bytes) -> ComposeFile:
    doc = parse_yaml(path, raw)
    if isinstance(doc, PlanIssue):
        raise ComposeError("does not parse", [doc])
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"a single value ({type(doc.data).__name__})"
        issue = doc.issue([], f"top level should be a mapping with `services:`, got {kind}")
        raise ComposeError("is not a compose file", [issue])
    services = doc.data.get("services")
    if not isinstance(services, dict):
        raise ComposeError("has no `services` mapping; a compose file lists its services under `services:`")
    if not services:
        raise ComposeError("declares no services under `services:`")
    reader = _Reader(doc, services)
    parsed = {str(name): reader.service(str(name)) for name in services}
    if reader.issues:
        raise ComposeError("has values drdrill cannot read", reader.issues)
    name = doc.data.get("name")
    return ComposeFile(
        path=path,
        name=str(name) if isinstance(name, str | int) else None,
        services=parsed,
        networks=_names(doc.data.get("networks")),
        volumes=_names(doc.data.get("volumes")),
        doc=doc,
    )


def _names(section: Any) -> tuple[str, ...]:
    return tuple(str(k) for k in section) if isinstance(section, dict) else ()


def format_ports(ports: frozenset[int]) -> str:
    """Ports as ``8000-8010, 9000``: ranges written as ranges, so a wide ``expose`` stays one line."""
    out: list[str] = []
    ordered = sorted(ports)
    start = prev = ordered[0] if ordered else 0
    for port in [*ordered[1:], None]:
        if port is not None and port == prev + 1:
            prev = port
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if port is not None:
            start = prev = port
    return ", ".join(out) if ordered else "none"


class _Reader:
    """Reads each service, resolving same-file ``extends``, and collects issues at the compose file's lines."""

    def __init__(self, doc: YamlDoc, services: dict[Any, Any]) -> None:
        self.doc = doc
        self.services = services
        self.issues: list[PlanIssue] = []

    def fail(self, loc: Loc, message: str) -> None:
        self.issues.append(self.doc.issue(loc, f"{dotted(loc)}: {message}"))

    def service(self, name: str) -> ComposeService:
        loc: list[str | int] = ["services", name]
        body = self.services[name]
        if not isinstance(body, dict):
            self.fail(loc, "a service is a mapping of settings (image, build, ports, ...)")
            return ComposeService(name, None, has_build=False)
        chain = self._chain(name, [])
        ports: set[int] = set()
        known = True
        networks: list[str] = []
        environment: dict[str, str | None] = {}
        for link in chain:  # the base service first, so the extending service's settings win
            settings = self.services[link]
            base: list[str | int] = ["services", link]
            for key in ("ports", "expose"):
                found, complete = self._ports(settings.get(key), [*base, key], long_form=key == "ports")
                ports |= found
                known = known and complete
            networks += [n for n in self._networks(settings.get("networks"), base) if n not in networks]
            environment.update(self._environment(settings.get("environment"), [*base, "environment"]))
        merged: dict[str, Any] = {}
        for link in chain:
            merged.update(self.services[link])
        extends = body.get("extends")
        if isinstance(extends, dict) and "file" in extends:
            known = False  # a service of another file: its ports are not read here
        image = merged.get("image")
        container_name = merged.get("container_name")
        profiles = merged.get("profiles")
        depends_on = merged.get("depends_on")
        volumes = merged.get("volumes")
        return ComposeService(
            name=name,
            image=str(image) if isinstance(image, str) else None,
            has_build=merged.get("build") is not None,
            ports=frozenset(ports),
            ports_known=known,
            networks=tuple(networks),
            container_name=str(container_name) if isinstance(container_name, str) else None,
            environment=environment,
            profiles=tuple(str(p) for p in profiles) if isinstance(profiles, list) else (),
            depends_on=tuple(str(d) for d in depends_on) if isinstance(depends_on, list | dict) else (),
            named_volumes=_named_volumes(volumes),
        )

    def _chain(self, name: str, seen: list[str]) -> list[str]:
        """``name`` and the services it extends in this file, the furthest base first."""
        body = self.services.get(name)
        if not isinstance(body, dict):
            return []
        extends = body.get("extends")
        base = extends if isinstance(extends, str) else None
        if isinstance(extends, dict) and "file" not in extends and isinstance(extends.get("service"), str):
            base = extends["service"]
        if base is None:
            return [name]
        if base in seen or base == name:
            loop = " -> ".join([*seen, name, base])
            self.fail(["services", name, "extends"], f"extends {base!r}, and the chain loops: {loop}")
            return [name]
        if base not in self.services:
            self.fail(["services", name, "extends"], f"extends {base!r}, which is no service of this file")
            return [name]
        return [*self._chain(base, [*seen, name]), name]

    def _ports(self, entries: Any, loc: list[str | int], *, long_form: bool) -> tuple[set[int], bool]:
        if entries is None:
            return set(), True
        if not isinstance(entries, list):
            self.fail(loc, "should be a list of ports")
            return set(), True
        ports: set[int] = set()
        complete = True
        for i, entry in enumerate(entries):
            container = entry
            if long_form and isinstance(entry, dict):
                container = entry.get("target")
            elif long_form and isinstance(entry, str):
                container = entry.rsplit(":", 1)[-1]  # [host_ip:][published:]container[/protocol]
            found = _port_range(container)
            if found is None:
                complete = False
            elif not found:
                example = (
                    '"8080", "127.0.0.1:8080:80" or {target: 80}' if long_form else '"8080" or "8000-8010"'
                )
                self.fail([*loc, i], f"cannot read the container port {container!r}; write it as {example}")
            ports |= found or set()
        return ports, complete

    def _networks(self, section: Any, base: list[str | int]) -> list[str]:
        if section is None:
            return []
        if isinstance(section, list):
            return [str(n) for n in section]
        if isinstance(section, dict):
            return [str(n) for n in section]
        self.fail([*base, "networks"], "should be a list of network names or a mapping of them")
        return []

    def _environment(self, section: Any, loc: list[str | int]) -> dict[str, str | None]:
        if section is None:
            return {}
        if isinstance(section, dict):
            return {str(k): None if v is None else _env_text(v) for k, v in section.items()}
        if isinstance(section, list):
            out: dict[str, str | None] = {}
            for item in section:
                name, sep, value = str(item).partition("=")
                out[name] = value if sep else None
            return out
        self.fail(loc, "should be a list of NAME=value entries or a mapping of names to values")
        return {}


def _named_volumes(entries: Any) -> tuple[str, ...]:
    """The named volumes of a service's ``volumes:`` (short ``name:/path[:mode]`` or long ``{source: name}``)."""
    if not isinstance(entries, list):
        return ()
    found: list[str] = []
    for entry in entries:
        if isinstance(entry, dict):
            source = entry.get("source") if entry.get("type", "volume") == "volume" else None
        elif isinstance(entry, str) and ":" in entry:
            source = entry.split(":", 1)[0]
        else:
            source = None
        if isinstance(source, str) and source and not source.startswith((".", "/", "~", "$")):
            found.append(source)
    return tuple(dict.fromkeys(found))


def _env_text(value: Any) -> str:
    if isinstance(value, bool):  # compose passes YAML booleans on as the words true/false
        return "true" if value else "false"
    return str(value)


def _port_range(entry: Any) -> set[int] | None:
    """The container ports of one entry; None when interpolated (unknown until compose runs); empty when bad."""
    if isinstance(entry, bool):
        return set()
    if isinstance(entry, int):
        return {entry} if 0 < entry <= 65535 else set()
    if not isinstance(entry, str):
        return set()
    text = entry.strip()
    if "$" in text:
        return None
    match = _PORT_RANGE.match(text)
    if match is None:
        return set()
    low = int(match["low"])
    high = int(match["high"] or low)
    if not 0 < low <= high <= 65535:
        return set()
    return set(range(low, high + 1))
