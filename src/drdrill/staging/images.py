"""drdrill's own images, built locally and cached by a hash of their inputs.

Nothing is ever pulled. The base image is a Debian bookworm root filesystem made with
`debootstrap --variant=minbase` and `docker import`ed; drdrill's other images are built `FROM` it:

    drdrill/base:local            python3, Postgres 15, redis-server, aiosmtpd: what a user's Dockerfile can build
                                  `FROM drdrill/base:local` (their compose `build:` sections build them)
    drdrill/toxiproxy:local       toxiproxy-server only; every drill generates its proxies and passes
                                  `-config` with a bind-mounted file
    drdrill/provider-sim:local    the provider simulator (drdrill.simulator: OpenAI and Anthropic APIs),
                                  which a replica puts in place of a real AI provider
    drdrill/notify-sink:local     the notification sink (webhooks and SMTP) a drill adds to the replica for
                                  the system's alerts and client notices

Every image is tagged with a hash of its inputs, so a second `ensure` finds them and builds nothing;
compose files refer to the fixed `:local` tags that `ensure` points at the hashed builds. The build
contexts are files of the drdrill package itself, so an installed wheel builds the same images.

    python -m drdrill.staging.images ensure    # build what is missing
    python -m drdrill.staging.images status    # list the images and whether they are present
    python -m drdrill.staging.images prune     # remove drdrill images of older inputs
    python -m drdrill.staging.images wheels DIR     # fetch the pinned wheels of the build context DIR
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from drdrill.cachedir import cache_dir

__all__ = [
    "BASE_LOCAL_TAG",
    "BASE_PACKAGES",
    "ImageBuildError",
    "ImageSpec",
    "base_tag",
    "ensure_images",
    "image_specs",
    "main",
    "missing_images",
    "prune_images",
]

# Bump when the way images are produced changes (trimming, import options, build arguments).
BUILDER_VERSION = "1"
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BASE_REPOSITORY = "drdrill/base"
BASE_LOCAL_TAG = f"{BASE_REPOSITORY}:local"
BASE_PACKAGES: tuple[str, ...] = (
    "python3",
    "python3-psycopg2",
    "postgresql-15",
    "postgresql-client-15",
    # A queue for example systems (the Q&A example's jobs), and its real Python client.
    "redis-server",
    "python3-redis",
    # The notification sink's SMTP server (drdrill/notify-sink).
    "python3-aiosmtpd",
)
# Paths removed from the root filesystem before import: package caches, docs, translations.
TRIM_PATHS: tuple[str, ...] = (
    "var/cache/apt",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/lib/postgresql/15",
    "etc/postgresql/15",
)
IMPORT_CHANGES: tuple[str, ...] = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'LABEL io.drdrill.managed="true" io.drdrill.image="base"',
    'CMD ["/bin/bash"]',
)
TOXIPROXY_VERSION = "v2.12.0"
TOXIPROXY_MODULE = "github.com/Shopify/toxiproxy/v2/cmd/server"
DOCKER_TIMEOUT_S = 15.0
# Hashes of files never change what an image contains.
_IGNORED_NAMES = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})

Log = Callable[[str], None]


class ImageBuildError(RuntimeError):
    """An image cannot be built; the message names what is missing and how to get it."""


@dataclass(frozen=True)
class ImageSpec:
    """One of drdrill's images built `FROM` the base: its Dockerfile, its build context, its tags."""

    name: str  # short name used in progress lines, e.g. "provider simulator"
    repository: str  # e.g. "drdrill/provider-sim"
    dockerfile: Path
    context: tuple[tuple[Path, str], ...]  # (source on the host, destination in the build context)

    @property
    def local_tag(self) -> str:
        return f"{self.repository}:local"


# ---------------------------------------------------------------------------------------------- paths


def find_toxiproxy_server() -> Path | None:
    """`DRDRILL_TOXIPROXY_SERVER`, else `toxiproxy-server` on PATH, else the one setup.sh installs."""
    override = os.environ.get("DRDRILL_TOXIPROXY_SERVER")
    if override:
        return Path(override) if Path(override).is_file() else None
    on_path = shutil.which("toxiproxy-server")
    if on_path:
        return Path(on_path)
    installed = cache_dir() / "bin" / "toxiproxy-server"
    return installed if installed.is_file() else None


# --------------------------------------------------------------------------------------------- hashes


def _digest(parts: Iterator[bytes]) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(len(part).to_bytes(8, "big"))
        sha.update(part)
    return sha.hexdigest()[:12]


def base_tag(packages: tuple[str, ...] = BASE_PACKAGES, suite: str = SUITE) -> str:
    """The base image tag: a hash of the package list, suite and builder version (not the mirror)."""
    recipe = {
        "builder": BUILDER_VERSION,
        "suite": suite,
        "packages": sorted(packages),
        "trim": list(TRIM_PATHS),
        "changes": list(IMPORT_CHANGES),
    }
    return f"{BASE_REPOSITORY}:{_digest(iter([json.dumps(recipe, sort_keys=True).encode()]))}"


def _context_files(spec: ImageSpec) -> Iterator[tuple[Path, str]]:
    """Every file of the build context as (host path, context path), sorted by context path."""
    found: list[tuple[Path, str]] = []
    for source, destination in spec.context:
        if source.is_dir():
            for path in source.rglob("*"):
                if path.is_file() and not _IGNORED_NAMES.intersection(path.parts) and path.suffix != ".pyc":
                    found.append((path, f"{destination}/{path.relative_to(source).as_posix()}"))
        else:
            found.append((source, destination))
    return iter(sorted(found, key=lambda item: item[1]))


def image_tag(spec: ImageSpec, base: str) -> str:
    """The content-hashed tag of an image built on the base: Dockerfile, context files, base tag, builder."""

    def parts() -> Iterator[bytes]:
        yield f"builder={BUILDER_VERSION}".encode()
        yield f"base={base}".encode()
        yield spec.dockerfile.read_bytes()
        for path, destination in _context_files(spec):
            yield destination.encode()
            yield str(path.stat().st_mode & 0o111).encode()  # the executable bit is part of the image
            yield path.read_bytes()

    return f"{spec.repository}:{_digest(parts())}"


def package_dir() -> Path:
    """The installed `drdrill` package: the Dockerfiles and the simulator ship inside it."""
    return Path(__file__).resolve().parents[1]


def dockerfiles_dir() -> Path:
    """Where the Dockerfiles of drdrill's images live: `staging/dockerfiles/<image>/Dockerfile`."""
    return package_dir() / "staging" / "dockerfiles"


def image_specs(toxiproxy_server: Path | None) -> list[ImageSpec]:
    """drdrill's images besides the base, in build order (the base image is handled separately).

    Without a Toxiproxy binary its image cannot be built, and only the simulator is listed.
    """
    specs = [
        ImageSpec(
            name="provider simulator",
            repository="drdrill/provider-sim",
            dockerfile=dockerfiles_dir() / "provider-sim" / "Dockerfile",
            context=((package_dir() / "simulator" / "provider_sim.py", "provider_sim.py"),),
        ),
        ImageSpec(
            name="notification sink",
            repository="drdrill/notify-sink",
            dockerfile=dockerfiles_dir() / "notify-sink" / "Dockerfile",
            context=((package_dir() / "simulator" / "notify_sink.py", "notify_sink.py"),),
        ),
    ]
    if toxiproxy_server is not None:
        specs.append(
            ImageSpec(
                name="toxiproxy",
                repository="drdrill/toxiproxy",
                dockerfile=dockerfiles_dir() / "toxiproxy" / "Dockerfile",
                context=((toxiproxy_server, "toxiproxy-server"),),
            )
        )
    return specs


# --------------------------------------------------------------------------------------------- docker


def _docker_cli() -> str:
    docker = shutil.which("docker")
    if docker is None:
        raise ImageBuildError(
            "docker CLI not found: install Docker (apt-get install docker.io) or run "
            "`source scripts/setup.sh && drdrill_ensure_docker`"
        )
    return docker


def check_docker() -> str:
    """Return the engine version, or raise ImageBuildError saying how to get an answering engine."""
    docker = _docker_cli()
    try:
        result = subprocess.run(
            [docker, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=DOCKER_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ImageBuildError(f"docker engine did not answer within {DOCKER_TIMEOUT_S:g}s") from exc
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "no answer"
        raise ImageBuildError(
            f"docker engine not answering ({detail}): start it (dockerd) or run "
            "`source scripts/setup.sh && drdrill_ensure_docker`"
        )
    return result.stdout.strip()


def _image_id(tag: str) -> str | None:
    result = subprocess.run(
        [_docker_cli(), "image", "inspect", "--format", "{{.Id}}", tag],
        capture_output=True,
        text=True,
        timeout=DOCKER_TIMEOUT_S,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def _docker(*args: str, what: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        [_docker_cli(), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise ImageBuildError(f"{what} failed (docker {args[0]} exited {result.returncode}):\n{tail}")


def _tag(source: str, target: str) -> None:
    if _image_id(target) != _image_id(source):
        _docker("tag", source, target, what=f"tagging {target}")


# ----------------------------------------------------------------------------------------- base image


def _unmount_below(directory: Path) -> None:
    """Unmount whatever an interrupted debootstrap left mounted inside the rootfs (proc, sys)."""
    prefix = str(directory.resolve()) + "/"
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def _remove_rootfs(directory: Path) -> None:
    if directory.exists():
        _unmount_below(directory)
        shutil.rmtree(directory, ignore_errors=True)


PROGRESS_EVERY_S = 10.0


def _run_with_progress(command: list[str], log: Log, label: str) -> tuple[int, list[str]]:
    """Run a long command, echoing its latest output line every few seconds so a person sees it move."""
    lines: list[str] = []
    last = time.monotonic()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip()
            if not line:
                continue
            lines.append(line)
            if time.monotonic() - last >= PROGRESS_EVERY_S:
                log(f"{label}: {line[:100]}")
                last = time.monotonic()
        returncode = proc.wait()
    return returncode, lines


def _debootstrap(rootfs: Path, log: Log, packages: tuple[str, ...] = BASE_PACKAGES) -> None:
    # debootstrap lives in /usr/sbin, which a non-login root shell may not have on PATH.
    debootstrap = shutil.which("debootstrap", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if debootstrap is None:
        raise ImageBuildError(
            "debootstrap not found: install it with `apt-get install -y debootstrap` "
            "(the base image is built from Debian packages, never pulled)"
        )
    if os.geteuid() != 0:
        raise ImageBuildError("building the base image runs debootstrap, which needs root")
    mirror = os.environ.get("DRDRILL_DEBIAN_MIRROR", DEFAULT_MIRROR)
    packages_cache = cache_dir() / "debs"
    packages_cache.mkdir(parents=True, exist_ok=True)
    command = [
        debootstrap,
        "--variant=minbase",
        f"--cache-dir={packages_cache}",
        f"--include={','.join(packages)}",
        SUITE,
        str(rootfs),
        mirror,
    ]
    returncode, output = _run_with_progress(command, log, "base image: debootstrap")
    if returncode != 0:
        tail = "\n".join(output[-15:])
        # The rootfs is deleted on the way out: keep debootstrap's own log beside it.
        log_file = rootfs / "debootstrap" / "debootstrap.log"
        kept = cache_dir() / "debootstrap.log"
        hint = ""
        if log_file.is_file():
            shutil.copyfile(log_file, kept)
            hint = f" (full log: {kept})"
        raise ImageBuildError(f"debootstrap {SUITE} from {mirror} failed{hint}:\n{tail}")
    for relative in TRIM_PATHS:
        target = rootfs / relative
        if target.is_dir():
            shutil.rmtree(target)
            target.mkdir(parents=True)  # keep the directory, packages expect it to exist
    log("base image: debootstrap done, importing into docker...")


def _import_rootfs(rootfs: Path, tag: str, import_changes: tuple[str, ...] = IMPORT_CHANGES) -> None:
    docker = _docker_cli()
    changes = [arg for change in import_changes for arg in ("--change", change)]
    # Device nodes and kernel filesystems come from the container runtime, not from the image.
    tar_cmd = ["tar", "-C", str(rootfs), "--numeric-owner", "--exclude=./dev/*", "--exclude=./proc/*"]
    tar_cmd += ["--exclude=./sys/*", "-c", "."]
    with subprocess.Popen(tar_cmd, stdout=subprocess.PIPE) as tar:
        imported = subprocess.run(
            [docker, "import", *changes, "-", tag],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
        if tar.stdout is not None:
            tar.stdout.close()
        tar_status = tar.wait()
    if tar_status != 0 or imported.returncode != 0:
        raise ImageBuildError(
            f"importing the base image failed (tar exited {tar_status}, docker import exited "
            f"{imported.returncode}): {imported.stderr.strip()}"
        )


def _ensure_base(log: Log) -> str:
    tag = base_tag()
    if _image_id(tag) is not None:
        _tag(tag, BASE_LOCAL_TAG)
        log(f"base image cached ({tag})")
        return tag
    log(f"building base image (debootstrap {SUITE}, ~1 min)...")
    started = time.monotonic()
    work = cache_dir()
    work.mkdir(parents=True, exist_ok=True)
    rootfs = work / f"rootfs-{tag.rsplit(':', 1)[1]}"
    _remove_rootfs(rootfs)  # a leftover of an interrupted build
    try:
        _debootstrap(rootfs, log)
        _import_rootfs(rootfs, tag)
    finally:
        _remove_rootfs(rootfs)
    _tag(tag, BASE_LOCAL_TAG)
    log(f"base image built ({tag} -> {BASE_LOCAL_TAG}) in {time.monotonic() - started:.1f}s")
    return tag


# ------------------------------------------------------------------------------------ drdrill's images


def _build(spec: ImageSpec, base: str, tag: str) -> None:
    with tempfile.TemporaryDirectory(prefix="drdrill-build-") as tmp:
        context = Path(tmp)
        for source, destination in _context_files(spec):
            target = context / destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        shutil.copy2(spec.dockerfile, context / "Dockerfile")
        # The classic builder: the host's CLI may be newer than the engine and have no buildx plugin.
        env = {**os.environ, "DOCKER_BUILDKIT": "0"}
        _docker(
            "build",
            "--quiet",
            "--pull=false",
            "--build-arg",
            f"BASE_IMAGE={base}",
            "--label",
            f"io.drdrill.content={tag}",
            "--tag",
            tag,
            str(context),
            what=f"building {spec.name} image {tag}",
            env=env,
        )


def _ensure_image(spec: ImageSpec, base: str, log: Log) -> None:
    tag = image_tag(spec, base)
    if _image_id(tag) is not None:
        _tag(tag, spec.local_tag)
        log(f"{spec.name} image cached ({tag})")
        return
    log(f"building {spec.name} image...")
    started = time.monotonic()
    _build(spec, base, tag)
    _tag(tag, spec.local_tag)
    log(f"{spec.name} image built ({tag} -> {spec.local_tag}) in {time.monotonic() - started:.1f}s")


def _require_toxiproxy() -> Path:
    server = find_toxiproxy_server()
    if server is None:
        raise ImageBuildError(
            "toxiproxy-server not found: run `source scripts/setup.sh && drdrill_ensure_toxiproxy`, or "
            f"`GOBIN={cache_dir() / 'bin'} go install {TOXIPROXY_MODULE}@{TOXIPROXY_VERSION}` and rename "
            f"`server` to `toxiproxy-server` (or set DRDRILL_TOXIPROXY_SERVER to the binary)"
        )
    return server


@contextmanager
def _build_lock() -> Iterator[None]:
    """One builder at a time per machine (parallel test workers call ensure together)."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "images.lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------------------------------------------- API


def ensure_images(log: Log) -> None:
    """Build whatever image is missing (never pulls); print one line per step through `log`."""
    server = _require_toxiproxy()
    check_docker()
    with _build_lock():
        base = _ensure_base(log)
        for spec in image_specs(server):
            _ensure_image(spec, base, log)


WHEELS_FILE = "wheels.txt"
WHEELS_DIR = "wheels"
PIP_TIMEOUT_S = 600.0


def _wheel_options(requirements: str) -> list[str]:
    """The target a wheels file names on a ``# --platform ... --python-version ...`` line (the image's Python,
    not the host's)."""
    for line in requirements.splitlines():
        stripped = line.lstrip("# ").strip()
        if stripped.startswith("--platform") or stripped.startswith("--python-version"):
            return stripped.split()
    return []


def ensure_wheels(context: Path, log: Log) -> Path | None:
    """Fill ``context/wheels/`` with the pinned wheels ``context/wheels.txt`` lists, so an image build unpacks
    them without reaching a package index; None when the context has no wheels file.

    Each requirement is pinned with ``--hash`` (pip refuses a file whose hash differs) and only binary wheels
    are taken (nothing is built). The download is cached by a hash of the wheels file, like drdrill's images:
    a second build copies from the cache, and changing the file fetches anew.
    """
    listing = context / WHEELS_FILE
    if not listing.is_file():
        return None
    text = listing.read_text(encoding="utf-8")
    digest = _digest(iter([text.encode()]))
    cached = cache_dir() / "wheels" / digest
    target = context / WHEELS_DIR
    with _build_lock():
        if not (cached / ".complete").is_file():
            log(f"fetching the wheels of {listing} (pinned, by hash)...")
            partial = cached.with_name(f"{digest}.part")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
            command += ["--require-hashes", "--implementation", "cp", *_wheel_options(text)]
            command += ["--dest", str(partial), "-r", str(listing)]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise ImageBuildError(
                    f"fetching the wheels of {listing} took over {PIP_TIMEOUT_S:g} s"
                ) from exc
            if done.returncode != 0:
                tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
                raise ImageBuildError(
                    f"fetching the wheels of {listing} failed (pip exited {done.returncode}):\n{tail}"
                )
            (partial / ".complete").write_text(digest)
            shutil.rmtree(cached, ignore_errors=True)
            partial.rename(cached)
        wanted = {path.name for path in cached.glob("*.whl")}
        target.mkdir(exist_ok=True)
        for stale in target.glob("*.whl"):
            if stale.name not in wanted:
                stale.unlink()
        for wheel in sorted(wanted):
            if not (target / wheel).is_file():
                shutil.copy2(cached / wheel, target / wheel)
    return target


def missing_images() -> list[str]:
    """The images `ensure_images` would build, as tags (empty when everything is in place).

    Raises ImageBuildError when the docker engine does not answer. When the Toxiproxy binary is
    missing its image cannot be hashed; it is then listed by its `:local` tag with the reason.
    """
    check_docker()
    base = base_tag()
    missing: list[str] = []
    if _image_id(base) is None or _image_id(BASE_LOCAL_TAG) != _image_id(base):
        missing.append(base)
    server = find_toxiproxy_server()
    for spec in image_specs(server):
        tag = image_tag(spec, base)
        if _image_id(tag) is None or _image_id(spec.local_tag) != _image_id(tag):
            missing.append(tag)
    if server is None:
        missing.append("drdrill/toxiproxy:local (toxiproxy-server binary not found)")
    return missing


def _current_tags() -> set[str]:
    base = base_tag()
    current = {base, BASE_LOCAL_TAG}
    for spec in image_specs(find_toxiproxy_server()):
        current |= {image_tag(spec, base), spec.local_tag}
    return current


def prune_images(log: Log) -> list[str]:
    """Remove drdrill image tags built from older inputs; keep the current ones and `:local`.

    An image still used by a container is kept (docker refuses, and that is right).
    """
    check_docker()
    query = [
        "image",
        "ls",
        "--filter",
        "label=io.drdrill.managed=true",
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ]
    listed = subprocess.run(
        [_docker_cli(), *query],
        capture_output=True,
        text=True,
        timeout=DOCKER_TIMEOUT_S,
        check=True,
    )
    keep = _current_tags()
    removed: list[str] = []
    for tag in sorted(set(listed.stdout.split()) - keep):
        if not tag.startswith("drdrill/") or tag.endswith(":<none>"):
            continue
        result = subprocess.run([_docker_cli(), "rmi", tag], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            removed.append(tag)
            log(f"removed {tag}")
        else:
            log(
                f"kept {tag}: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else 'in use'}"
            )
    return removed


def _status() -> int:
    server = find_toxiproxy_server()
    print(f"docker engine {check_docker()}")
    print(f"toxiproxy-server: {server if server else 'not found'}")
    missing = set(missing_images())
    base = base_tag()
    print(f"{base} ({BASE_LOCAL_TAG}): {'missing' if base in missing else 'present'}")
    for spec in image_specs(server):
        tag = image_tag(spec, base)
        print(f"{tag} ({spec.local_tag}): {'missing' if tag in missing else 'present'}")
    return 1 if missing else 0


def _wheels(contexts: list[str]) -> int:
    """Fetch the pinned wheels of each build context named (one with no wheels file is skipped, and said)."""
    for context in contexts:
        target = ensure_wheels(Path(context), lambda line: print(line, flush=True))
        if target is None:
            print(f"wheels: {context} has no {WHEELS_FILE}", flush=True)
        else:
            print(f"wheels: {target} ready ({len(list(target.glob('*.whl')))} wheel(s))", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in (["ensure"], ["status"], ["prune"]) and not (len(args) > 1 and args[0] == "wheels"):
        print(
            "usage: python -m drdrill.staging.images ensure|status|prune|wheels BUILD_CONTEXT...",
            file=sys.stderr,
        )
        return 2
    try:
        if args[0] == "wheels":
            return _wheels(args[1:])
        if args == ["status"]:
            return _status()
        if args == ["prune"]:
            removed = prune_images(lambda line: print(line, flush=True))
            print(f"{len(removed)} old image tag(s) removed")
            return 0
        started = time.monotonic()
        ensure_images(lambda line: print(line, flush=True))
        print(f"images ready in {time.monotonic() - started:.1f}s", flush=True)
        return 0
    except ImageBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
