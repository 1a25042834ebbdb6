"""Exports carry forks: the importing node proves the same fork from the two events."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hearthnet.adapters.archive import export, read_raws
from hearthnet.adapters.crypto import blake3_256
from tests.conftest import open_log
from tests.factories import community

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_fork_survives_export_and_import(tmp_path: Path, fmt: str) -> None:
    founder, genesis = community()
    raws = [genesis, founder.event(), founder.event()]
    source = open_log(f"sqlite:///{tmp_path / 'a.sqlite'}")
    source.ingest(raws)
    source.ingest([founder.fork(2, blake3_256(genesis))])
    file = tmp_path / f"export.{fmt}"
    export(source, file, fmt)
    source.close()

    target = open_log(f"sqlite:///{tmp_path / 'b.sqlite'}")
    forks = []
    for batch in read_raws(file):
        forks += target.ingest(batch).forks
    assert [f.seq for f in forks] == [2]
    assert target.frozen_at(founder.key.public_key) == 2
    target.close()


def test_an_empty_log_exports_to_an_empty_parquet_file(tmp_path: Path) -> None:
    log = open_log(f"sqlite:///{tmp_path / 'a.sqlite'}")
    assert export(log, tmp_path / "empty.parquet", "parquet") == 0
    assert list(read_raws(tmp_path / "empty.parquet")) == []
    log.close()
