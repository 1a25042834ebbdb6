"""Range-based set reconciliation in the negentropy protocol v1 wire format.

Items are (timestamp, 32-byte id), ordered by timestamp, then id; we use the Lamport value as
the timestamp. A message is the version byte 0x61 and a run of adjacent ranges, each an
exclusive upper bound, a mode and its payload: Skip, a 16-byte Fingerprint, or an IdList.
A differing fingerprint is split into 16 buckets, or sent as an IdList below 32 items. The
initiator that receives an IdList learns which ids only it has and which only the other has;
a responder that receives one answers with its own IdList of that range, as the reference
implementation does, so the initiator learns every difference from the replies alone (our
own sessions may ask for the compact form instead: see `echo_id_lists`).
When a reply would pass the frame size limit, the rest is folded into one fingerprint.
Incoming messages are limited only by the transport's frame cap.
"""

from __future__ import annotations

import bisect
import hashlib
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable

PROTOCOL_VERSION = 0x61
ID_SIZE = 32
FINGERPRINT_SIZE = 16
INFINITY = 2**64 - 1
BUCKETS = 16
MIN_FRAME = 4096
SKIP, FINGERPRINT, ID_LIST = 0, 1, 2
_MOD = 2**256


class NegentropyError(ValueError):
    """A message that does not follow the protocol."""


class Bound(NamedTuple):
    """An exclusive range bound: a timestamp and an id prefix (shorter sorts first)."""

    timestamp: int
    id: bytes = b""


class Storage:
    """A sealed, sorted set of (timestamp, id) items with O(1) range fingerprints."""

    def __init__(self, items: Iterable[tuple[int, bytes]]) -> None:
        self.items = sorted(set(items))
        for ts, i in self.items:
            if len(i) != ID_SIZE or not 0 <= ts < INFINITY:
                raise ValueError("items are (timestamp < 2**64 - 1, 32-byte id)")
        self._sums = [0]
        total = 0
        for _, i in self.items:
            total = (total + int.from_bytes(i, "little")) % _MOD
            self._sums.append(total)

    def __len__(self) -> int:
        return len(self.items)

    def lower_bound(self, begin: int, bound: Bound) -> int:
        """Return the first index at or after begin whose item is not below bound."""
        return bisect.bisect_left(self.items, (bound.timestamp, bound.id), lo=begin)

    def fingerprint(self, begin: int, end: int) -> bytes:
        """SHA-256 of the ids' sum mod 2**256 (little-endian) and the count, first 16 bytes."""
        total = (self._sums[end] - self._sums[begin]) % _MOD
        payload = total.to_bytes(32, "little") + encode_varint(end - begin)
        return hashlib.sha256(payload).digest()[:FINGERPRINT_SIZE]


def encode_varint(n: int) -> bytes:
    """Unsigned base-128, most significant group first, high bit on all but the last byte."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def more(self) -> bool:
        return self.at < len(self.data)

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise NegentropyError("message ends prematurely")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def varint(self) -> int:
        n = 0
        for _ in range(10):
            byte = self.take(1)[0]
            n = (n << 7) | (byte & 0x7F)
            if not byte & 0x80:
                return n
        raise NegentropyError("varint longer than 64 bits")


class Reconciliation(NamedTuple):
    """One step's outcome: the reply (None when done) and what the step revealed."""

    reply: bytes | None
    have: list[bytes]
    """Ids only this side holds (the other side lacks them)."""
    need: list[bytes]
    """Ids only the other side holds."""


class Negentropy:
    """One party of a reconciliation over a sealed Storage."""

    def __init__(
        self, storage: Storage, frame_size_limit: int = 60_000, *, echo_id_lists: bool = True
    ) -> None:
        if frame_size_limit < MIN_FRAME:
            raise ValueError(f"the frame size limit must be at least {MIN_FRAME} bytes")
        self.storage = storage
        self.frame_size_limit = frame_size_limit
        self._last_in = 0
        self._last_out = 0
        self._initiator = False
        self.echo_id_lists = echo_id_lists
        """As responder, answer an IdList with ours (the reference's way). Without it, the
        responder reports the differences itself and sends nothing for that range: our own
        sessions carry them as short key prefixes beside the message, a fifth of the bytes."""

    def initiate(self) -> bytes:
        """Return the opening message: fingerprints (or ids) over the whole set."""
        self._initiator = True
        self._last_out = 0
        out = bytearray([PROTOCOL_VERSION])
        self._split(0, len(self.storage), Bound(INFINITY), out)
        return bytes(out)

    def reconcile(self, message: bytes) -> Reconciliation:
        """Answer a message; the reply is None when nothing is left to say."""
        query = _Reader(message)
        self._last_in = self._last_out = 0
        version = query.take(1)[0]
        if not 0x60 <= version <= 0x6F:
            raise NegentropyError(f"not a negentropy message (version byte {version:#x})")
        if version != PROTOCOL_VERSION:
            return Reconciliation(bytes([PROTOCOL_VERSION]), [], [])
        have, need = list[bytes](), list[bytes]()
        full = bytearray([PROTOCOL_VERSION])
        size = len(self.storage)
        prev_bound, prev_index, skip = Bound(0), 0, False
        while query.more():
            out = bytearray()
            bound = self._decode_bound(query)
            if bound < prev_bound:
                raise NegentropyError("ranges must ascend")
            mode = query.varint()
            lower = prev_index
            upper = self.storage.lower_bound(prev_index, bound)
            if mode == SKIP:
                skip = True
            elif mode == FINGERPRINT:
                theirs = query.take(FINGERPRINT_SIZE)
                if theirs == self.storage.fingerprint(lower, upper):
                    skip = True
                else:
                    if skip:
                        skip = False
                        out += self._encode_bound(prev_bound) + encode_varint(SKIP)
                    self._split(lower, upper, bound, out)
            elif mode == ID_LIST:
                count = query.varint()
                if count * ID_SIZE > len(message):
                    raise NegentropyError("id list longer than the message")
                their_ids = {query.take(ID_SIZE) for _ in range(count)}
                if not self._initiator and self.echo_id_lists:
                    if skip:
                        skip = False
                        out += self._encode_bound(prev_bound) + encode_varint(SKIP)
                    end = self._answer_ids(lower, upper, bound, len(full), out)
                    if end != upper:
                        full += out
                        rest = self.storage.fingerprint(end, size)
                        full += self._encode_bound(Bound(INFINITY)) + encode_varint(FINGERPRINT)
                        full += rest
                        break
                else:
                    skip = True
                    self._diff(lower, upper, their_ids, have, need)
            else:
                raise NegentropyError(f"unknown range mode {mode}")
            if len(full) + len(out) > self.frame_size_limit - 200:
                rest = self.storage.fingerprint(upper, size)
                full += self._encode_bound(Bound(INFINITY)) + encode_varint(FINGERPRINT) + rest
                break
            full += out
            prev_index, prev_bound = upper, bound
        return Reconciliation(bytes(full) if len(full) > 1 else None, have, need)

    def _diff(
        self, lower: int, upper: int, theirs: set[bytes], have: list[bytes], need: list[bytes]
    ) -> None:
        """Compare their ids with ours in [lower, upper): what only we have, only they have."""
        for _, i in self.storage.items[lower:upper]:
            if i in theirs:
                theirs.discard(i)
            else:
                have.append(i)
        need.extend(theirs)

    def _answer_ids(self, lower: int, upper: int, bound: Bound, used: int, out: bytearray) -> int:
        """Answer an IdList with ours for [lower, upper); return where it ends (before upper
        when the frame filled up: the range then ends at the first id left out)."""
        items = self.storage.items
        ids, end = bytearray(), upper
        for index in range(lower, upper):
            if used + len(out) + len(ids) > self.frame_size_limit - 200:
                end = index
                break
            ids += items[index][1]
        end_bound = bound if end == upper else Bound(*items[end])
        out += self._encode_bound(end_bound) + encode_varint(ID_LIST)
        out += encode_varint(end - lower) + ids
        return end

    def _split(self, lower: int, upper: int, upper_bound: Bound, out: bytearray) -> None:
        count = upper - lower
        items = self.storage.items
        if count < BUCKETS * 2:
            out += self._encode_bound(upper_bound) + encode_varint(ID_LIST) + encode_varint(count)
            for _, i in items[lower:upper]:
                out += i
            return
        per, extra = divmod(count, BUCKETS)
        curr = lower
        for b in range(BUCKETS):
            size = per + (1 if b < extra else 0)
            fingerprint = self.storage.fingerprint(curr, curr + size)
            curr += size
            bound = upper_bound if curr == upper else _minimal_bound(items[curr - 1], items[curr])
            out += self._encode_bound(bound) + encode_varint(FINGERPRINT) + fingerprint

    def _encode_bound(self, bound: Bound) -> bytes:
        if bound.timestamp == INFINITY:
            self._last_out = INFINITY
            ts = encode_varint(0)
        else:
            ts = encode_varint(bound.timestamp - self._last_out + 1)
            self._last_out = bound.timestamp
        return ts + encode_varint(len(bound.id)) + bound.id

    def _decode_bound(self, query: _Reader) -> Bound:
        raw = query.varint()
        if raw == 0 or self._last_in == INFINITY:
            timestamp = self._last_in = INFINITY
        else:
            timestamp = self._last_in = self._last_in + raw - 1
            if timestamp >= INFINITY:
                raise NegentropyError("timestamp beyond 2**64 - 1")
        length = query.varint()
        if length > ID_SIZE:
            raise NegentropyError("bound id prefix longer than 32 bytes")
        return Bound(timestamp, query.take(length))


def _minimal_bound(prev: tuple[int, bytes], curr: tuple[int, bytes]) -> Bound:
    """The shortest bound that separates prev (below) from curr (at or above)."""
    if curr[0] != prev[0]:
        return Bound(curr[0])
    shared = 0
    while shared < ID_SIZE and curr[1][shared] == prev[1][shared]:
        shared += 1
    return Bound(curr[0], curr[1][: shared + 1])
