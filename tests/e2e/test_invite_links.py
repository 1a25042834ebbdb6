"""A one-time invite link: the neighbour's node needs no id in advance; it claims the link from
the inviter's node, joins, and the link is spent. A second node with the same link, or a link
with a wrong secret, gets a clear refusal and joins nothing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import msgspec

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.domain.invite import parse_invite, sign_invite
from tests.e2e.cluster import NodeProcess, cli, free_port

if TYPE_CHECKING:
    from pathlib import Path


def test_a_one_time_link_lets_one_neighbour_join_without_an_id(tmp_path: Path) -> None:
    a_home, b_home, c_home, d_home = (tmp_path / n for n in "abcd")
    cli(a_home, "init", "--name", "Linkdorf", "--display-name", "Anke")
    a = NodeProcess(a_home, free_port(), "--no-discovery", "--no-ui").start()
    try:
        link = cli(
            a_home, "invite", "create", "--display-name", "Nachbarin", "--endpoint", a.url
        ).stdout.strip()
        terms = parse_invite(link)
        assert terms.invitee_node_id == "" and terms.claim_token, "no id in the link"

        joined = json.loads(cli(b_home, "join", link, "--json").stdout)
        members = json.loads(cli(a_home, "member", "list", "--json").stdout)
        named = {m["node_id"]: m["display_name"] for m in members}
        assert named[joined["node_id"]] == "Nachbarin", "the invitation's name, by default"

        again = cli(c_home, "join", link, check=None)
        assert again.returncode != 0 and "used already" in again.stderr

        inviter = NaclSigner((a_home / "keys" / "device.ed25519").read_bytes())
        guessed = sign_invite(msgspec.structs.replace(terms, claim_token="A" * 43), inviter)
        refused = cli(d_home, "join", guessed, check=None)
        assert refused.returncode != 0 and "no such invite link" in refused.stderr

        members = json.loads(cli(a_home, "member", "list", "--json").stdout)
        assert len(members) == 2, "one link, one neighbour"

        unused = cli(a_home, "invite", "create", "--endpoint", a.url).stdout.strip()
        [pending] = json.loads(cli(a_home, "invite", "list", "--json").stdout)
        assert pending["one_time"]
        cli(a_home, "invite", "revoke", pending["invite_event_id"])
        assert json.loads(cli(a_home, "invite", "list", "--json").stdout) == []
        late = cli(d_home, "join", unused, check=None)
        assert late.returncode != 0 and "taken back" in late.stderr
    finally:
        a.stop()
