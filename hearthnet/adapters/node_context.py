"""What capability handlers see of a node (`services.context.NodeContext`), and running a
capability in-process on a data directory whose node is not running (for the CLI)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hearthnet.adapters.archive import event_row, stored_events
from hearthnet.adapters.audit import audit, check_event
from hearthnet.adapters.blob_store import open_store
from hearthnet.adapters.crypto import NaclSigner, verify_ed25519
from hearthnet.adapters.keyring import LocalKeyring
from hearthnet.adapters.keystore import backup_text
from hearthnet.adapters.log_writer import LogWriter
from hearthnet.adapters.node_files import NodeFiles
from hearthnet.adapters.view_reader import ViewReader
from hearthnet.domain.capability import BusError
from hearthnet.domain.types import node_id
from hearthnet.services.bus import Bus

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Iterable

    from hearthnet.adapters.event_log import EventLog
    from hearthnet.adapters.node_home import Node
    from hearthnet.domain.capability import Descriptor
    from hearthnet.domain.files import Files
    from hearthnet.domain.llm import LanguageModels
    from hearthnet.domain.ocr import Reader
    from hearthnet.domain.ports import Keyring, LanguageGuess, Verify
    from hearthnet.domain.rag import Library
    from hearthnet.domain.records import Recorded
    from hearthnet.domain.speech import Transcriber, Voice
    from hearthnet.domain.translation import Translator
    from hearthnet.services.bus import Capability, Remote


async def _no_peers() -> list[dict[str, Any]]:
    return []


async def _no_remotes(_: str) -> list[Remote]:
    return []


def _close(work: Coroutine[Any, Any, None]) -> None:
    work.close()


def _not_running(url: str) -> object:
    raise BusError("partition", f"the node is not running: start `hearthnet run` to add {url}")


@dataclass(kw_only=True)
class ServiceContext:
    """A node as its handlers see it: append with read-your-writes, views, the log for
    inspection and the peers."""

    me: str
    record: Callable[[str, bytes], Awaitable[Recorded]]
    refresh: Callable[[], Awaitable[None]]
    query: Callable[[str, dict[str, Any]], Awaitable[list[dict[str, Any]]]]
    capabilities: Callable[[], list[Descriptor]]
    status: Callable[[], dict[str, Any]]
    log: EventLog
    signer: NaclSigner
    keyring: Keyring
    endpoints: Callable[[], list[str]]
    offload: Callable[[Callable[[], Any]], Awaitable[Any]]
    """Runs blocking reads of the log on a thread the node waits for before closing."""
    peers: Callable[[], Awaitable[list[dict[str, Any]]]] = _no_peers
    add_peer: Callable[[str], object] = _not_running
    forget_peer: Callable[[str], bool] = _not_running  # type: ignore[assignment]
    unfolded: Callable[[], list[dict[str, Any]]] = list
    """The events a view could not fold, with the reason."""
    verify: Verify = verify_ed25519
    """The one Ed25519 verification policy."""
    files: Files | None = None
    """The node's chunk store and fetcher."""
    models: LanguageModels | None = None
    """The language and embedding models this node serves."""
    library: Library | None = None
    """The node's document index."""
    ocr: Reader | None = None
    """The node's OCR engine."""
    stt: Transcriber | None = None
    """The node's speech recognition."""
    tts: Voice | None = None
    """The node's speech synthesis."""
    translators: list[Translator] = field(default_factory=list)
    language_guess: LanguageGuess | None = None
    remotes: Callable[[str], Awaitable[list[Remote]]] = _no_remotes
    bus: Bus | None = None
    """The node's bus, for calls its handlers make as its operator."""
    later: Callable[[Coroutine[Any, Any, None]], None] = _close
    """Runs work in the background of the running node (elsewhere: not at all)."""
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def call(self, ref: str, input: dict[str, Any]) -> dict[str, Any]:
        """Call a capability as this node's operator; its output."""
        if self.bus is None:
            raise BusError("not_found", f"no capability {ref} here")
        output: dict[str, Any] = (await self.bus.call(ref, self.me, "self", {}, input))["output"]
        return output

    def serial(self, name: str) -> asyncio.Lock:
        """This node's lock for work done one at a time, by name."""
        return self._locks.setdefault(name, asyncio.Lock())

    def key_backup(self) -> str:
        """This node's key as a backup text."""
        return backup_text(self.signer)

    async def append(self, type_: str, body: bytes) -> Recorded:
        """Append an event of this node and return once the views hold it."""
        recorded = await self.record(type_, body)
        await self.refresh()
        return recorded

    async def events(self, since: int, limit: int) -> list[dict[str, Any]]:
        """Stored events after a local position, read off the event loop."""
        log = self.log

        def read() -> list[dict[str, Any]]:
            rows = []
            for position, raw in stored_events(log, since + 1):
                rows.append(event_row(position, raw, log.hash(raw)))
                if len(rows) == limit:
                    break
            return rows

        rows: list[dict[str, Any]] = await self.offload(read)
        return rows

    async def find_events(self, prefix: bytes) -> list[dict[str, Any]]:
        """Stored events whose id starts with prefix, each with its verification."""
        log = self.log

        def read() -> list[dict[str, Any]]:
            rows = []
            for raw in log.find(prefix):
                row = event_row(0, raw, log.hash(raw))
                del row["position"]
                rows.append({**row, "verification": check_event(log, raw)})
            return rows

        found: list[dict[str, Any]] = await self.offload(read)
        return found

    async def verify_log(self, progress: Callable[[int, int], None]) -> dict[str, Any]:
        """Audit every signature and chain of the log, reporting progress as it goes."""
        log = self.log

        def run() -> dict[str, Any]:
            total = log.recorder.max_notification_id() or 0
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                progress(min(done, total), total)

            report = audit(log, progress=advance)
            return {
                "unfolded": self.unfolded(),
                "events": report.events,
                "authors": report.authors,
                "fork_proofs": report.fork_proofs,
                "ok": not report.problems,
                "problems": [p.__dict__ for p in report.problems[:100]],
            }

        summary: dict[str, Any] = await self.offload(run)
        return summary


async def call_here(
    node: Node,
    capabilities: Iterable[Capability],
    ref: str,
    input: dict[str, Any],
    endpoints: list[str],
) -> dict[str, Any]:
    """Call a capability as this node's operator, in-process on a node that is not running:
    the same handler and input checks as on a running node. Returns its output."""
    signer = node.signer
    assert signer is not None
    writer = LogWriter(node.log)
    reader = ViewReader(node.home / "views.sqlite")

    async def record(type_: str, body: bytes) -> Recorded:
        return await writer.append(signer, type_, body)

    async def refresh() -> None:
        await asyncio.to_thread(node.views.catch_up)

    async def offload(fn: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(fn)

    await refresh()
    await reader.open()
    keyring = LocalKeyring(node.home, signer)
    store = open_store(node.home, node.config.files_quota_bytes, node.config.files_min_free_bytes)
    bus = Bus(list)
    me = node_id(signer.public_key)
    context = ServiceContext(
        me=me,
        record=record,
        refresh=refresh,
        query=reader.query,
        capabilities=bus.descriptors,
        status=lambda: {"node_id": me, "community": node.config.community},
        log=node.log,
        signer=signer,
        keyring=keyring,
        endpoints=lambda: endpoints,
        offload=offload,
        unfolded=node.views.unfolded,
        files=NodeFiles(store, None, lambda _: [], offload),
    )
    try:
        bus.serve(capabilities, context)
        answer = await bus.call(ref, me, "self", {}, input)
        output: dict[str, Any] = answer["output"]
        return output
    finally:
        keyring.close()
        store.close()
        await reader.close()
        await asyncio.to_thread(writer.close)
