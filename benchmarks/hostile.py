"""An honest member's latency while a hostile member attacks: `python -m benchmarks.hostile [N]`.

A real `hearthnet run` anchor, an honest member and a hostile one. The honest member calls
`market.list` over loopback (signed, from 127.0.0.1) and the anchor's operator posts with
`market.post`; each is timed N times in quiet, then N times during a mixed attack from
another process on other loopback addresses: 1,000 sockets that never finish their headers
(kept open: reopened as the node drops them), early events from throwaway keys pushed by
the hostile member, and a flood of requests with forged signatures.

The node has its cores to itself; the honest member and the attacker (on a LAN, other
machines) share the last one, the attacker at the lowest priority so that its own busy loops
do not slow the honest member's client; both runs alike. Prints both p99s and the node's RSS
growth; the last line is the ratio of the p99s under attack and in quiet (goal: <= 2.0, RSS
growth <= 64 MiB).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import msgspec

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.adapters.http_access import RATE_PER_S
from hearthnet.adapters.http_bus import HttpBusRemote
from hearthnet.adapters.http_server import MAX_CONNECTIONS_PER_ADDRESS
from hearthnet.adapters.request_auth import sign_request
from hearthnet.domain.types import parse_node_id
from hearthnet.sync.protocol import Bundle
from tests.e2e.cluster import NodeProcess, cli, free_port, new_key, target_of
from tests.factories import Author

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event as EventType

SLOW_SOCKETS = 1000
ATTACKS = [a for a in os.environ.get("HEARTHNET_ATTACKS", "slow,forged,early").split(",") if a]
"""Which attacks run together (all by default); naming fewer shows what each one costs."""
SLOW_ADDRESSES = [f"127.0.1.{i}" for i in range(1, 1 + SLOW_SOCKETS // 50)]
FORGER_ADDRESSES = [f"127.0.2.{i}" for i in range(1, 5)]
PUSHER_ADDRESS = "127.0.3.1"


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Halt:
    """Tells the attack's loops when the honest run is over."""

    def __init__(self, event: EventType) -> None:
        self.event, self.now = event, False

    async def watch(self) -> None:
        while not self.event.is_set():
            await asyncio.sleep(0.1)
        self.now = True


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        await asyncio.wait_for(reader.read(1), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def _slow_sockets(port: int, stop: Halt) -> int:
    """Hold SLOW_SOCKETS connections that send half a request head, reopening dropped ones."""
    opened = 0

    async def hold(source: str) -> None:
        nonlocal opened
        while not stop.now:
            opened += 1
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(source, 0)
                )
                writer.write(b"POST /sync/v1/push HTTP/1.1\r\nHost: x\r\n")
                await writer.drain()
                while not stop.now and not await _closed_within(reader, 0.5):
                    pass
                writer.close()
            except (OSError, TimeoutError):
                await asyncio.sleep(0.2)

    per = min(MAX_CONNECTIONS_PER_ADDRESS, SLOW_SOCKETS // len(SLOW_ADDRESSES))
    await asyncio.gather(*(hold(a) for a in SLOW_ADDRESSES for _ in range(per)))
    return opened


async def _forged_flood(url: str, community: str, target: str, stop: Halt) -> int:
    """Requests whose signatures are forged, as fast as one connection per address allows."""
    sent = 0
    body = msgspec.json.encode({"input": {}})

    async def flood(source: str) -> None:
        nonlocal sent
        transport = httpx.AsyncHTTPTransport(local_address=source)
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            forger = NaclSigner.generate()
            while not stop.now:
                headers = sign_request(forger, community, target, "POST", "/bus/v1/call", body)
                headers["x-hearthnet-from"] = "ed25519:" + "A" * 43
                headers["x-hearthnet-capability"] = "market.list"
                try:
                    await client.post(url + "/bus/v1/call", content=body, headers=headers)
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
                sent += 1

    await asyncio.gather(*(flood(a) for a in FORGER_ADDRESSES))
    return sent


async def _early_events(
    url: str, member: NaclSigner, community: str, target: str, stop: Halt
) -> int:
    """The hostile member pushes runs of early events by throwaway keys."""
    pushed = 0
    key = parse_node_id(community)
    pad = msgspec.msgpack.encode("x" * 7000)
    transport = httpx.AsyncHTTPTransport(local_address=PUSHER_ADDRESS)
    async with httpx.AsyncClient(transport=transport, timeout=5) as client:
        while not stop.now:
            stranger = Author(NaclSigner.generate(), key, seq=1, prev=b"\x11" * 32)
            body = msgspec.msgpack.encode(Bundle(events=[stranger.event("x.flood", pad)] * 1))
            headers = sign_request(member, community, target, "POST", "/sync/v1/push", body)
            try:
                await client.post(url + "/sync/v1/push", content=body, headers=headers)
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
            pushed += 1
    return pushed


def _attack(
    url: str, port: int, member_key: bytes, community: str, target: str, done: EventType
) -> None:
    """The hostile side, in its own process, yielding the CPU to the honest member's."""
    os.nice(19)

    async def run() -> None:
        stop = Halt(done)
        member = NaclSigner(member_key)
        attacks = {
            "slow": lambda: _slow_sockets(port, stop),
            "forged": lambda: _forged_flood(url, community, target, stop),
            "early": lambda: _early_events(url, member, community, target, stop),
        }
        watching = asyncio.create_task(stop.watch())
        counts = await asyncio.gather(*(attacks[name]() for name in ATTACKS))
        await watching
        said = ", ".join(f"{n} {name}" for name, n in zip(ATTACKS, counts, strict=True))
        print(f"attacker sent: {said} (socket opens / forged requests / pushes)", flush=True)

    asyncio.run(run())


async def _honest(
    anchor: NodeProcess, member: NaclSigner, community: str, calls: int, tag: str
) -> tuple[list[float], list[float]]:
    """Time the member's remote market.list and the operator's local market.post."""
    token = (anchor.home / "admin.token").read_text()
    listing, posting = [], []
    async with httpx.AsyncClient(timeout=30) as client:
        remote = HttpBusRemote(anchor.url, member, community, client)
        for i in range(calls):
            started = time.perf_counter()
            await remote.call("market.list@1.0", {}, {"limit": 20})
            listing.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            response = await client.post(
                f"{anchor.url}/bus/v1/call/market.post",
                json={"input": {"client_id": f"{tag}{i}", "title": f"Post {i}"}},
                headers={"authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
            posting.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(2 / RATE_PER_S)
    return listing, posting


def main() -> None:
    """Quiet run, attacked run, figures; the last line is the p99 ratio."""
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with tempfile.TemporaryDirectory() as tmp:
        a_home = Path(tmp) / "anchor"
        b_home, c_home = Path(tmp) / "hostile", Path(tmp) / "honest"
        community = json.loads(cli(a_home, "init", "--name", "Bench", "--json").stdout)
        community_id = community["community_id"]
        anchor = NodeProcess(a_home, free_port(), "--no-discovery").start()
        try:
            for home in (b_home, c_home):
                link = cli(
                    a_home, "invite", "create", "--node-id", new_key(home), "--endpoint", anchor.url
                ).stdout.strip()
                cli(home, "join", link)
            seed = (b_home / "keys" / "device.ed25519").read_bytes()
            member = NaclSigner((c_home / "keys" / "device.ed25519").read_bytes())
            target = target_of(anchor.url)
            while (
                sum(m["level"] == "member" for m in anchor.call("community.members", {})["members"])
                < 2
            ):
                time.sleep(0.1)
            assert anchor.process is not None
            cores = sorted(os.sched_getaffinity(0))
            if len(cores) > 1:  # the node on its cores; the members' machines on the last
                os.sched_setaffinity(anchor.process.pid, set(cores[:-1]))
                os.sched_setaffinity(0, {cores[-1]})
            quiet = asyncio.run(_honest(anchor, member, community_id, calls, "q"))
            rss_before = _rss_mib(anchor.process.pid)
            spawn = multiprocessing.get_context("spawn")
            done = spawn.Event()
            attacker = spawn.Process(
                target=_attack, args=(anchor.url, anchor.port, seed, community_id, target, done)
            )
            attacker.start()
            time.sleep(8)  # the slow sockets are open, the floods running
            attacked = asyncio.run(_honest(anchor, member, community_id, calls, "a"))
            rss_after = _rss_mib(anchor.process.pid)
            done.set()
            attacker.join()
        finally:
            anchor.stop()
    base = max(_pct(quiet[0], 0.99), _pct(quiet[1], 0.99))
    under = max(_pct(attacked[0], 0.99), _pct(attacked[1], 0.99))
    print(
        f"quiet: market.list p99_ms={_pct(quiet[0], 0.99):.1f} "
        f"market.post p99_ms={_pct(quiet[1], 0.99):.1f} calls={calls}"
    )
    print(
        f"attacked ({SLOW_SOCKETS} slow sockets, early events from throwaway keys, forged "
        f"signatures): market.list p99_ms={_pct(attacked[0], 0.99):.1f} "
        f"market.post p99_ms={_pct(attacked[1], 0.99):.1f}"
    )
    print(f"node RSS growth under attack: {rss_after - rss_before:.1f} MiB")
    print(f"hostile_p99_ratio={under / base:.2f}")


if __name__ == "__main__":
    main()
