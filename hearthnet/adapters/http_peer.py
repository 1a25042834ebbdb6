"""A peer reached over HTTP: signed sync requests with size and time limits."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import msgspec

from hearthnet.adapters.crypto import verify_ed25519
from hearthnet.adapters.request_auth import FROM, sign_request
from hearthnet.domain.manifest import Manifest, ManifestError, check_manifest
from hearthnet.domain.types import node_id
from hearthnet.sync import protocol
from hearthnet.sync.protocol import Bundle, Fetch, FrameError, PushReply, ReconcileReply
from hearthnet.sync.session import NotAdmitted, SyncError

if TYPE_CHECKING:
    from hearthnet.domain.ports import Signer

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class HttpPeer:
    """A remote node, as a sync Peer."""

    def __init__(
        self,
        url: str,
        signer: Signer,
        community: str,
        client: httpx.AsyncClient,
        own_url: str = "",
    ) -> None:
        self.url = url.rstrip("/")
        self.own_url = own_url
        self.signer = signer
        self.community = community
        self.client = client
        self.peer_id = ""
        """The peer's node id, from its manifest: what requests to it are signed for."""

    async def _post(self, path: str, body: bytes, **extra: str) -> bytes:
        if not self.peer_id:
            await self.manifest()
        headers = sign_request(self.signer, self.community, self.peer_id, "POST", path, body)
        headers.update(extra)
        headers["content-type"] = "application/octet-stream"
        if self.own_url:
            headers["x-hearthnet-url"] = self.own_url
        try:
            response = await self.client.post(
                self.url + path, content=body, headers=headers, timeout=TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise SyncError(f"{self.url}: {type(exc).__name__} {exc}") from None
        if response.status_code != 200:
            refused = NotAdmitted if response.status_code in (401, 403) else SyncError
            raise refused(f"{self.url}{path}: HTTP {response.status_code} {response.text[:200]}")
        if len(response.content) > protocol.FRAME_LIMIT:
            raise SyncError(f"{self.url}{path}: frame over {protocol.FRAME_LIMIT} bytes")
        return response.content

    def _decode(self, data: bytes, kind: type[Any]) -> Any:
        try:
            return protocol.decode(data, kind)
        except FrameError as exc:
            raise SyncError(f"{self.url}: {exc}") from None

    async def reconcile(self, message: bytes, *, priority: bool = False) -> ReconcileReply:
        """Send a negentropy message (over the priority set when asked)."""
        headers = {protocol.COMPACT_HEADER: "compact"}
        if priority:
            headers[protocol.SCOPE_HEADER] = "priority"
        reply: ReconcileReply = self._decode(
            await self._post("/sync/v1/reconcile", message, **headers), ReconcileReply
        )
        return reply

    async def fetch(self, request: Fetch) -> Bundle:
        """Fetch events and proofs by id."""
        bundle: Bundle = self._decode(
            await self._post("/sync/v1/fetch", protocol.encode(request)), Bundle
        )
        return bundle

    async def push(self, bundle: Bundle) -> PushReply:
        """Push events and proofs."""
        reply: PushReply = self._decode(
            await self._post("/sync/v1/push", protocol.encode(bundle)), PushReply
        )
        return reply

    async def describe(self) -> tuple[str, str, list[str]]:
        """Return the peer's node id, community and known peer URLs."""
        m = await self.manifest()
        return m.node_id, m.community, m.peers

    async def manifest(self) -> Manifest:
        """Fetch the peer's manifest."""
        try:
            response = await self.client.get(
                self.url + "/manifest",
                timeout=TIMEOUT,
                headers={FROM: node_id(self.signer.public_key)},
            )
            response.raise_for_status()
            manifest = msgspec.json.decode(response.content, type=Manifest)
            check_manifest(manifest, verify_ed25519, int(time.time() * 1000))
        except (
            httpx.HTTPError,
            msgspec.DecodeError,
            msgspec.ValidationError,
            ManifestError,
        ) as exc:
            raise SyncError(f"{self.url}: no usable manifest ({exc})") from None
        self.peer_id = manifest.node_id
        return manifest
