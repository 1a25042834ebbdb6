"""A sealed direct message against a plain one, end to end between two real nodes on
127.0.0.1: `python -m benchmarks.private [ROUNDS]`.

Plain: a `chat.message.sent` with a text body is appended on A (sign, commit, live push) and
timed until B's views hold it. Sealed: `chat.send` on A's bus (seal, sign, commit, live push)
timed until B's keyring holds the opened text. Rounds alternate, so both meet the same load.
The overhead is what a sealed body adds to its plaintext, padding aside.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import msgspec

from hearthnet.domain import chat, e2e
from hearthnet.domain.bodies import encode_body
from tests.e2e.cluster import NodeProcess, cli, free_port, keys_everywhere, new_key

TEXT = "Hast du morgen Zeit, beim Umzug zu helfen? Ab 10 Uhr vor dem Haus."


def _post(node: NodeProcess, path: str, body: object) -> dict[str, object]:
    token = (node.home / "admin.token").read_text()
    response = httpx.post(
        node.url + path, json=body, timeout=10, headers={"authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def _pair(tmp: Path) -> tuple[NodeProcess, NodeProcess, str, str]:
    homes = [tmp / "a", tmp / "b"]
    a_id = cli(homes[0], "init", "--name", "Privat", "--json").stdout
    a_id = msgspec.json.decode(a_id)["node_id"]
    a = NodeProcess(homes[0], free_port(), "--no-discovery", "--sync-interval", "5").start()
    b_id = new_key(homes[1])
    link = cli(homes[0], "invite", "create", "--node-id", b_id, "--endpoint", a.url).stdout
    cli(homes[1], "join", link.strip())
    b = NodeProcess(homes[1], free_port(), "--no-discovery", "--sync-interval", "5").start()
    keys_everywhere([a, b])
    return a, b, a_id, b_id


def _until(check: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> float:
    started = time.perf_counter()
    while not check.execute(sql, args).fetchone():
        if time.perf_counter() - started > 10:
            raise SystemExit(f"never arrived: {sql} {args}")
        time.sleep(0.0005)
    return time.perf_counter()


def _plain(a: NodeProcess, b_views: sqlite3.Connection, b_id: str) -> float:
    body = chat.MessageSent(client_id=uuid.uuid4().hex, recipient=b_id, body=TEXT)
    started = time.perf_counter()
    made = _post(
        a,
        "/admin/v1/append",
        {"type": chat.MESSAGE_SENT, "body_hex": encode_body(body).hex()},
    )
    arrived = _until(b_views, "SELECT 1 FROM messages WHERE event_id = ?", (made["event_id"],))
    return (arrived - started) * 1000


def _sealed(a: NodeProcess, b_keys: sqlite3.Connection, a_id: str, b_id: str) -> float:
    client_id = uuid.uuid4().hex
    started = time.perf_counter()
    _post(
        a,
        "/bus/v1/call/chat.send",
        {"input": {"client_id": client_id, "recipient": b_id, "body": TEXT}},
    )
    arrived = _until(
        b_keys,
        "SELECT 1 FROM bodies WHERE sender = ? AND client_id = ? AND payload IS NOT NULL",
        (a_id, client_id),
    )
    return (arrived - started) * 1000


def _overhead(a: NodeProcess, a_id: str) -> tuple[int, int]:
    """Bytes a sealed body adds to its text, padding aside: (A's first message, which opens
    the session, and the most of its later ones, sent once B had answered)."""
    views = sqlite3.connect(f"file:{a.home / 'views.sqlite'}?mode=ro", uri=True)
    rows = views.execute(
        "SELECT body FROM messages WHERE sender = ? ORDER BY lamport", (a_id,)
    ).fetchall()
    private = len(msgspec.msgpack.encode(chat.Private(text=TEXT)))
    padded = len(e2e.pad(msgspec.msgpack.encode(chat.Private(text=TEXT))))
    sizes = []
    for (raw,) in rows:
        body = msgspec.json.decode(raw, type=str | chat.Sealed)
        if isinstance(body, chat.Sealed):
            sizes.append(len(msgspec.msgpack.encode(body)) - padded + private - len(TEXT.encode()))
    return sizes[0], max(sizes[1:])


def main() -> None:
    """Print p50s, their ratio and the overhead; the last line is the latency ratio."""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    with tempfile.TemporaryDirectory() as tmp:
        a, b, a_id, b_id = _pair(Path(tmp))
        try:
            b_views = sqlite3.connect(f"file:{b.home / 'views.sqlite'}?mode=ro", uri=True)
            b_keys = sqlite3.connect(f"file:{b.home / 'keys' / 'e2e.sqlite'}?mode=ro", uri=True)
            plain, sealed = [], []
            _sealed(a, b_keys, a_id, b_id)  # the first message opens the session,
            a_keys = sqlite3.connect(f"file:{a.home / 'keys' / 'e2e.sqlite'}?mode=ro", uri=True)
            _sealed(b, a_keys, b_id, a_id)  # and the answer completes it
            for _ in range(rounds):
                plain.append(_plain(a, b_views, b_id))
                sealed.append(_sealed(a, b_keys, a_id, b_id))
            first, later = _overhead(a, a_id)
        finally:
            a.stop()
            b.stop()
    p50_plain, p50_sealed = statistics.median(plain), statistics.median(sealed)
    print(f"rounds={rounds} plain_p50_ms={p50_plain:.1f} sealed_p50_ms={p50_sealed:.1f}")
    print(f"overhead_bytes_first={first} overhead_bytes={later} padded_sizes={e2e.PADDED_SIZES}")
    print(f"private_latency_ratio={p50_sealed / p50_plain:.2f}")


if __name__ == "__main__":
    main()
