"""The command line as an operator uses it: real processes on real data directories."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from benchmarks.corpus import write_jsonl
from hearthnet.adapters.crypto import verify_ed25519
from hearthnet.domain.invite import check_invite, parse_invite
from tests.e2e.cluster import cli as hn
from tests.e2e.cluster import following
from tests.factories import signer

if TYPE_CHECKING:
    from pathlib import Path

INVITEE = "ed25519:" + "A" * 42 + "E"  # 32 zero-ish bytes in base64url
BOB = signer(42)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "node"
    out = json.loads(hn(h, "init", "--name", "Hof Süd", "--json").stdout)
    assert out["node_id"] == out["community_id"] and out["community_name"] == "Hof Süd"
    return h


def _bob_id() -> str:
    from hearthnet.domain.types import node_id

    return node_id(BOB.public_key)


def test_init_creates_a_private_key_and_a_clean_log(home: Path) -> None:
    key = home / "keys" / "device.ed25519"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
    assert "clean" in hn(home, "log", "verify").stdout
    again = hn(home, "init", "--name", "Other", check=1)
    assert "already belongs" in again.stderr
    assert hn(home, "init", check=2).returncode == 2


def test_tampering_with_one_byte_makes_verify_exit_4_and_name_the_event(home: Path) -> None:
    hn(home, "invite", "create", "--node-id", _bob_id())
    target = json.loads(hn(home, "log", "tail", "-n", "1", "--json").stdout)
    db = home / "log.sqlite"
    with sqlite3.connect(db) as conn:
        (raw,) = conn.execute(
            "SELECT state FROM hearthnet_events WHERE originator_version=2"
        ).fetchone()
    conn.close()
    data = db.read_bytes()
    at = data.find(raw)
    assert at > 0, "the event's bytes must be in the database file"
    spot = at + raw.rfind(b"member")
    db.write_bytes(data[:spot] + b"n" + data[spot + 1 :])
    done = hn(home, "log", "verify", "--json", check=4)
    report = json.loads(done.stdout)
    assert report["ok"] is False
    problems = report["details"]
    assert any(
        p["seq"] == 2
        and p["position"] == 2
        and p["problem"] == "invalid signature"
        and p["author"] == target["author"]
        and p["event_id"] == target["id"]
        for p in problems
    ), problems
    assert any("no longer match the recorded id" in p["problem"] for p in problems)
    human = hn(home, "log", "verify", check=4).stdout
    assert "invalid signature" in human and "problems" in human


def test_invite_link_is_signed_expiring_and_for_the_invitee(home: Path) -> None:
    out = json.loads(
        hn(
            home,
            "invite",
            "create",
            "--node-id",
            _bob_id(),
            "--level",
            "trusted",
            "--ttl",
            "2",
            "--json",
        ).stdout
    )
    invite = parse_invite(out["link"])
    assert invite.initial_level == "trusted" and invite.invite_event_id == out["event_id"]
    check_invite(invite, verify_ed25519, _bob_id(), datetime.now(UTC))
    tail = json.loads(hn(home, "log", "tail", "-n", "1", "--json").stdout)
    assert tail["type"] == "community.member.invited" and tail["id"] == out["event_id"]
    members = json.loads(
        hn(home, "log", "query", "select invitee, status from invites", "--json").stdout
    )
    assert members == [{"invitee": _bob_id(), "status": "pending"}]
    bad = hn(home, "invite", "create", "--node-id", "ed25519:nope", check=2)
    assert "node id" in bad.stderr
    assert hn(home, "invite", "create", "--node-id", _bob_id(), "--ttl", "-1", check=2)


def test_commands_without_a_community_fail_clearly(tmp_path: Path) -> None:
    done = hn(tmp_path / "empty", "invite", "create", "--node-id", _bob_id(), check=1)
    assert "no community" in done.stderr
    assert hn(tmp_path / "empty", "log", "verify").returncode == 0


def test_tail_show_filters_and_follow(home: Path) -> None:
    for _ in range(3):
        hn(home, "invite", "create", "--node-id", _bob_id())
    rows = [json.loads(x) for x in hn(home, "log", "tail", "-n", "2", "--json").stdout.splitlines()]
    assert [r["seq"] for r in rows] == [3, 4]
    only = hn(home, "log", "tail", "--type", "community.created", "--json").stdout.splitlines()
    assert len(only) == 1 and json.loads(only[0])["seq"] == 1
    assert hn(home, "log", "tail", "--author", _bob_id(), "--json").stdout == ""
    assert hn(home, "log", "tail", "--author", "bogus", check=2)
    shown = json.loads(hn(home, "log", "show", rows[0]["id"][:10], "--json").stdout)
    assert shown["verification"] == {"canonical": True, "signature": True, "chain": True}
    assert shown["body"]["invitee_node_id"] == _bob_id()
    assert hn(home, "log", "show", "00000000", check=1)
    assert hn(home, "log", "show", "xyz", check=2)

    with following(home) as next_row:
        started = time.monotonic()
        made = json.loads(hn(home, "invite", "create", "--node-id", _bob_id(), "--json").stdout)
        row = next_row()
    assert row["id"] == made["event_id"]
    assert time.monotonic() - started < 30  # shown while following


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export_import_round_trip(home: Path, tmp_path: Path, fmt: str) -> None:
    hn(home, "invite", "create", "--node-id", _bob_id())
    file = tmp_path / f"log.{fmt}"
    assert (
        json.loads(hn(home, "log", "export", "--format", fmt, str(file), "--json").stdout)["events"]
        == 2
    )
    fresh = tmp_path / "fresh"
    first = json.loads(hn(fresh, "log", "import", str(file), "--json").stdout)
    assert first["stored"] == 2 and first["rejected"] == 0
    second = json.loads(hn(fresh, "log", "import", str(file), "--json").stdout)
    assert second["stored"] == 0 and second["duplicates"] == 2
    a = json.loads(hn(home, "log", "replay", "--json").stdout)["digests"]
    b = json.loads(hn(fresh, "log", "replay", "--json").stdout)["digests"]
    assert a == b


def test_import_verifies_everything_and_loses_nothing(home: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    write_jsonl(300, corpus)
    lines = corpus.read_text().splitlines()
    forged = json.loads(lines[-1])
    raw = bytearray(__import__("base64").urlsafe_b64decode(forged["raw"] + "=="))
    raw[-3] ^= 0x55
    forged["raw"] = __import__("base64").urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    bad_file = tmp_path / "bad.jsonl"
    bad_file.write_text("\n".join([*lines[:-1], json.dumps(forged)]) + "\n")
    fresh = tmp_path / "fresh"
    done = json.loads(hn(fresh, "log", "import", str(bad_file), "--json", check=4).stdout)
    assert done["stored"] == 299 and done["rejected"] == 1
    assert done["details"][0]["reason"] == "invalid signature"
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("this is not json\n")
    assert "not a HearthNet" in hn(fresh, "log", "import", str(garbage), check=1).stderr
    stats = json.loads(hn(fresh, "log", "stats", "--json").stdout)
    assert stats["events"] == 299 and stats["authors"] == 8
    assert hn(fresh, "log", "verify").returncode == 0
    assert hn(fresh, "log", "import", str(tmp_path / "missing.jsonl"), check=2)


def test_query_and_replay(home: Path) -> None:
    rows = json.loads(
        hn(
            home, "log", "query", "select type, count(*) as n from events group by type", "--json"
        ).stdout
    )
    assert rows == [{"type": "community.created", "n": 1}]
    members = json.loads(hn(home, "log", "query", "select level from members", "--json").stdout)
    assert members == [{"level": "anchor"}]
    assert "query failed" in hn(home, "log", "query", "selec nothing", check=1).stderr
    replay = json.loads(hn(home, "log", "replay", "--projection", "feeds", "--json").stdout)
    assert replay["events"] == 1 and set(replay["digests"]) == {"feeds"}
    assert hn(home, "log", "replay", "--projection", "nope", check=2)


def test_a_corrupted_database_is_a_clear_error(home: Path) -> None:
    (home / "log.sqlite").write_bytes(b"this is not a database" * 100)
    done = hn(home, "log", "verify", check=1)
    assert "error" in done.stderr


def test_a_founder_has_a_name_and_can_change_it(tmp_path: Path) -> None:
    h = tmp_path / "named"
    hn(h, "init", "--name", "Hof Nord", "--display-name", "Greta", "--json")
    [me] = json.loads(hn(h, "member", "list", "--json").stdout)
    assert me["display_name"] == "Greta"
    assert hn(h, "member", "name", "Greta M.").stdout.strip() == "Greta M."
    [me] = json.loads(hn(h, "member", "list", "--json").stdout)
    assert me["display_name"] == "Greta M."
    refused = hn(h, "member", "name", "   ", check=2)
    assert "1 to 64 characters" in refused.stderr


def test_a_link_without_an_address_is_refused_or_warned_before_it_is_handed_on(home: Path) -> None:
    refused = hn(home, "invite", "create", check=2)
    assert "no address where the link's holder can reach this node" in refused.stderr
    assert refused.stdout == "", "no link printed"
    named = hn(home, "invite", "create", "--node-id", INVITEE)
    assert named.stdout.startswith("hearthnet://v1/")
    assert "names no address" in named.stderr


def test_a_peer_is_forgotten_from_the_config(home: Path) -> None:
    hn(home, "peer", "add", "http://127.0.0.1:9")
    assert "http://127.0.0.1:9" in (home / "config.toml").read_text()
    assert hn(home, "peer", "forget", "http://127.0.0.1:9").stdout.startswith("forgotten")
    assert "http://127.0.0.1:9" not in (home / "config.toml").read_text()
    unknown = hn(home, "peer", "forget", "http://127.0.0.1:9", check=1)
    assert "is not a peer of this node" in unknown.stderr


def test_the_ai_commands_say_what_is_wrong(home: Path, tmp_path: Path) -> None:
    stopped = hn(home, "ask", "Where are the sandbags?", check=None)
    assert stopped.returncode != 0 and "hearthnet run" in stopped.stderr
    assert "--corpus" in hn(home, "rag", "query", "pumps", check=2).stderr
    assert hn(home, "rag", "ingest", str(tmp_path / "missing.pdf"), "--corpus", "c", check=2)
    assert hn(home, "ask", "x", "--max-tokens", "0", check=2)
    assert hn(home, "rag", "query", "x", "--corpus", "c", "-k", "99", check=2)
