"""A node's data directory opened: its config, key, log and (on first use) views."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import NaclSigner, blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.keystore import load_signer
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.adapters.store import open_recorder
from hearthnet.config import Config, load_config, store_url
from hearthnet.domain.types import parse_node_id

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from hearthnet.projections.base import Projection


@dataclass
class Node:
    """A node's parts, opened on one data directory."""

    home: Path
    config: Config
    signer: NaclSigner | None
    log: EventLog
    store_url: str
    projections: Sequence[Callable[[], Projection]]
    _runner: ProjectionRunner | None = None

    @property
    def views(self) -> ProjectionRunner:
        """The projection runner (opened on first use)."""
        if self._runner is None:
            self._runner = ProjectionRunner(
                self.log, self.home / "views.sqlite", self.projections, self.store_url
            )
        return self._runner

    def announce(self, url: str, node: str, admin_token: str) -> None:
        """Tell this machine's CLI where the running node answers, and its admin token."""
        token = self.home / "admin.token"
        with os.fdopen(os.open(token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(admin_token)
        token.chmod(0o600)
        address = {"url": url, "pid": os.getpid(), "node_id": node}
        (self.home / "node.json").write_text(json.dumps(address))

    def withdraw(self) -> None:
        """The node no longer runs: forget its address and admin token."""
        for name in ("node.json", "admin.token"):
            (self.home / name).unlink(missing_ok=True)

    def close(self) -> None:
        """Close the views and the log."""
        if self._runner is not None:
            self._runner.close()
        self.log.close()


def open_node(
    home: Path, projections: Sequence[Callable[[], Projection]], *, create_key: bool = False
) -> Node:
    """Open the log, keys and views of a data directory."""
    home.mkdir(parents=True, exist_ok=True)
    config = load_config(home)
    signer = load_signer(home, create=create_key)
    url = store_url(home, config)
    community = parse_node_id(config.community) if config.community else None
    log = EventLog(
        open_recorder(url), verify_ed25519, blake3_256, community=community, members_only=True
    )
    return Node(home, config, signer, log, url, projections)
