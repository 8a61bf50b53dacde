"""Similar-claims search of the staging claims system: a vector index (usearch HNSW) over the reference claims.

The index is derived data: built from the rows of `reference_claims` in Postgres (embedding.py gives each text
its vector) and saved in INDEX_DIR, from where a restart loads it. Rebuilding it from the rows is the recovery
of a lost index; a service started on an empty volume (a new region) answers from an empty index until then.

    POST /similar   {"text": "...", "k": 10}  ->  {"results": [{"id": "ref-0042", "distance": 0.12}, ...]}
    POST /rebuild   rebuild from the rows, save, swap in  ->  {"rows": 2000, "seconds": 0.4}
    GET  /health    {"status": "ok", "indexed": 2000}

BUILD_ON_START=1 builds the index at start when none is saved (the primary region's first start).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import db
import numpy as np
import serving
from embedding import DIMENSIONS, embed
from usearch.index import Index

INDEX_DIR = Path(os.environ.get("INDEX_DIR", "/var/lib/search"))
# Fixed graph parameters and one build thread: the same rows give the same index, so its recall is known.
PARAMS = {"ndim": DIMENSIONS, "metric": "cos", "connectivity": 16, "expansion_add": 128, "expansion_search": 64}


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


class Searcher:
    """The current index and the ids of its rows; swapped whole by a rebuild."""

    def __init__(self) -> None:
        self.index = Index(**PARAMS)
        self.ids: list[str] = []
        self._lock = threading.Lock()

    def load(self) -> bool:
        saved, ids = INDEX_DIR / "index.usearch", INDEX_DIR / "ids.json"
        if not (saved.is_file() and ids.is_file()):
            return False
        index = Index.restore(str(saved))
        if index is None:
            return False
        with self._lock:
            self.index, self.ids = index, json.loads(ids.read_text())
        return True

    def rebuild(self) -> int:
        with db.Pool(db.dsn(), size=1).connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT id, text FROM reference_claims ORDER BY id")
            rows = cur.fetchall()
            conn.rollback()
        index = Index(**PARAMS)
        if rows:
            vectors = np.array([embed(text) for _, text in rows], dtype=np.float32)
            index.add(np.arange(len(rows)), vectors, threads=1)
        ids = [row_id for row_id, _ in rows]
        INDEX_DIR.mkdir(parents=True, exist_ok=True)
        index.save(str(INDEX_DIR / "index.usearch.part"))
        (INDEX_DIR / "ids.json.part").write_text(json.dumps(ids))
        os.replace(INDEX_DIR / "index.usearch.part", INDEX_DIR / "index.usearch")
        os.replace(INDEX_DIR / "ids.json.part", INDEX_DIR / "ids.json")
        with self._lock:
            self.index, self.ids = index, ids
        return len(ids)

    def similar(self, text: str, k: int) -> list[dict[str, Any]]:
        with self._lock:
            index, ids = self.index, self.ids
        if not ids:
            return []
        found = index.search(np.array(embed(text), dtype=np.float32), min(k, len(ids)))
        return [
            {"id": ids[int(key)], "distance": round(float(distance), 6)}
            for key, distance in zip(found.keys, found.distances, strict=True)
        ]


class Handler(serving.JsonHandler):
    server_version = "drdrill-search/1"
    searcher: Searcher  # set on the class by main()

    def do_GET(self) -> None:  # noqa: N802 - http.server dispatches on this name
        if self.path == "/health":
            self.send_json(200, {"status": "ok", "indexed": len(self.searcher.ids)})
        else:
            self.send_json(404, {"error": f"unknown path {self.path}"})

    def do_POST(self) -> None:  # noqa: N802 - http.server dispatches on this name
        if self.path == "/rebuild":
            started = time.monotonic()
            try:
                rows = self.searcher.rebuild()
            except db.Error as exc:
                self.send_json(503, {"error": "database unavailable", "detail": str(exc).strip()[:500]})
                return
            took = round(time.monotonic() - started, 3)
            log("rebuilt", rows=rows, seconds=took)
            self.send_json(200, {"rows": rows, "seconds": took})
        elif self.path == "/similar":
            try:
                body = self.read_json()
                text, k = str(body["text"]), int(body.get("k", 10))
            except (ValueError, KeyError, TypeError) as exc:
                self.send_json(400, {"error": f"give {{'text': ..., 'k': ...}}: {exc}"})
                return
            self.send_json(200, {"results": self.searcher.similar(text, max(1, min(k, 100)))})
        else:
            self.send_json(404, {"error": f"unknown path {self.path}"})


def main() -> None:
    searcher = Searcher()
    if searcher.load():
        log("index_loaded", rows=len(searcher.ids))
    elif os.environ.get("BUILD_ON_START") == "1":
        db.with_retries(
            searcher.rebuild,
            attempts=int(os.environ.get("DB_START_ATTEMPTS", "300")),
            delay=0.2,
            on_error=lambda message: log("waiting_for_database", detail=message),
        )
        log("index_built", rows=len(searcher.ids))
    else:
        log("index_empty", waiting_for="POST /rebuild")
    Handler.searcher = searcher
    port = int(os.environ.get("PORT", "8090"))
    server = serving.Server(("0.0.0.0", port), Handler)
    log("listening", port=port)
    serving.serve_until_signalled(server)


if __name__ == "__main__":
    main()
