"""The local cluster's certificates, made by the real openssl: what Kubernetes reads from them is right."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from drdrill.staging.kube import pki


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    pki.make_ca(directory)
    return directory


def _text(directory: Path, stem: str) -> str:
    shown = subprocess.run(
        ["openssl", "x509", "-in", str(directory / f"{stem}.crt"), "-noout", "-text", "-nameopt", "RFC2253"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return shown.stdout


def test_a_serving_certificate_names_the_service_address_and_verifies_against_the_ca(authority: Path) -> None:
    pki.issue(
        authority,
        pki.Identity(
            "apiserver", "kube-apiserver", dns_names=("kubernetes.default.svc",), addresses=("10.96.0.1",)
        ),
    )
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(authority / "ca.crt"), str(authority / "apiserver.crt")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    text = _text(authority, "apiserver")
    assert "DNS:kubernetes.default.svc, IP Address:10.96.0.1" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    assert "CA:FALSE" in text


def test_a_client_certificate_carries_its_groups_as_organisations(authority: Path) -> None:
    pki.issue(authority, pki.Identity("node", "system:node:drdrill-zone-a", ("system:nodes",)))
    assert "Subject: CN=system:node:drdrill-zone-a,O=system:nodes" in _text(authority, "node")
    assert "Subject Alternative Name" not in _text(authority, "node")
    # The request and the extension file are not left beside the keys.
    assert not list(authority.glob("*.csr")) and not list(authority.glob("*.ext"))


def test_the_ca_signs_and_the_service_account_key_pair_matches(authority: Path) -> None:
    text = subprocess.run(
        ["openssl", "x509", "-in", str(authority / "ca.crt"), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CA:TRUE" in text and "Certificate Sign" in text
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(authority / "sa.key"), "-pubout"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert public == (authority / "sa.pub").read_text(encoding="utf-8")


def test_a_kubeconfig_embeds_the_ca_and_the_client_pair(authority: Path) -> None:
    pki.issue(authority, pki.Identity("admin", "drdrill-admin", ("system:masters",)))
    text = pki.kubeconfig(authority, "admin", "https://127.0.0.1:16443", "drdrill-local")
    document = YAML(typ="safe").load(text)
    assert document["current-context"] == "drdrill-local"
    cluster = document["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:16443"
    assert base64.b64decode(cluster["certificate-authority-data"]) == (authority / "ca.crt").read_bytes()
    user = document["users"][0]["user"]
    assert base64.b64decode(user["client-key-data"]) == (authority / "admin.key").read_bytes()
    assert base64.b64decode(user["client-certificate-data"]) == (authority / "admin.crt").read_bytes()


def test_openssl_refusing_a_step_names_the_step(tmp_path: Path) -> None:
    with pytest.raises(pki.PkiError, match="sign the certificate of lost"):
        pki.issue(tmp_path, pki.Identity("lost", "nobody"))  # no CA in tmp_path


def test_subject_lists_organisations_before_the_common_name() -> None:
    identity = pki.Identity("x", "system:kube-proxy", ("a", "b"))
    assert pki.subject(identity) == "/O=a/O=b/CN=system:kube-proxy"
