"""The composition root: the only place that wires adapters to ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import NaclSigner, blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.keystore import load_signer
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.adapters.recorders import open_recorder
from hearthnet.config import Config, load_config, store_url
from hearthnet.domain.types import parse_node_id
from hearthnet.projections.feeds import FeedsProjection
from hearthnet.projections.membership import MembershipProjection

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from hearthnet.projections.base import Projection

PROJECTIONS: tuple[Callable[[], Projection], ...] = (
    FeedsProjection,
    lambda: MembershipProjection(verify_ed25519),
)


@dataclass
class Node:
    """A node's parts, opened on one data directory."""

    home: Path
    config: Config
    signer: NaclSigner | None
    log: EventLog
    store_url: str
    _runner: ProjectionRunner | None = None

    @property
    def views(self) -> ProjectionRunner:
        """The projection runner (opened on first use)."""
        if self._runner is None:
            self._runner = ProjectionRunner(
                self.log, self.home / "views.sqlite", PROJECTIONS, self.store_url
            )
        return self._runner

    def close(self) -> None:
        """Close the views and the log."""
        if self._runner is not None:
            self._runner.close()
        self.log.close()


def open_node(home: Path, *, create_key: bool = False) -> Node:
    """Open the log, keys and views of a data directory."""
    home.mkdir(parents=True, exist_ok=True)
    config = load_config(home)
    signer = load_signer(home, create=create_key)
    url = store_url(home, config)
    community = parse_node_id(config.community) if config.community else None
    log = EventLog(open_recorder(url), verify_ed25519, blake3_256, community=community)
    return Node(home, config, signer, log, url)
