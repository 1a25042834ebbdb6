"""The single writer of a running node: a thread that commits whatever queued, in groups.

asyncio callers hand it checked events and local appends; it drains its queue and commits
in one transaction whatever piled up while the previous commit ran (up to a thousand
events): an idle node commits at once, a busy one in groups.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from typing import TYPE_CHECKING, NamedTuple

from hearthnet.adapters.placement import Minting

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hearthnet.adapters.event_log import EventLog, IngestReport
    from hearthnet.adapters.verification import Checked
    from hearthnet.domain.ports import Signer
    from hearthnet.domain.records import Recorded

_STOP = object()


class LogWriter:
    """The single writer thread of a running node, committing in groups."""

    def __init__(self, log: EventLog, *, max_batch: int = 1000) -> None:
        self.log = log
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._max_batch = max_batch
        self._thread = threading.Thread(target=self._run, name="hearthnet-writer", daemon=True)
        self._thread.start()

    async def ingest(self, raws: Sequence[bytes], proofs: Sequence[bytes] = ()) -> IngestReport:
        """Verify events and fork proofs off the event loop, then hand them to the writer."""
        good, bad = await asyncio.to_thread(self.log.check, raws)
        good.sort(key=lambda c: c.event.lamport)  # predecessors first: less buffering
        good_proofs, bad_proofs = await asyncio.to_thread(self.log.check_proofs, proofs)
        fut: concurrent.futures.Future[IngestReport] = concurrent.futures.Future()
        self._queue.put(_Job(good, None, fut, good_proofs))
        report = await asyncio.wrap_future(fut)
        report.rejected[:0] = bad + bad_proofs
        report.invalid = len(bad) + len(bad_proofs)
        return report

    async def append(self, signer: Signer, type: str, body: bytes) -> Recorded:
        """Mint, sign and durably store a local event; return it once committed."""
        return await asyncio.wrap_future(self.submit_local(signer, type, body))

    def submit(self, checked: Sequence[Checked]) -> concurrent.futures.Future[IngestReport]:
        """Queue verified events for the next group commit."""
        fut: concurrent.futures.Future[IngestReport] = concurrent.futures.Future()
        self._queue.put(_Job(list(checked), None, fut, []))
        return fut

    def submit_local(
        self, signer: Signer, type: str, body: bytes
    ) -> concurrent.futures.Future[Recorded]:
        """Queue a local event for the next group commit."""
        fut: concurrent.futures.Future[Recorded] = concurrent.futures.Future()
        self._queue.put(_Job([], Minting(signer, type, body, fut), None, []))
        return fut

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            jobs: list[_Job] = []
            size, item = 0, self._queue.get()
            while True:  # take what queued while the last commit ran: no waiting when idle
                if item is _STOP:
                    stop = True
                    break
                assert isinstance(item, _Job)
                jobs.append(item)
                size += len(item.checked) + 1
                if size >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if jobs:
                self._commit(jobs)

    def _commit(self, jobs: list[_Job]) -> None:
        checked = [c for job in jobs for c in job.checked]
        mints = [job.mint for job in jobs if job.mint is not None]
        proofs = [p for job in jobs for p in job.proofs]
        try:
            report = self.log.write(checked, mints, proofs)
        except Exception as exc:  # every waiter hears of it; the writer thread lives on
            for job in jobs:
                future = job.report if job.mint is None else job.mint.future
                if future is not None and not future.done():
                    future.set_exception(exc)
            return
        ingests = [(job, job.report) for job in jobs if job.report is not None]
        if not ingests:  # only local appends: each has its result already
            return
        submitted = {c.id for job in jobs for c in job.checked}
        minted = {
            m.future.result().id for m in mints if m.future.done() and not m.future.exception()
        }
        released = {r.id for r in report.stored} - submitted - minted  # waited for this batch
        for job, answer in ingests:
            ids = {c.id for c in job.checked} | {p[1].id for p in job.proofs} | released
            released = set()
            answer.set_result(report.only(ids))


class _Job(NamedTuple):
    checked: list[Checked]
    mint: Minting | None
    report: concurrent.futures.Future[IngestReport] | None
    proofs: list[tuple[Checked, Checked, int]]
