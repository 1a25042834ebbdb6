"""The node's document index (`domain.rag.Library`): the text of stored files, and their
passages' vectors in DuckDB (`rag.duckdb` in the data directory).

A search loads a corpus's vectors once into one matrix (float32, normalised) and ranks every
passage by a single matrix-vector product, then reads the text of the best k from DuckDB;
adding to a corpus drops its matrix. DuckDB and the search run on one thread of their own;
nothing of it runs on the event loop.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from hearthnet.adapters.documents import MAX_DOCUMENT_BYTES, Unreadable, media_type_of, read_pages
from hearthnet.domain.capability import BusError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from hearthnet.adapters.blob_store import BlobStore
    from hearthnet.domain.rag import Passage

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    corpus VARCHAR, doc_cid VARCHAR, title VARCHAR, model VARCHAR, dim INTEGER,
    PRIMARY KEY (corpus, doc_cid));
CREATE TABLE IF NOT EXISTS passages (
    corpus VARCHAR, doc_cid VARCHAR, chunk INTEGER, page INTEGER, text VARCHAR,
    model VARCHAR, embedding FLOAT[]);
"""


class NodeLibrary:
    """Stored files read as documents, and the index of their passages."""

    def __init__(self, path: Path, store: BlobStore) -> None:
        self.path, self.store = path, store
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="library")
        self._db: duckdb.DuckDBPyConnection | None = None
        self._matrices: dict[tuple[str, str], tuple[np.ndarray, list[str], np.ndarray]] = {}
        """(corpus, model) -> (vectors, each row's document, each row's passage number)."""

    def _run(self, fn: Callable[[duckdb.DuckDBPyConnection], Any]) -> asyncio.Future[Any]:
        def opened() -> Any:
            if self._db is None:
                self._db = duckdb.connect(str(self.path))
                self._db.execute(SCHEMA)
            return fn(self._db)

        return asyncio.get_running_loop().run_in_executor(self._thread, opened)

    async def read(self, doc_cid: str, media_type: str) -> tuple[str, list[str]]:
        """(title, the text of each page) of a whole stored file."""

        def read() -> tuple[str, list[str]]:
            stored, manifest = self.store.file(doc_cid), self.store.manifest(doc_cid)
            if stored is None or manifest is None or not stored.complete:
                raise BusError("not_found", f"{doc_cid} is not held whole here")
            if stored.size_bytes > MAX_DOCUMENT_BYTES:
                raise BusError("bad_request", f"documents are at most {MAX_DOCUMENT_BYTES} bytes")
            data = b"".join(self.store.read_chunk(h) for h in manifest.chunks)
            try:
                title, pages = read_pages(data, media_type_of(stored.name, media_type))
            except Unreadable as exc:
                raise BusError("bad_request", f"{stored.name or doc_cid}: {exc}") from None
            return title or stored.name, pages

        return await asyncio.get_running_loop().run_in_executor(self._thread, read)

    async def indexed(self) -> dict[tuple[str, str], str]:
        """(corpus, document) -> the embedding model of its passages."""
        rows = await self._run(
            lambda db: db.execute("SELECT corpus, doc_cid, model FROM documents").fetchall()
        )
        return {(r[0], r[1]): r[2] for r in rows}

    async def add(
        self,
        corpus: str,
        doc_cid: str,
        title: str,
        model: str,
        found: list[Passage],
        vectors: list[list[float]],
    ) -> None:
        """Index a document's passages, replacing what it had, in one transaction."""
        table = pa.table(
            {
                "corpus": [corpus] * len(found),
                "doc_cid": [doc_cid] * len(found),
                "chunk": [p.number for p in found],
                "page": [p.page for p in found],
                "text": [p.text for p in found],
                "model": [model] * len(found),
                "embedding": pa.array(vectors, pa.list_(pa.float32())),
            }
        )
        dim = len(vectors[0]) if vectors else 0

        def write(db: duckdb.DuckDBPyConnection) -> None:
            for key in [k for k in self._matrices if k[0] == corpus]:
                del self._matrices[key]
            db.execute("BEGIN")
            try:
                db.execute(
                    "DELETE FROM passages WHERE corpus = ? AND doc_cid = ?", [corpus, doc_cid]
                )
                db.register("incoming", table)
                db.execute("INSERT INTO passages SELECT * FROM incoming")
                db.unregister("incoming")
                db.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
                    [corpus, doc_cid, title, model, dim],
                )
                db.execute("COMMIT")
            except Exception:
                db.execute("ROLLBACK")
                raise

        await self._run(write)

    async def search(
        self, corpus: str, model: str, vector: list[float], k: int
    ) -> list[dict[str, Any]]:
        """The k passages of the corpus nearest to the vector, best first."""
        asked = np.asarray(vector, dtype=np.float32)
        asked /= max(float(np.linalg.norm(asked)), 1e-12)

        def search(db: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
            matrix, docs, chunks = self._matrix(db, corpus, model)
            if not len(docs) or matrix.shape[1] != asked.shape[0]:
                return []
            scores = matrix @ asked
            best = np.argpartition(-scores, min(k, len(docs)) - 1)[:k]
            best = best[np.argsort(-scores[best])]
            found = []
            for i in best:
                row = db.execute(
                    "SELECT p.text, d.title, p.page FROM passages p JOIN documents d "
                    "USING (corpus, doc_cid) WHERE p.corpus = ? AND p.doc_cid = ? AND p.chunk = ?",
                    [corpus, docs[i], int(chunks[i])],
                ).fetchone()
                if row is None:
                    continue
                text, title, page = row
                found.append(
                    {"score": float(scores[i]), "text": text, "doc_cid": docs[i], "title": title}
                    | {"page": page, "chunk": int(chunks[i])}
                )
            return found

        found: list[dict[str, Any]] = await self._run(search)
        return found

    def _matrix(
        self, db: duckdb.DuckDBPyConnection, corpus: str, model: str
    ) -> tuple[np.ndarray, list[str], np.ndarray]:
        """A corpus's vectors in one matrix, rows normalised (loaded on first use)."""
        key = (corpus, model)
        if key not in self._matrices:
            table: pa.Table = db.sql(
                "SELECT doc_cid, chunk, embedding FROM passages WHERE corpus = $corpus "
                "AND model = $model",
                params={"corpus": corpus, "model": model},
            ).to_arrow_table()
            vectors = table.column("embedding").combine_chunks()
            rows = len(vectors)
            flat = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
            matrix = flat.reshape(rows, -1) if rows else np.zeros((0, 0), np.float32)
            if rows:
                matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            docs = table.column("doc_cid").to_pylist()
            chunks = table.column("chunk").to_numpy()
            self._matrices[key] = (matrix, docs, chunks)
        return self._matrices[key]

    def close(self) -> None:
        """Let the running statement end and close the database."""
        self._thread.shutdown(wait=True, cancel_futures=True)
        if self._db is not None:
            self._db.close()
