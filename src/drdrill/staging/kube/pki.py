"""The local cluster's certificates, made with the host's ``openssl``: one CA, a serving certificate for the API
server (with the service address in-cluster clients dial), client certificates for each component and node, and
the service-account signing key. Nothing leaves the cluster's state directory."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CA_SUBJECT = "/CN=drdrill-local-ca"
DAYS = 825
_CURVE = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")


class PkiError(RuntimeError):
    """openssl is missing or refused a step; the message names the step and openssl's words."""


@dataclass(frozen=True)
class Identity:
    """A certificate to issue: its file stem, its subject (common name, organisations) and the names it serves."""

    stem: str
    common_name: str
    organisations: tuple[str, ...] = ()
    dns_names: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()


def _openssl(args: Sequence[str], what: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise PkiError(
            "openssl not found: the local cluster's certificates are made with it (apt-get install openssl)"
        )
    done = subprocess.run([openssl, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PkiError(f"openssl could not {what}: {done.stderr.strip()[-400:]}")


def make_ca(directory: Path) -> None:
    """A new CA in ``directory`` (``ca.crt``, ``ca.key``) and the service-account key pair (``sa.key``, ``sa.pub``)."""
    directory.mkdir(parents=True, exist_ok=True)
    _openssl(
        [
            "req", "-x509", *_CURVE, "-nodes", "-days", str(DAYS * 4), "-subj", CA_SUBJECT,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
            "-keyout", str(directory / "ca.key"), "-out", str(directory / "ca.crt"),
        ],
        "make the cluster CA",
    )  # fmt: skip
    _openssl(["genrsa", "-out", str(directory / "sa.key"), "2048"], "make the service-account key")
    _openssl(
        ["rsa", "-in", str(directory / "sa.key"), "-pubout", "-out", str(directory / "sa.pub")],
        "write the service-account public key",
    )


def subject(identity: Identity) -> str:
    """The openssl ``-subj`` of ``identity``: organisations first, as Kubernetes reads them as groups."""
    parts = [f"/O={organisation}" for organisation in identity.organisations]
    return "".join(parts) + f"/CN={identity.common_name}"


def extensions(identity: Identity) -> str:
    """The X.509 extensions of a leaf certificate: for clients and servers both, with its names if it serves."""
    lines = [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth,clientAuth",
    ]
    names = [f"DNS:{name}" for name in identity.dns_names] + [
        f"IP:{address}" for address in identity.addresses
    ]
    if names:
        lines.append("subjectAltName=" + ",".join(names))
    return "\n".join(lines) + "\n"


def issue(directory: Path, identity: Identity) -> None:
    """Issue ``identity``'s key and certificate (``<stem>.key``, ``<stem>.crt``) from the CA in ``directory``."""
    key = directory / f"{identity.stem}.key"
    request = directory / f"{identity.stem}.csr"
    extension_file = directory / f"{identity.stem}.ext"
    extension_file.write_text(extensions(identity), encoding="utf-8")
    _openssl(
        [
            "req",
            "-new",
            *_CURVE,
            "-nodes",
            "-subj",
            subject(identity),
            "-keyout",
            str(key),
            "-out",
            str(request),
        ],
        f"make the key of {identity.stem}",
    )
    _openssl(
        [
            "x509", "-req", "-in", str(request), "-CA", str(directory / "ca.crt"),
            "-CAkey", str(directory / "ca.key"), "-CAcreateserial", "-days", str(DAYS),
            "-extfile", str(extension_file), "-out", str(directory / f"{identity.stem}.crt"),
        ],
        f"sign the certificate of {identity.stem}",
    )  # fmt: skip
    request.unlink()
    extension_file.unlink()


def _data(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def kubeconfig(directory: Path, stem: str, server: str, context: str) -> str:
    """A kubeconfig for ``stem``'s certificate talking to ``server``, trusting the CA, as context ``context``."""
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        f"- name: {context}\n"
        "  cluster:\n"
        f"    server: {server}\n"
        f"    certificate-authority-data: {_data(directory / 'ca.crt')}\n"
        "users:\n"
        f"- name: {context}-{stem}\n"
        "  user:\n"
        f"    client-certificate-data: {_data(directory / f'{stem}.crt')}\n"
        f"    client-key-data: {_data(directory / f'{stem}.key')}\n"
        "contexts:\n"
        f"- name: {context}\n"
        "  context:\n"
        f"    cluster: {context}\n"
        f"    user: {context}-{stem}\n"
        f"current-context: {context}\n"
    )
