"""Founding a community, and joining one by an invite link: the use cases behind `hearthnet
init`, `hearthnet join` and the dashboard's onboarding."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import msgspec

from hearthnet.adapters.crypto import verify_ed25519
from hearthnet.adapters.http_peer import HttpPeer
from hearthnet.adapters.keystore import KeyFileError, read_backup, restore_key
from hearthnet.adapters.log_writer import LogWriter
from hearthnet.adapters.replica import LocalReplica
from hearthnet.adapters.request_auth import sign_request
from hearthnet.adapters.routes_node import CLAIM_PATH
from hearthnet.config import save_config
from hearthnet.domain import community as c
from hearthnet.domain.bodies import decode_body, encode_body
from hearthnet.domain.envelope import decode_stored, encode
from hearthnet.domain.invite import InviteError, check_invite, parse_invite
from hearthnet.domain.types import InvalidIdentifier, node_id, parse_node_id, parse_peer_url
from hearthnet.projections.community import MembershipProjection
from hearthnet.sync.protocol import Bundle
from hearthnet.sync.session import NotAdmitted, SyncError, synchronise

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from hearthnet.adapters.node_home import Node
    from hearthnet.domain.invite import Invite


def found_community(
    node: Node, name: str, revoke_threshold: int = 3, founder_name: str = ""
) -> dict[str, Any]:
    """Found a community with this node as its anchor (named `founder_name` in it): the
    genesis event, the saved config."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise InviteError("bad_request", "a community's name is 1 to 64 characters")
    if not 1 <= revoke_threshold <= 20:
        raise InviteError("bad_request", "the revoke threshold is 1 to 20 co-signatures")
    signer = node.signer
    assert signer is not None
    if node.config.community:
        raise InviteError(
            "already_member", f"this node already belongs to community {node.config.community}"
        )
    me = node_id(signer.public_key)
    genesis = c.CommunityCreated(
        name=name,
        founder_node_id=me,
        policy=c.Policy(min_signatures_to_revoke=revoke_threshold),
        founder_name=founder_name.strip()[:64],
    )
    node.log.community = signer.public_key
    recorded = node.log.append_local(signer, c.COMMUNITY_CREATED, encode_body(genesis))
    node.config.community, node.config.name = me, node.config.name or name
    save_config(node.home, node.config)
    return {
        "node_id": me,
        "community_id": me,
        "community_name": name,
        "event_id": recorded.id.hex(),
        "data_dir": str(node.home),
    }


async def redeem_invite(node: Node, link: str, display_name: str) -> dict[str, Any]:
    """Check an invite link against this node, join its community, save the config.

    Raises InviteError with the onboarding code (invite_invalid, invite_expired,
    invitee_mismatch, already_member, bootstrap_unreachable, sync_failed).
    """
    signer = node.signer
    assert signer is not None
    me = node_id(signer.public_key)
    invite = parse_invite(link.strip())
    check_invite(invite, verify_ed25519, me, datetime.now(UTC))
    if node.config.community:
        code = "already_member" if node.config.community == invite.community_id else "bad_request"
        raise InviteError(code, f"this node already belongs to {node.config.community}")
    if invite.claim_token:
        invite = await claim_invite(node, invite, display_name)
        check_invite(invite, verify_ed25519, me, datetime.now(UTC))
    result = await join_community(node, invite, display_name)
    node.config.community = invite.community_id
    node.config.name = node.config.name or display_name
    node.config.peers = sorted({*node.config.peers, *invite.bootstrap_endpoints})
    save_config(node.home, node.config)
    return {"node_id": me, **result}


async def claim_invite(node: Node, invite: Invite, display_name: str) -> Invite:
    """Claim a one-time link from the inviter's node: the invitation for this node that it
    answers with. InviteError when the link was used, expired or cannot be reached."""
    signer = node.signer
    assert signer is not None
    body = msgspec.json.encode({"token": invite.claim_token, "name": display_name.strip()[:64]})
    errors = []
    async with httpx.AsyncClient(timeout=10.0) as client:
        for url in invite.bootstrap_endpoints:
            headers = sign_request(
                signer, invite.community_id, invite.inviter_node_id, "POST", CLAIM_PATH, body
            )
            try:
                answer = await client.post(url + CLAIM_PATH, content=body, headers=headers)
            except httpx.HTTPError as exc:
                errors.append(f"{url}: {exc}")
                continue
            if answer.status_code == 410:
                raise InviteError("invite_expired", answer.json().get("message", "used or expired"))
            if answer.status_code != 200:
                errors.append(f"{url}: HTTP {answer.status_code} {answer.text[:200]}")
                continue
            return parse_invite(answer.json()["link"])
    raise InviteError("bootstrap_unreachable", "; ".join(errors) or "the link names no address")


async def rejoin(node: Node, url: str) -> dict[str, Any]:
    """A node key restored on a new device: copy the community's log from a peer (this key is
    a member, so the peer lets it sync) and take the community up again; InviteError when the
    peer cannot be reached or this key is not an active member there."""
    signer = node.signer
    assert signer is not None
    me = node_id(signer.public_key)
    writer = LogWriter(node.log)
    try:
        url = parse_peer_url(url)
        async with httpx.AsyncClient() as client:
            _, community, _ = await HttpPeer(url, signer, "", client).describe()
            node.log.community = parse_node_id(community)
            peer = HttpPeer(url, signer, community, client)
            stats = await synchronise(LocalReplica(node.log, writer), peer)
    except NotAdmitted:
        raise InviteError("not_a_member", f"{me} is not an active member there") from None
    except (SyncError, InvalidIdentifier, httpx.HTTPError) as exc:
        raise InviteError("bootstrap_unreachable", f"{url}: {exc}") from None
    finally:
        await asyncio.to_thread(writer.close)
    await asyncio.to_thread(node.views.catch_up)
    membership = node.views.projections["membership"]
    assert isinstance(membership, MembershipProjection)
    if membership.fold().active(me) is None:
        raise InviteError("not_a_member", f"{me} is not an active member of {community}")
    node.config.community = community
    node.config.peers = sorted({*node.config.peers, url})
    save_config(node.home, node.config)
    return {"node_id": me, "community_id": community, "events_synced": stats.stored}


async def join_community(node: Node, invite: Invite, display_name: str) -> dict[str, object]:
    """Sync the community log from the invite's bootstrap node, then announce our join.
    Raises InviteError (bootstrap_unreachable, sync_failed)."""
    node.log.community = parse_node_id(invite.community_id)
    writer = LogWriter(node.log)
    errors = []
    try:
        async with httpx.AsyncClient() as client:
            for url in invite.bootstrap_endpoints:
                try:
                    return await _join_through(node, writer, invite, display_name, client, url)
                except SyncError as exc:
                    errors.append(str(exc))
    finally:
        await asyncio.to_thread(writer.close)
    if not invite.bootstrap_endpoints:
        raise InviteError("bootstrap_unreachable", "the invite names no bootstrap endpoint")
    raise InviteError("bootstrap_unreachable", "; ".join(errors))


async def _join_through(
    node: Node,
    writer: LogWriter,
    invite: Invite,
    display_name: str,
    client: httpx.AsyncClient,
    url: str,
) -> dict[str, object]:
    signer = node.signer
    assert signer is not None
    peer = HttpPeer(url, signer, invite.community_id, client)
    _, community, _ = await peer.describe()
    if community != invite.community_id:
        raise SyncError(f"{url} serves another community")
    stats = await synchronise(LocalReplica(node.log, writer), peer)
    found = await asyncio.to_thread(node.log.find, bytes.fromhex(invite.invite_event_id))
    if not found:
        raise InviteError("sync_failed", "the synced log does not hold the invitation")
    invited = decode_body(decode_stored(found[0]).body, c.MemberInvited)
    name = display_name.strip() or (invited.display_name if invited else "")
    body = c.MemberJoined(invite_event_id=invite.invite_event_id, display_name=name)
    recorded = await writer.append(signer, c.MEMBER_JOINED, encode_body(body))
    with contextlib.suppress(SyncError):  # else the next sync carries the join
        await peer.push(Bundle(events=[encode(recorded.event)]))
    return {
        "community_id": invite.community_id,
        "bootstrap": url,
        "events_synced": stats.stored,
        "event_id": recorded.id.hex(),
    }


class BrowserOnboarding:
    """Founding or joining a community from the dashboard, for a node that has none yet;
    `start` then runs the node on that community."""

    def __init__(self, node: Node, start: Callable[[], Awaitable[None]]) -> None:
        self.node, self.start = node, start
        self._lock = asyncio.Lock()

    async def create(
        self, name: str, revoke_threshold: int, display_name: str = ""
    ) -> dict[str, Any]:
        """Found a community (its founder named `display_name`); return once the node runs it."""
        async with self._lock:
            out = await asyncio.to_thread(
                found_community, self.node, name, revoke_threshold, display_name
            )
            await self.start()
        return out

    def founded(self) -> bool:
        """Whether this node already belongs to a community (it may still be starting)."""
        return bool(self.node.config.community)

    async def join(self, link: str, display_name: str) -> dict[str, Any]:
        """Redeem an invite link; return once the node runs the community."""
        async with self._lock:
            out = await redeem_invite(self.node, link, display_name)
            await self.start()
        return out

    async def restore(self, backup: str, peer_url: str) -> dict[str, Any]:
        """Become a backed-up node again: its key replaces this node's unused one, the log
        comes from a member's node; return once the node runs the community."""
        node = self.node
        async with self._lock:
            if node.config.community:
                raise InviteError("already_member", "this node already belongs to a community")
            try:
                backed_up = read_backup(backup)
            except KeyFileError as exc:
                raise InviteError("backup_invalid", str(exc)) from None
            present = node.signer
            assert present is not None
            if present.public_key != backed_up.public_key:  # else a retry: it is in place
                if node.log.head(present.public_key) is not None:
                    raise InviteError("already_member", "this node's key has signed already")
                node.signer = await asyncio.to_thread(
                    restore_key, node.home, backup, replace_unused=True
                )
            out = await rejoin(node, peer_url)
            await self.start()
        return out
