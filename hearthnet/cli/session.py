"""Opening the node of the data directory (`HEARTHNET_HOME`) for one command."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from hearthnet.bootstrap import Node, open_node
from hearthnet.cli.output import Failure
from hearthnet.config import data_home

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def node_session(*, create_key: bool = False, need_community: bool = False) -> Iterator[Node]:
    """Open the node for the duration of a command and close it after."""
    node = open_node(data_home(), create_key=create_key)
    try:
        if need_community and (node.signer is None or not node.config.community):
            raise Failure("this node has no community yet: run `hearthnet init --name NAME`")
        yield node
    finally:
        node.close()
