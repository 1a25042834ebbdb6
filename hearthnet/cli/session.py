"""What a command gets from the composition root (through click's context), opening the node
of the data directory (`HEARTHNET_HOME`) for one command, and acting as its operator."""

from __future__ import annotations

import asyncio
import importlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from hearthnet.adapters.node_context import call_here
from hearthnet.adapters.node_home import Node, open_node
from hearthnet.cli.output import Failure
from hearthnet.cli.running import CallFailure, call, running_node
from hearthnet.config import data_home
from hearthnet.domain.capability import BusError

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterator, Sequence

    from hearthnet.adapters.runtime import RunOptions
    from hearthnet.projections.base import Projection
    from hearthnet.services.bus import Capability


@dataclass(frozen=True)
class Wiring:
    """The features as the composition root wired them, handed to every command."""

    projections: Sequence[Callable[[], Projection]]
    capabilities: Sequence[Capability]
    serve: Callable[[Node, RunOptions], Coroutine[Any, Any, None]]


def wiring() -> Wiring:
    """The features as the composition root wires them (loaded by the commands that open the
    node, not by those that only ask the running one)."""
    found = click.get_current_context().find_object(Wiring)
    if found is not None:
        return found
    wired: Wiring = importlib.import_module("hearthnet.bootstrap").WIRING
    return wired


@contextmanager
def node_session(*, create_key: bool = False, need_community: bool = False) -> Iterator[Node]:
    """Open the node for the duration of a command and close it after."""
    node = open_node(data_home(), wiring().projections, create_key=create_key)
    try:
        if need_community and (node.signer is None or not node.config.community):
            raise Failure("this node has no community yet: run `hearthnet init --name NAME`")
        yield node
    finally:
        node.close()


def act(ref: str, data: dict[str, Any]) -> dict[str, Any]:
    """Call a capability as this node's operator: on the running node, or in-process on the
    data directory when no node runs. Either way the feature's own handler decides."""
    if running_node(data_home()) is not None:
        output: dict[str, Any] = call(ref, data)["output"]
        return output
    with node_session(need_community=True) as node:
        try:
            return asyncio.run(call_here(node, wiring().capabilities, ref, data, []))
        except BusError as exc:
            raise CallFailure(exc.code, exc.message) from None
