"""Findings 3, 5, 7 and 8: throwaway identities, memory floods, unhandled 500s and sockets that
never finish."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import msgspec

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.adapters.http_server import HEADER_TIMEOUT_S, MAX_CONNECTIONS_PER_ADDRESS
from hearthnet.domain.types import parse_node_id
from tests.factories import Author

if TYPE_CHECKING:
    from tests.adversarial.conftest import Village


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_strangers_events_are_not_stored_and_early_events_stay_bounded(village: Village) -> None:
    community = parse_node_id(village.community)
    assert village.anchor.process is not None
    before = _rss_kib(village.anchor.process.pid)
    refused = 0
    for _ in range(40):  # 40 throwaway keys, each a run of early events: all refused
        stranger = Author(NaclSigner.generate(), community, seq=1, prev=b"\x11" * 32)
        batch = [stranger.event("x.flood", msgspec.msgpack.encode("y" * 7000)) for _ in range(7)]
        reply = village.push(batch)
        assert reply.stored == 0 and reply.waiting == 0
        refused += reply.rejected
    assert refused == 280
    feed = village.member_feed()
    feed.seq, feed.prev = feed.seq + 1, b"\x22" * 32  # the member's own gap: held back, bounded
    for _ in range(40):
        batch = [feed.event("x.flood", msgspec.msgpack.encode("z" * 7000)) for _ in range(7)]
        village.push(batch)
    grown_mib = (_rss_kib(village.anchor.process.pid) - before) / 1024
    assert grown_mib < 64, f"RSS grew by {grown_mib:.0f} MiB"
    stats = httpx.get(village.anchor.url + "/health").json()
    assert stats["ok"] is True


def test_bad_requests_get_clear_answers_never_500(village: Village) -> None:
    deep = b'{"input":' + b"[" * 5000 + b"]" * 5000 + b"}"
    nested = village.signed("/bus/v1/call", deep, **{"x-hearthnet-capability": "market.list"})
    assert (nested.status_code, nested.json()["error"]) == (400, "bad_request")
    token = (village.anchor.home / "admin.token").read_text()
    big = {"type": "x.note", "body_hex": "c5" + "00" * 9000}
    admin = httpx.post(
        village.anchor.url + "/admin/v1/append",
        json=big,
        headers={"authorization": f"Bearer {token}"},
    )
    assert admin.status_code in (400, 413)
    odd = httpx.get(
        village.anchor.url + "/admin/v1/stats",
        headers={"authorization": "Bearer t\u00f6ken".encode()},
    )
    assert (odd.status_code, odd.json()["error"]) == (401, "unauthorized")


def _connect(port: int, source: str) -> socket.socket:
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def _closed(s: socket.socket, within: float) -> bool:
    s.settimeout(within)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_slow_and_piled_up_sockets_are_dropped_and_members_still_served(
    village: Village,
) -> None:
    port = village.anchor.port
    slow = [_connect(port, "127.0.0.2") for _ in range(MAX_CONNECTIONS_PER_ADDRESS)]
    for s in slow:
        s.sendall(b"POST /sync/v1/push HTTP/1.1\r\nHost: x\r\n")  # and never the rest
    extra = _connect(port, "127.0.0.2")
    assert _closed(extra, 10.0), "an address over its cap is refused at once"
    assert village.bus("market.list", {}).status_code == 200, "other addresses still served"
    claimed = _connect(port, "127.0.0.3")
    claimed.sendall(b"POST /sync/v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
    claimed.settimeout(10)
    assert claimed.recv(64).startswith(b"HTTP/1.1 413")
    assert all(_closed(s, HEADER_TIMEOUT_S + 20) for s in slow), "slow headers time out"
    for s in [*slow, extra, claimed]:
        s.close()
