"""A user's manifests made a drill's: in its namespace, labelled, never pulling; what a drill may not create is
refused with the file, the document and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drdrill.staging.kube import manifests

APP = """apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      initContainers: [{name: migrate, image: "shop/api:1"}]
      containers: [{name: api, image: "shop/api:1", imagePullPolicy: Always}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {selector: {app: api}, ports: [{port: 80}]}
"""
DB = """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "shop/db:15"}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "* * * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: Never, containers: [{name: backup, image: "shop/backup:1"}]}
"""


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    (tmp_path / "10-app.yaml").write_text(APP, encoding="utf-8")
    (tmp_path / "20-db.yml").write_text(DB, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a manifest", encoding="utf-8")
    return tmp_path


def test_a_directory_is_read_in_name_order_and_each_object_knows_its_origin(directory: Path) -> None:
    rendered = manifests.render(directory)
    assert [obj["kind"] for obj in rendered.objects] == ["Deployment", "Service", "StatefulSet", "CronJob"]
    assert rendered.origins[1] == f"{directory / '10-app.yaml'}, document 2"


def test_objects_land_in_the_drills_namespace_labelled_and_never_pulling(directory: Path) -> None:
    placed = manifests.for_drill(manifests.render(directory), "drdrill-run1", "run1")
    assert {obj["metadata"]["namespace"] for obj in placed} == {"drdrill-run1"}
    assert all(obj["metadata"]["labels"][manifests.LABEL_RUN] == "run1" for obj in placed)
    deployment, _, statefulset, cronjob = placed
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"app": "api", manifests.LABEL_RUN: "run1"}
    policies = [
        container["imagePullPolicy"]
        for obj in (deployment, statefulset, cronjob)
        for spec in manifests.pod_specs(obj)
        for key in ("initContainers", "containers")
        for container in spec.get(key, [])
    ]
    assert policies == ["Never"] * 4
    assert manifests.images(placed) == ["shop/api:1", "shop/db:15", "shop/backup:1"]


def test_the_dump_applies_as_it_was_placed_and_keeps_strings_yaml_1_1_would_read_as_bools(
    directory: Path, tmp_path: Path
) -> None:
    placed = manifests.for_drill(manifests.render(directory), "drdrill-run1", "run1")
    assert json.loads(manifests.dump(placed)) == {"apiVersion": "v1", "kind": "List", "items": placed}
    path = tmp_path / "redis.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: r}\n"
        'spec: {containers: [{name: r, image: "r:1", command: [redis-server, --appendonly, "yes"]}]}\n',
        encoding="utf-8",
    )
    [pod] = json.loads(manifests.dump(manifests.for_drill(manifests.render(path), "n", "x")))["items"]
    assert pod["spec"]["containers"][0]["command"] == ["redis-server", "--appendonly", "yes"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", r"Namespace shop is cluster-wide"),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n",
            r"ClusterRole reader is cluster-wide.*outside the plan's manifests",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: prod}\n",
            r"Service api names namespace 'prod'.*remove metadata.namespace",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n",
            r"Pod p: container c has no image",
        ),
    ],
)
def test_what_a_drill_may_not_create_is_refused_with_file_and_document(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n" + text, encoding="utf-8")
    with pytest.raises(manifests.ManifestError, match=rf"m\.yaml, document 2: {message}"):
        manifests.for_drill(manifests.render(path), "drdrill-x", "x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: Service\nmetadata: {name: api}\n", r"document 1: not a Kubernetes object"),
        ("apiVersion: v1\nkind: List\nitems: []\n", r"a List; write its items as documents"),
        ("a: [unclosed\n", r"not YAML"),
        ("# only a comment\n", r"no Kubernetes object"),
    ],
)
def test_a_document_that_is_not_an_object_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(manifests.ManifestError, match=message):
        manifests.render(path)


def test_missing_manifests_and_an_empty_directory_say_what_to_name(tmp_path: Path) -> None:
    with pytest.raises(manifests.ManifestError, match="not found: name a file, a directory"):
        manifests.render(tmp_path / "missing")
    with pytest.raises(manifests.ManifestError, match=r"no \*\.yaml or \*\.yml manifest"):
        manifests.render(tmp_path)


def test_a_kustomization_needs_kubectl(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\n", encoding="utf-8")
    with pytest.raises(manifests.ManifestError, match="kustomize directory: rendering it needs kubectl"):
        manifests.render(tmp_path)
