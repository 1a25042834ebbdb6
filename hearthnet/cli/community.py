"""`hearthnet init` and `hearthnet invite create`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from hearthnet.cli.output import Failure, emit_fields, emit_json, json_option
from hearthnet.cli.session import node_session
from hearthnet.domain import community as c
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.invite import Invite, rfc3339, sign_invite
from hearthnet.domain.types import (
    InvalidIdentifier,
    node_id,
    parse_node_id,
    parse_peer_url,
    short_node_id,
)
from hearthnet.projections.membership import MembershipProjection

if TYPE_CHECKING:
    from hearthnet.bootstrap import Node


@click.command()
@click.option("--name", help="The community's name (1-64 characters).")
@click.option("--join", "link", help="Join a community by invite link instead of founding one.")
@click.option(
    "--revoke-threshold",
    type=click.IntRange(1, 20),
    default=3,
    help="Trusted co-signatures needed to revoke a member (default 3).",
)
@json_option
def init(name: str | None, link: str | None, revoke_threshold: int, as_json: bool) -> None:
    """Create this node's key and found a new community (or join one with --join)."""
    if link is not None:
        out = _join(link, name or "")
        if as_json:
            emit_json(out)
        else:
            emit_fields(out)
        return
    if name is None:
        raise click.UsageError("give --name NAME to found a community, or --join LINK")
    if not 1 <= len(name.strip()) <= 64:
        raise click.BadParameter("must be 1 to 64 characters", param_hint="--name")
    from hearthnet.bootstrap import found_community
    from hearthnet.domain.invite import InviteError

    with node_session(create_key=True) as node:
        try:
            out = found_community(node, name, revoke_threshold)
        except InviteError as exc:
            raise Failure(str(exc)) from None
    if as_json:
        emit_json(out)
    else:
        emit_fields({**out, "short_id": short_node_id(parse_node_id(str(out["node_id"])))})


@click.group()
def invite() -> None:
    """Invite nodes into the community."""


@invite.command("create")
@click.option("--node-id", "invitee", required=True, help="The invitee's full node id.")
@click.option("--level", type=click.Choice(["member", "trusted"]), default="member")
@click.option(
    "--ttl",
    type=click.FloatRange(min=0.1, max=24 * 30),
    default=24.0,
    help="Hours until the invite expires (default 24).",
)
@click.option("--display-name", default="", help="What to call the invitee.")
@click.option("--endpoint", "endpoints", multiple=True, help="Bootstrap URL (repeatable).")
@json_option
def create(
    invitee: str,
    level: str,
    ttl: float,
    display_name: str,
    endpoints: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record an invitation in the log and print a signed, expiring invite link."""
    try:
        parse_node_id(invitee)
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="--node-id") from None
    try:
        endpoints = tuple(parse_peer_url(e) for e in endpoints)
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="--endpoint") from None
    with node_session(need_community=True) as node:
        assert node.signer is not None
        node.views.catch_up()
        me = node_id(node.signer.public_key)
        membership = node.views.projections["membership"]
        assert isinstance(membership, MembershipProjection)
        refusal = c.invite_refusal(membership.fold(), me, invitee, level)
        if refusal:
            raise Failure(f"this node cannot invite: {refusal}")
        row = node.views.db.execute("SELECT name FROM community").fetchone()
        community_name = row[0] if row else ""
        expires_ms = int((time.time() + ttl * 3600) * 1000)
        body = c.MemberInvited(
            invitee_node_id=invitee,
            initial_level=level,  # type: ignore[arg-type]
            expires_at=expires_ms,
            display_name=display_name,
        )
        event_id = append_here(node, c.MEMBER_INVITED, encode_body(body))
        terms = Invite(
            community_id=node.config.community,
            community_name=community_name,
            inviter_node_id=me,
            invitee_node_id=invitee,
            initial_level=level,  # type: ignore[arg-type]
            invite_event_id=event_id,
            bootstrap_endpoints=list(endpoints),
            expires_at=rfc3339(expires_ms),
        )
        link = sign_invite(terms, node.signer)
    if as_json:
        emit_json(
            {
                "link": link,
                "event_id": event_id,
                "expires_at": terms.expires_at,
                "invitee_node_id": invitee,
                "level": level,
            }
        )
    else:
        click.echo(link)


@click.command()
@click.argument("link")
@click.option("--name", "display_name", default="", help="How the community should call you.")
@json_option
def join(link: str, display_name: str, as_json: bool) -> None:
    """Join a community with an invite link: verify it, sync the log, announce the join."""
    out = _join(link, display_name)
    if as_json:
        emit_json(out)
    else:
        emit_fields(out)


def _join(link: str, display_name: str) -> dict[str, object]:
    """Redeem an invite link for this node and return what happened."""
    import asyncio

    from hearthnet.bootstrap import redeem_invite
    from hearthnet.domain.invite import InviteError

    with node_session(create_key=True) as node:
        try:
            return asyncio.run(redeem_invite(node, link, display_name))
        except InviteError as exc:
            raise Failure(f"{exc.code}: {exc}") from None


def append_here(node: Node, type_: str, body: bytes) -> str:
    """Append one of our own events: through the running node if there is one (it then
    pushes the event to its peers at once), else straight into the log. Returns the id."""
    from hearthnet.cli.node import admin_call, running_node

    if running_node(node.home) is not None:
        result = admin_call(
            node.home, "POST", "/admin/v1/append", {"type": type_, "body_hex": body.hex()}
        )
        return str(result["event_id"])
    assert node.signer is not None
    return node.log.append_local(node.signer, type_, body).id.hex()


@click.command("id")
@json_option
def show_id(as_json: bool) -> None:
    """Print this node's id (creating its key on first use), to hand to an inviter."""
    with node_session(create_key=True) as node:
        assert node.signer is not None
        me = node_id(node.signer.public_key)
    if as_json:
        emit_json({"node_id": me, "short_id": short_node_id(node.signer.public_key)})
    else:
        click.echo(me)
