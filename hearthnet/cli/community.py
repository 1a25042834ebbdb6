"""Membership on the command line: `init`, `join`, `id`, `invite create` and `member`.

Every membership change runs the community feature's own handlers, on the running node or
in-process on the data directory, so the CLI, the API and the dashboard judge alike.
"""

from __future__ import annotations

import asyncio
import os
from typing import TextIO

import click

from hearthnet.adapters.keystore import KeyFileError, backup_text, load_signer, restore_key
from hearthnet.adapters.onboarding import found_community, redeem_invite, rejoin
from hearthnet.cli.output import Failure, emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.session import act, node_session
from hearthnet.config import data_home
from hearthnet.domain.invite import InviteError, parse_invite
from hearthnet.domain.types import (
    InvalidIdentifier,
    node_id,
    parse_node_id,
    parse_peer_url,
    short_node_id,
)


@click.group()
def key() -> None:
    """The node key: back it up, to restore it on a new device."""


@key.command("backup")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write it to this file.")
def key_backup(output: str | None) -> None:
    """Print (or write, mode 0600) this node's key as a backup text. Whoever holds it can act
    as this node in the community: keep it offline, like a house key."""
    signer = load_signer(data_home(), create=False)
    if signer is None:
        raise Failure("this node has no key yet: run `hearthnet init`")
    text = backup_text(signer)
    if output is None:
        click.echo(text)
    else:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
    click.echo(
        "warning: whoever holds this key can act as this node; keep it offline and private",
        err=True,
    )


@click.command()
@click.option("--name", help="The community's name (1-64 characters).")
@click.option("--display-name", default="", help="Your name in the community.")
@click.option("--join", "link", help="Join a community by invite link instead of founding one.")
@click.option(
    "--restore",
    type=click.File("r"),
    help="A key backup file: this device becomes that node again (with --peer).",
)
@click.option("--peer", "peer_url", help="A member's node to copy the log from (with --restore).")
@click.option(
    "--revoke-threshold",
    type=click.IntRange(1, 20),
    default=3,
    help="Trusted co-signatures needed to revoke a member (default 3).",
)
@json_option
def init(
    name: str | None,
    display_name: str,
    link: str | None,
    restore: TextIO | None,
    peer_url: str | None,
    revoke_threshold: int,
    as_json: bool,
) -> None:
    """Create this node's key and found a new community (or join one with --join, or become a
    backed-up node again with --restore FILE --peer URL)."""
    if restore is not None:
        if not peer_url:
            raise click.UsageError("--restore needs --peer URL: a member's node to sync from")
        out = _restore(restore.read(), peer_url)
        emit_json(out) if as_json else emit_fields(out)
        return
    if link is not None:
        out = _join(link, display_name or name or "")
        if as_json:
            emit_json(out)
        else:
            emit_fields(out)
        return
    if name is None:
        raise click.UsageError("give --name NAME to found a community, or --join LINK")
    if not 1 <= len(name.strip()) <= 64:
        raise click.BadParameter("must be 1 to 64 characters", param_hint="--name")
    with node_session(create_key=True) as node:
        try:
            out = found_community(node, name, revoke_threshold, display_name)
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
@click.option(
    "--node-id",
    "invitee",
    default="",
    help="The invitee's full node id (without it: a one-time link whoever holds it redeems).",
)
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
    """Record an invitation in the log and print a signed, expiring invite link: for one node
    id, or a one-time link for whoever holds it first."""
    try:
        if invitee:
            parse_node_id(invitee)
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="--node-id") from None
    try:
        endpoints = tuple(parse_peer_url(e) for e in endpoints)
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="--endpoint") from None
    out = act(
        "community.invite",
        {
            "invitee_node_id": invitee,
            "initial_level": level,
            "ttl_hours": ttl,
            "display_name": display_name,
            "bootstrap_endpoints": list(endpoints),
        },
    )
    if as_json:
        emit_json({**out, "invitee_node_id": invitee, "level": level})
    else:
        click.echo(out["link"])
    if not parse_invite(out["link"]).bootstrap_endpoints:
        click.echo(
            "warning: this link names no address to join through; give --endpoint URL, or run "
            "the node and create the link again",
            err=True,
        )


@invite.command("list")
@json_option
def invite_list(as_json: bool) -> None:
    """List pending invitations and one-time links."""
    found = act("community.invites", {})["invites"]
    if as_json:
        emit_json(found)
    else:
        emit_table(
            "pending invites",
            ["id", "for", "by", "level"],
            [
                (
                    i["invite_event_id"],
                    "one-time link" if i["one_time"] else i["invitee"],
                    i["inviter"],
                    i["level"],
                )
                for i in found
            ],
        )


@invite.command("revoke")
@click.argument("invite_event_id")
def invite_revoke(invite_event_id: str) -> None:
    """Take back a pending invitation or one-time link."""
    emit_json(act("community.invite.revoke", {"invite_event_id": invite_event_id}))


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


def _restore(text: str, peer_url: str) -> dict[str, object]:
    try:
        restore_key(data_home(), text)
    except KeyFileError as exc:
        raise Failure(str(exc)) from None
    with node_session() as node:
        try:
            return asyncio.run(rejoin(node, peer_url))
        except InviteError as exc:
            raise Failure(f"{exc.code}: {exc}") from None


def _join(link: str, display_name: str) -> dict[str, object]:
    """Redeem an invite link for this node and return what happened."""
    with node_session(create_key=True) as node:
        try:
            return asyncio.run(redeem_invite(node, link, display_name))
        except InviteError as exc:
            raise Failure(f"{exc.code}: {exc}") from None


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


@click.group()
def member() -> None:
    """Members and their trust levels."""


@member.command("list")
@json_option
def member_list(as_json: bool) -> None:
    """List members, levels and standing."""
    rows = act("community.members", {})["members"]
    if as_json:
        emit_json(rows)
    else:
        emit_table(
            "members",
            ["name", "node", "level", "status"],
            [(r["display_name"], r["node_id"], r["level"], r["status"]) for r in rows],
        )


@member.command("name")
@click.argument("display_name")
@json_option
def member_name(display_name: str, as_json: bool) -> None:
    """Set your name in the community (every member sees it instead of your id)."""
    if not 1 <= len(display_name.strip()) <= 64:
        raise click.BadParameter("must be 1 to 64 characters", param_hint="DISPLAY_NAME")
    out = act("community.profile.update", {"display_name": display_name})
    emit_json(out) if as_json else click.echo(out["display_name"])


def _cosigners(values: tuple[str, ...]) -> list[dict[str, str]]:
    out = []
    for value in values:
        node, _, signature = value.partition("=")
        if not signature:
            raise click.BadParameter("a co-signature is NODE_ID=SIGNATURE", param_hint="--cosig")
        out.append({"node_id": node, "signature": signature})
    return out


@member.command("revoke")
@click.argument("node_id")
@click.option(
    "--reason",
    type=click.Choice(["compromised", "inactive", "policy_violation", "other"]),
    default="other",
)
@click.option("--cosig", "cosigs", multiple=True, help="NODE_ID=SIGNATURE (repeatable).")
def member_revoke(node_id: str, reason: str, cosigs: tuple[str, ...]) -> None:
    """Revoke a member: at once when your signature (or the --cosig ones) is enough, else as a
    request the trusted members approve (`member requests`, `member approve`)."""
    if cosigs:
        body = {"target_node_id": node_id, "reason": reason, "co_signers": _cosigners(cosigs)}
        emit_json(act("community.revoke", body))
        return
    _request({"change": "revoke", "target_node_id": node_id, "reason": reason})


def _request(body: dict[str, str]) -> None:
    out = act("community.request", body)
    click.echo("done" if out["done"] else f"asked (request {out['request_id']}): {out['missing']}")


@member.command("promote")
@click.argument("node_id")
@click.option("--level", type=click.Choice(["trusted", "anchor"]), default="trusted")
@click.option("--cosig", "cosigs", multiple=True, help="NODE_ID=SIGNATURE (repeatable).")
def member_promote(node_id: str, level: str, cosigs: tuple[str, ...]) -> None:
    """Promote a member: at once, or as a request the trusted members approve."""
    if cosigs:
        body = {"target_node_id": node_id, "new_level": level, "co_signers": _cosigners(cosigs)}
        emit_json(act("community.promote", body))
        return
    _request({"change": "promote", "target_node_id": node_id, "new_level": level})


@member.command("requests")
@json_option
def member_requests(as_json: bool) -> None:
    """List open membership change requests and who approved them."""
    found = act("community.requests", {})["requests"]
    if as_json:
        emit_json(found)
    else:
        emit_table(
            "requests",
            ["id", "change", "member", "approved", "you can approve"],
            [
                (
                    r["request_id"],
                    r["change"],
                    r["target_name"],
                    f"{len(r['approved_by'])} of {r['needed']}: {', '.join(r['approved_by'])}",
                    "yes" if r["can_approve"] else "",
                )
                for r in found
            ],
        )


@member.command("approve")
@click.argument("request_id")
def member_approve(request_id: str) -> None:
    """Approve another member's change request with your signature."""
    emit_json(act("community.approve", {"request_id": request_id}))


@member.command("cosign")
@click.argument("change", type=click.Choice(["revoke", "promote", "demote"]))
@click.argument("node_id")
@click.option(
    "--reason",
    type=click.Choice(["compromised", "inactive", "policy_violation", "other"]),
    default="other",
)
@click.option("--level", type=click.Choice(["member", "trusted", "anchor"]), default="trusted")
def member_cosign(change: str, node_id: str, reason: str, level: str) -> None:
    """Co-sign a membership change with this node's key; prints NODE_ID=SIGNATURE for --cosig."""
    out = act(
        "community.cosign",
        {"change": change, "target_node_id": node_id, "reason": reason, "new_level": level},
    )
    click.echo(out["cosig"])


COMMANDS = (init, join, show_id, key, invite, member)
