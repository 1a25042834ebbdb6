"""Restoring a key from the dashboard's first page, as someone with a wrong, damaged or
foreign backup would try it: a clear refusal, and the node's own key and state as they were.
Only a whole backup of a member's key, restored on a node that has signed nothing, becomes
that member again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hearthnet.adapters.keystore import backup_text, key_paths
from hearthnet.adapters.onboarding import BrowserOnboarding
from hearthnet.bootstrap import open_node
from hearthnet.domain.invite import InviteError
from tests.e2e.cluster import NodeProcess, cli, free_port
from tests.factories import signer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def anke(tmp_path: Path) -> Iterator[tuple[NodeProcess, str]]:
    """A running community node, and the key backup of a member who joined it."""
    home = tmp_path / "anke"
    cli(home, "init", "--name", "Umzugsdorf", "--display-name", "Anke")
    node = NodeProcess(home, free_port(), "--no-discovery").start()
    try:
        link = cli(home, "invite", "create", "--endpoint", node.url).stdout.strip()
        cli(tmp_path / "berta", "join", link, "--name", "Berta")
        backup = cli(tmp_path / "berta", "key", "backup").stdout.strip()
        yield node, backup
    finally:
        node.stop()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[BrowserOnboarding, list[str]]]:
    """A new device's node on its first page (it has a key of its own, unused)."""
    started: list[str] = []

    async def start() -> None:
        started.append("started")

    node = open_node(tmp_path / "new", create_key=True)
    try:
        yield BrowserOnboarding(node, start), started
    finally:
        node.close()


@pytest.mark.parametrize(
    ("backup", "code"),
    [
        ("", "backup_invalid"),
        ("hearthnet-key://v1/", "backup_invalid"),
        ("hearthnet-key://v1/AAAA", "backup_invalid"),
        ("hearthnet-key://v1/!!not-base64!!", "backup_invalid"),
        ("ed25519:" + "A" * 43, "backup_invalid"),
        (backup_text(signer(77)), "not_a_member"),  # a whole key, but no member's
    ],
)
async def test_a_wrong_backup_is_refused_and_leaves_no_community(
    anke: tuple[NodeProcess, str],
    fresh: tuple[BrowserOnboarding, list[str]],
    backup: str,
    code: str,
) -> None:
    node, _ = anke
    onboarding, started = fresh
    with pytest.raises(InviteError) as refused:
        await onboarding.restore(backup, node.url)
    assert refused.value.code == code, str(refused.value)
    assert not onboarding.founded() and started == []


async def test_a_backup_is_not_restored_over_a_node_that_is_a_member(
    tmp_path: Path, anke: tuple[NodeProcess, str]
) -> None:
    node, backup = anke
    home = tmp_path / "anke"
    member = open_node(home)
    before = key_paths(home)[0].read_bytes()
    try:
        with pytest.raises(InviteError) as refused:
            await BrowserOnboarding(member, _never).restore(backup, node.url)
    finally:
        member.close()
    assert refused.value.code == "already_member"
    assert key_paths(home)[0].read_bytes() == before


async def test_a_whole_backup_makes_a_fresh_node_the_member_again(
    tmp_path: Path, anke: tuple[NodeProcess, str], fresh: tuple[BrowserOnboarding, list[str]]
) -> None:
    node, backup = anke
    onboarding, started = fresh
    with pytest.raises(InviteError) as unreachable:
        await onboarding.restore(backup, f"http://127.0.0.1:{free_port()}")
    assert unreachable.value.code == "bootstrap_unreachable"
    done = await onboarding.restore(backup, node.url)  # again, once the neighbour is online
    assert started == ["started"] and onboarding.founded()
    berta = key_paths(tmp_path / "berta")[1].read_bytes()
    assert key_paths(tmp_path / "new")[1].read_bytes() == berta
    assert onboarding.node.signer is not None and onboarding.node.signer.public_key == berta
    assert done["events_synced"] > 0


async def _never() -> None:
    raise AssertionError("a refused restore starts nothing")
