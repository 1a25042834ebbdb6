"""Polling official CAP sources while online: a URL serving one CAP message, or an Atom feed
whose entries link to CAP messages (the form of most agencies' feeds). What is found is handed
to `alert.import` as arriving via `feed`, with the URL it came from."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
import httpx
from defusedxml import DefusedXmlException

from hearthnet.domain import cap
from hearthnet.domain.alerts import MAX_CAP_BYTES

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
ATOM = "{http://www.w3.org/2005/Atom}"
MAX_FEED_BYTES = 1024 * 1024
MAX_ENTRIES = 50
FEED_EVERY_S = 300.0
CAP_ROOTS = {f"{{{cap.NAMESPACE}}}alert", f"{{{cap.NAMESPACE_1_1}}}alert"}


async def _get(client: httpx.AsyncClient, url: str, limit: int) -> bytes:
    async with client.stream("GET", url, timeout=10.0, follow_redirects=False) as response:
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise ValueError(f"{url} serves more than {limit} bytes")
        return bytes(body)


def cap_links(feed: bytes) -> list[str] | None:
    """The CAP links of an Atom feed's entries; None when the bytes are a CAP message."""
    try:
        root = SafeET.fromstring(feed, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ET.ParseError) as exc:
        raise ValueError(f"not a feed: {exc}") from None
    if root.tag in CAP_ROOTS:
        return None
    if root.tag != ATOM + "feed":
        raise ValueError(f"neither CAP nor Atom (root {root.tag})")
    links = []
    for entry in root.findall(ATOM + "entry")[:MAX_ENTRIES]:
        for link in entry.findall(ATOM + "link"):
            href = link.get("href", "")
            kind = link.get("type", "")
            if href.startswith(("http://", "https://")) and (
                kind == "application/cap+xml" or href.endswith((".cap", ".xml"))
            ):
                links.append(href)
                break
    return links


async def poll(
    client: httpx.AsyncClient, url: str, take: Callable[[bytes, str], Awaitable[None]]
) -> int:
    """Fetch one source; hand each CAP message found to `take(xml, source)`; return how many."""
    body = await _get(client, url, MAX_FEED_BYTES)
    links = cap_links(body)
    if links is None:
        await take(body, url)
        return 1
    for link in links:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            await take(await _get(client, link, MAX_CAP_BYTES), link)
    return len(links)
