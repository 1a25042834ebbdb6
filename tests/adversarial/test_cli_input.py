"""Finding 11: URLs that are not a node's base URL were taken from the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.e2e.cluster import cli, new_key

if TYPE_CHECKING:
    from pathlib import Path

    from tests.adversarial.conftest import Village


def test_invite_endpoints_are_http_base_urls(village: Village, tmp_path: Path) -> None:
    invitee = new_key(tmp_path / "friend")
    home = village.anchor.home
    for endpoint in ("javascript:alert(1)", "file:///etc/passwd", "http://h:1/../x"):
        refused = cli(
            home, "invite", "create", "--node-id", invitee, "--endpoint", endpoint, check=2
        )
        assert "--endpoint" in refused.stderr
    cli(home, "invite", "create", "--node-id", invitee, "--endpoint", village.anchor.url)


def test_peer_add_refuses_a_path(village: Village) -> None:
    refused = cli(village.anchor.home, "peer", "add", "http://h:1/../x", check=None)
    assert refused.returncode != 0 and "no path" in refused.stdout + refused.stderr
    peers = cli(village.anchor.home, "peers", "--json").stdout
    assert "h:1" not in peers
