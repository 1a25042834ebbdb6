"""Real `hearthnet run` processes on 127.0.0.1, and a cuttable proxy in front of each."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768 up): there, no outgoing connection of
    another test can take it between this check and the node binding it."""
    while True:
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def cli(home: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    """Run the hearthnet CLI on a data directory; check is the exit code expected (None: any)."""
    env = {**os.environ, "HEARTHNET_HOME": str(home), "COLUMNS": "200"}
    env.pop("HEARTHNET_STORE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "hearthnet", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    if check is not None:
        assert done.returncode == check, (args, done.returncode, done.stdout, done.stderr)
    return done


@contextlib.contextmanager
def following(home: Path) -> Iterator[Callable[[], dict[str, Any]]]:
    """Run `hearthnet log tail -f --json` on a home with events; yield a function reading its
    next new row."""
    env = {**os.environ, "HEARTHNET_HOME": str(home)}
    with subprocess.Popen(
        [sys.executable, "-m", "hearthnet", "log", "tail", "-n", "1", "-f", "--json"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as follower:
        assert follower.stdout is not None
        stdout = follower.stdout
        stdout.readline()  # the newest existing event: the follower is up and past it
        try:
            yield lambda: json.loads(stdout.readline())  # type: ignore[no-any-return]
        finally:
            follower.kill()


def target_of(url: str) -> str:
    """The node id a signed request to this node must name."""
    node: str = httpx.get(url + "/manifest", timeout=10).json()["node_id"]
    return node


def new_key(home: Path) -> str:
    """Create a node key in home and return the node id."""
    return str(json.loads(cli(home, "id", "--json").stdout)["node_id"])


class NodeProcess:
    """One `hearthnet run` process."""

    def __init__(self, home: Path, port: int, *extra: str) -> None:
        self.home, self.port, self.extra = home, port, extra
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[str] | None = None

    def start(self, *, onboarding: bool = False) -> NodeProcess:
        """Start and wait until it serves (and, unless onboarding, runs its community)."""
        env = {**os.environ, "HEARTHNET_HOME": str(self.home)}
        env.pop("HEARTHNET_STORE_URL", None)
        self.home.mkdir(parents=True, exist_ok=True)
        self.log = (self.home / "run.log").open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hearthnet", "run", "--port", str(self.port), *self.extra],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.home / "run.log").read_text())
            try:
                healthy = httpx.get(self.url + "/health", timeout=0.5).status_code == 200
                if healthy and (onboarding or (self.home / "node.json").exists()):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"node on {self.port} did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None
        self.log.close()

    def call(self, capability: str, data: dict[str, Any]) -> dict[str, Any]:
        """Call a capability on this node as the node itself; return its output."""
        token = (self.home / "admin.token").read_text()
        response = httpx.post(
            f"{self.url}/bus/v1/call/{capability}",
            json={"input": data},
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
        response.raise_for_status()
        output: dict[str, Any] = response.json()["output"]
        return output

    @property
    def node_id(self) -> str:
        """The running node's id."""
        return str(json.loads((self.home / "node.json").read_text())["node_id"])

    def stream(
        self, capability: str, data: dict[str, Any], params: dict[str, Any] | None = None
    ) -> Iterator[tuple[str, Any]]:
        """Stream a capability's frames from this node, called as the node itself."""
        token = (self.home / "admin.token").read_text()
        headers = {"authorization": f"Bearer {token}", "accept": "text/event-stream"}
        body = {"input": data, "params": params or {}}
        with httpx.stream(
            "POST", f"{self.url}/bus/v1/call/{capability}", json=body, headers=headers, timeout=120
        ) as response:
            assert response.status_code == 200, response.read()
            event = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    yield event, json.loads(line[6:])

    def peers(self) -> list[dict[str, Any]]:
        return json.loads(cli(self.home, "peers", "--json").stdout)  # type: ignore[no-any-return]


def keys_everywhere(nodes: Sequence[NodeProcess], timeout: float = 60.0) -> None:
    """Wait until every node holds every node's published keys: the one event a node writes
    by itself once it is a member, so that a test starts from a settled log."""
    ids = [n.call("node.status", {})["node_id"] for n in nodes]
    deadline = time.monotonic() + timeout
    for node in nodes:
        for who in ids:
            while True:
                try:
                    node.call("e2e.keys", {"node_id": who})
                    break
                except httpx.HTTPStatusError:
                    assert time.monotonic() < deadline, f"{node.url} never got {who}'s keys"
                    time.sleep(0.1)


class Proxy:
    """A TCP proxy in front of one node that can refuse callers by node id (a partition).

    The caller is read from the first request of each connection (X-HearthNet-From);
    cutting a caller off also closes its open connections."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.blocked: set[str] = set()
        self._conns: list[tuple[str, asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self._loop.run_forever()
        for _, a, b in self._conns:
            a.close()
            b.close()
        self._server.close()
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        caller = ""
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"x-hearthnet-from:"):
                caller = line.split(b":", 1)[1].strip().decode()
        if caller in self.blocked:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        except OSError:
            writer.close()
            return
        self._conns.append((caller, writer, up_writer))
        up_writer.write(head)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self, callers: set[str]) -> None:
        def apply() -> None:
            self.blocked = set(callers)
            for caller, a, b in self._conns:
                if caller in callers:
                    a.close()
                    b.close()

        self._loop.call_soon_threadsafe(apply)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def trust_root(founder: Path, key_file: Path) -> None:
    """Make a trust root key offline and declare it on the founder's node."""
    key = cli(founder, "role", "root", "init", "--key", str(key_file)).stdout.strip()
    cli(founder, "role", "root", "trust", key)


def give_role(
    home: Path,
    key_file: Path,
    holder: str,
    *severities: str,
    statuses: Sequence[str] = ("Actual", "Exercise", "Test"),
    role: str = "DE.NRW.Kleve.Issum.Feuerwehr.Wehrleiter",
) -> None:
    """Issue a certificate for the region DE.NRW.Kleve with the root's key; register it on home."""
    cert = key_file.with_name(f"cert-{holder[-8:]}.json")
    status_args = [arg for status in statuses for arg in ("--status", status)]
    severity_args = [arg for severity in severities for arg in ("--severity", severity)]
    cli(
        home,
        "role",
        "issue",
        "--key",
        str(key_file),
        "--holder",
        holder,
        "--role",
        role,
        "--region",
        "DE.NRW.Kleve",
        *severity_args,
        *status_args,
        "-o",
        str(cert),
    )
    cli(home, "role", "register", str(cert))


def until(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.2)
    return found


def community(
    tmp_path: Path, count: int, each: Sequence[dict[str, Any]] = (), **config: int
) -> list[NodeProcess]:
    """Start `count` nodes of one community, each reaching the first; wait until every node
    is connected to every other. `config` sets settings of every node, `each` node by node."""
    homes = [tmp_path / chr(ord("a") + i) for i in range(count)]
    cli(homes[0], "init", "--name", "Dateidorf")
    extra = ("--no-discovery", "--sync-interval", "2")
    first = NodeProcess(homes[0], free_port(), *extra).start()
    nodes = [first]
    for home in homes[1:]:
        link = cli(
            homes[0], "invite", "create", "--node-id", new_key(home), "--endpoint", first.url
        ).stdout.strip()
        cli(home, "join", link)
        nodes.append(NodeProcess(home, free_port(), *extra))
    for i, home in enumerate(homes):
        settings = (home / "config.toml").read_text()
        for name, value in {**config, **(each[i] if i < len(each) else {})}.items():
            line = f"{name} = {json.dumps(value)}"
            settings, found = re.subn(rf"(?m)^{name} = .*$", line, settings)
            settings += "" if found else line + "\n"
        (home / "config.toml").write_text(settings)
    first.stop()
    for node in nodes:
        node.start()
    for node in nodes:
        until(
            lambda n=node: sum(p["state"] == "connected" for p in n.peers()) == count - 1,
            f"{node.url} connected to every other node",
        )
    return nodes


def fetch_file(
    node: NodeProcess,
    data: dict[str, Any],
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Call file.get on a node as its operator; the `file` frame (AssertionError on error)."""
    result: dict[str, Any] = {}
    for event, frame in node.stream("file.get", data):
        assert event != "error", frame
        if event == "progress" and on_progress is not None:
            on_progress(frame)
        elif event == "file":
            result = frame
    assert result, "the stream ended without its file frame"
    return result


def has_keys(node: NodeProcess, who: str) -> bool:
    """Whether a node holds a member's published keys."""
    try:
        node.call("e2e.keys", {"node_id": who})
    except httpx.HTTPStatusError:
        return False
    return True
