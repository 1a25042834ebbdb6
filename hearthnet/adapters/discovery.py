"""LAN discovery with zeroconf: announce `_hearthnet._tcp.local.`, browse for community peers.

A node listening on loopback only announces and browses on loopback, so nothing leaves the
machine; with `--lan` it uses every interface. TXT fields: v, node, community, port, proto.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

if TYPE_CHECKING:
    from collections.abc import Callable

    from zeroconf import Zeroconf

SERVICE = "_hearthnet._tcp.local."
PROTOCOL = "1"


class Discovery:
    """Announces this node and reports peers of the same community as they appear."""

    def __init__(
        self,
        me: str,
        community: str,
        port: int,
        found: Callable[[str], object],
        *,
        host: str = "127.0.0.1",
    ) -> None:
        self.me, self.community, self.port, self.found = me, community, port, found
        self.host = host
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Register this node's service and start browsing."""
        loopback = self.host in ("127.0.0.1", "localhost")
        interfaces = ["127.0.0.1"] if loopback else InterfaceChoice.All
        self._zc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        address = "127.0.0.1" if loopback else socket.gethostbyname(socket.gethostname())
        short = self.me.removeprefix("ed25519:")[:8].replace("-", "x").replace("_", "y")
        info = AsyncServiceInfo(
            SERVICE,
            f"hearthnet-{short}.{SERVICE}",
            addresses=[socket.inet_aton(address)],
            port=self.port,
            properties={
                "v": "1",
                "node": self.me,
                "community": self.community,
                "port": str(self.port),
                "proto": PROTOCOL,
            },
        )
        await self._zc.async_register_service(info)
        self._browser = AsyncServiceBrowser(self._zc.zeroconf, SERVICE, handlers=[self._changed])

    def _changed(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            task = asyncio.ensure_future(self._resolve(service_type, name))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _resolve(self, service_type: str, name: str) -> None:
        assert self._zc is not None
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(self._zc.zeroconf, 3000):
            return
        props = {
            k.decode(): (v or b"").decode(errors="replace") for k, v in info.properties.items()
        }
        if props.get("community") != self.community or props.get("node") == self.me:
            return
        for address in info.parsed_addresses(IPVersion.V4Only):
            self.found(f"http://{address}:{info.port}")

    async def stop(self) -> None:
        """Withdraw the announcement and stop browsing."""
        if self._browser is not None:
            await self._browser.async_cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._zc is not None:
            await self._zc.async_unregister_all_services()
            await self._zc.async_close()
