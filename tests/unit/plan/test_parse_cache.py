"""Parsed plan files come back from drdrill's cache only when they are the same bytes, parsed by the same code,
from a file nobody else could have written; a file that did not parse is parsed (and refused) every time."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from drdrill.plan import parsecache
from drdrill.plan.errors import PlanIssue
from drdrill.plan.yamlsource import YamlDoc, parse_yaml

TEXT = b'name: claims\nservices:\n  api:\n    ready: http://{api:8080}/health\n  worker: {ready: "tcp://{worker:9}"}\n'


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DRDRILL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(parsecache, "PRUNE_EVERY", 1)
    return tmp_path / "cache" / parsecache.FOLDER


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bytes the real parser was run on."""
    seen: list[bytes] = []
    real = parsecache.cached

    def counting(raw: bytes, parse, keep, rebuild):  # type: ignore[no-untyped-def]
        def parse_and_count():  # type: ignore[no-untyped-def]
            seen.append(raw)
            return parse()

        return real(raw, parse_and_count, keep, rebuild)

    monkeypatch.setattr(parsecache, "cached", counting)
    return seen


def test_the_same_bytes_are_parsed_once_and_come_back_with_their_positions(
    cache: Path, parses: list[bytes], tmp_path: Path
) -> None:
    first = parse_yaml(tmp_path / "a.yaml", TEXT)
    again = parse_yaml(tmp_path / "b.yaml", TEXT)  # the same bytes under another name

    assert isinstance(first, YamlDoc) and isinstance(again, YamlDoc)
    assert parses == [TEXT]
    assert again.path == tmp_path / "b.yaml" and again.data == first.data
    for loc in [("services", "api", "ready"), ("services", "worker"), ("services", "worker", "ready")]:
        assert again.position(loc) == first.position(loc)
    assert again.position(("services", "worker"), key=True) == (5, 3)
    assert len(list(cache.glob("*.pickle"))) == 1


def test_other_bytes_are_parsed_anew(cache: Path, parses: list[bytes], tmp_path: Path) -> None:
    parse_yaml(tmp_path / "a.yaml", TEXT)
    changed = TEXT.replace(b"8080", b"8081")
    doc = parse_yaml(tmp_path / "a.yaml", changed)
    assert isinstance(doc, YamlDoc) and doc.data["services"]["api"]["ready"] == "http://{api:8081}/health"
    assert parses == [TEXT, changed]


def test_a_file_that_does_not_parse_is_refused_every_time_and_never_kept(
    cache: Path, parses: list[bytes], tmp_path: Path
) -> None:
    bad = b"a: 1\na: 2\n"
    issues = [parse_yaml(tmp_path / "bad.yaml", bad) for _ in range(2)]
    assert all(isinstance(i, PlanIssue) and i.line == 2 and "duplicate key" in i.message for i in issues)
    assert parses == [bad, bad]
    assert not list(cache.glob("*.pickle"))


def test_an_entry_others_can_write_is_not_read(cache: Path, parses: list[bytes], tmp_path: Path) -> None:
    parse_yaml(tmp_path / "a.yaml", TEXT)
    (entry,) = cache.glob("*.pickle")
    # another user's planted pickle would run code when read: one that is not private is parsed over
    entry.write_bytes(pickle.dumps(("planted", {"name": "planted"})))
    entry.chmod(0o666)
    doc = parse_yaml(tmp_path / "a.yaml", TEXT)
    assert isinstance(doc, YamlDoc) and doc.data["name"] == "claims"
    assert parses == [TEXT, TEXT]


def test_a_corrupt_entry_is_parsed_over_and_written_anew(
    cache: Path, parses: list[bytes], tmp_path: Path
) -> None:
    parse_yaml(tmp_path / "a.yaml", TEXT)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"\x80\x05not a pickle")
    doc = parse_yaml(tmp_path / "a.yaml", TEXT)
    assert isinstance(doc, YamlDoc) and doc.data["name"] == "claims"
    third = parse_yaml(tmp_path / "a.yaml", TEXT)
    assert isinstance(third, YamlDoc) and third.data == doc.data
    assert parses == [TEXT, TEXT]  # the third came from the entry written again


def test_a_cache_that_cannot_be_written_only_costs_a_parse(
    monkeypatch: pytest.MonkeyPatch, parses: list[bytes], tmp_path: Path
) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setenv("DRDRILL_CACHE_DIR", str(blocked))
    for _ in range(2):
        doc = parse_yaml(tmp_path / "a.yaml", TEXT)
        assert isinstance(doc, YamlDoc) and doc.data["name"] == "claims"
    assert parses == [TEXT, TEXT]


def test_the_cache_keeps_the_most_recent_entries(
    cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(parsecache, "MAX_ENTRIES", 3)
    for n in range(5):
        parse_yaml(tmp_path / "a.yaml", f"n: {n}\n".encode())
        for entry in cache.glob(
            "*.pickle"
        ):  # older entries look older, whatever the file system's resolution
            os.utime(entry, (entry.stat().st_atime - 1, entry.stat().st_mtime - 1))
    kept = sorted(pickle.loads(e.read_bytes())[1]["n"] for e in cache.glob("*.pickle"))
    assert kept == [2, 3, 4]
