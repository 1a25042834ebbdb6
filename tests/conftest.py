"""Shared fixtures: real SQLite files, the PostgreSQL server the test command started."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.store import open_recorder

if TYPE_CHECKING:
    from collections.abc import Iterator

VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'log.sqlite'}"


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("HEARTHNET_TEST_PG_URL")
    if not url:
        pytest.fail("HEARTHNET_TEST_PG_URL is not set: run the suite with `bash scripts/test`")
    return url


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh database on the test server for one test, dropped after it."""
    name = f"hn_{uuid.uuid4().hex[:12]}"
    admin = pg_server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_server_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def open_log(url: str, community: bytes | None = None) -> EventLog:
    """Open an event log on a store URL with the real verifier and hash."""
    return EventLog(open_recorder(url), verify_ed25519, blake3_256, community=community)
