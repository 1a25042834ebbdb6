"""Another node's capability bus, reached over HTTP with signed calls."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import msgspec

from hearthnet.adapters.crypto import verify_ed25519
from hearthnet.adapters.request_auth import sign_request
from hearthnet.domain.capability import ERROR_STATUS, BusError, Descriptor
from hearthnet.domain.manifest import Manifest, ManifestError, check_manifest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from hearthnet.domain.ports import Signer

OFFERS_TTL_S = 30.0
CALL_PATH = "/bus/v1/call"


class HttpBusRemote:
    """Calls capabilities on a peer; its offers come from its manifest, cached briefly."""

    def __init__(self, url: str, signer: Signer, community: str, client: httpx.AsyncClient) -> None:
        self.url, self.signer, self.community, self.client = url, signer, community, client
        self._offers: tuple[float, list[Descriptor]] | None = None
        self.peer_id = ""
        """The peer's node id, from its manifest: what calls to it are signed for."""

    async def offers(self) -> list[Descriptor]:
        """What the peer serves."""
        if self._offers is None or time.monotonic() - self._offers[0] > OFFERS_TTL_S:
            try:
                response = await self.client.get(self.url + "/manifest", timeout=5.0)
                manifest = msgspec.json.decode(response.content, type=Manifest)
                check_manifest(manifest, verify_ed25519, int(time.time() * 1000))
            except (httpx.HTTPError, msgspec.DecodeError, msgspec.ValidationError, ManifestError):
                raise BusError("partition", f"{self.url} did not describe itself") from None
            offers, self.peer_id = manifest.capabilities, manifest.node_id
            self._offers = (time.monotonic(), offers)
        return self._offers[1]

    async def _headers(self, body: bytes) -> dict[str, str]:
        if not self.peer_id:
            await self.offers()
        return sign_request(self.signer, self.community, self.peer_id, "POST", CALL_PATH, body)

    async def call(self, ref: str, params: dict[str, Any], input: Any) -> dict[str, Any]:
        """Call a capability on the peer."""
        body = msgspec.json.encode({"params": params, "input": input})
        headers = await self._headers(body)
        headers.update({"content-type": "application/json", "x-hearthnet-capability": ref})
        try:
            response = await self.client.post(
                self.url + CALL_PATH, content=body, headers=headers, timeout=30.0
            )
        except httpx.TimeoutException:
            raise BusError("timeout", f"{self.url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise BusError("partition", f"{self.url}: {exc}") from None
        try:
            data: dict[str, Any] = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            raise BusError("internal_error", f"{self.url} answered garbage") from None
        if response.status_code != 200:
            code = str(data.get("error", "internal_error"))
            raise BusError(
                code if code in ERROR_STATUS else "internal_error", str(data.get("message", ""))
            )
        return data

    async def stream(
        self, ref: str, params: dict[str, Any], input: Any
    ) -> AsyncIterator[tuple[str, Any]]:
        """Stream a capability's SSE frames from the peer."""
        body = msgspec.json.encode({"params": params, "input": input})
        headers = await self._headers(body)
        headers.update(
            {
                "content-type": "application/json",
                "x-hearthnet-capability": ref,
                "accept": "text/event-stream",
            }
        )
        try:
            async with self.client.stream(
                "POST", self.url + CALL_PATH, content=body, headers=headers, timeout=30.0
            ) as response:
                if response.status_code != 200:
                    data = msgspec.json.decode(await response.aread())
                    code = str(data.get("error", "internal_error"))
                    raise BusError(
                        code if code in ERROR_STATUS else "internal_error",
                        str(data.get("message", "")),
                    )
                event = ""
                async for line in response.aiter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        yield event, msgspec.json.decode(line[6:])
        except httpx.TimeoutException:  # a node at work sends a comment every 10 s
            raise BusError("timeout", f"{self.url} sent nothing for 30 s") from None
        except httpx.HTTPError as exc:
            raise BusError("partition", f"{self.url}: {exc}") from None
