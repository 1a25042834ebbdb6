"""The worked example of docs/ARCHITECTURE.md, run: a feature written only as its own modules
(here inline: an event, a command and a rule; a read model; two handlers) is served by a real
runtime next to the others once it is in the feature list, and its rule refuses before
anything is signed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import pytest

from hearthnet.adapters.node_home import open_node
from hearthnet.adapters.onboarding import found_community
from hearthnet.adapters.runtime import NodeRuntime, RunOptions
from hearthnet.bootstrap import CAPABILITIES, FEATURES, PROJECTIONS, REACTIONS, Feature
from hearthnet.domain.bodies import decode_body, encode_body
from hearthnet.domain.capability import BusError
from hearthnet.projections.base import Table, Writes
from hearthnet.services.bus import Capability
from hearthnet.services.context import Nothing
from tests.e2e.cluster import free_port

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from hearthnet.domain.records import ForkRecord, Recorded
    from hearthnet.projections.base import Row
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext

# domain/notes.py: the event, the command, the rule
NOTE_PINNED = "notes.pinned"


class NotePinned(msgspec.Struct, frozen=True, kw_only=True):
    """A member pinned a note to the community's wall."""

    text: str


class Pin(msgspec.Struct, frozen=True, kw_only=True):
    """Command: pin a note."""

    text: Annotated[str, msgspec.Meta(max_length=280)]


def pin_refusal(text: str) -> str:
    """Why a note may not be pinned ('' when it may)."""
    return "" if text.strip() else "a note says something"


# projections/notes.py: the read model
NOTES = Table("notes", ("event_id", "author", "text"))


class NotesProjection:
    name = "notes"
    tables = (NOTES,)

    def __init__(self) -> None:
        self._rows: list[Row] = []

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Rows are written as they come."""

    def apply(self, recorded: Recorded) -> None:
        if recorded.event.type == NOTE_PINNED:
            note = decode_body(recorded.event.body, NotePinned)
            if note is not None:
                self._rows.append((recorded.id.hex(), recorded.event.author.hex(), note.text))

    def fork(self, proof: ForkRecord) -> None:
        """Nothing to do: the runner rebuilds without frozen events."""

    def flush(self) -> Writes:
        writes, self._rows = Writes({NOTES.name: self._rows}), []
        return writes


# services/notes.py: the handlers
async def pin(call: Call, node: NodeContext) -> dict[str, Any]:
    command: Pin = call.input
    refusal = pin_refusal(command.text)
    if refusal:
        raise BusError("bad_request", refusal)
    recorded = await node.append(NOTE_PINNED, encode_body(NotePinned(text=command.text)))
    return {"event_id": recorded.id.hex()}


async def wall(call: Call, node: NodeContext) -> dict[str, Any]:
    return {"notes": await node.query("SELECT text FROM notes ORDER BY text", {})}


CAPABILITIES_OF_NOTES = (
    Capability("notes.pin", "self", Pin, pin),
    Capability("notes.wall", "member", Nothing, wall),
)

# bootstrap.py: the one line in FEATURES
NOTES_FEATURE = Feature(
    "notes", {NOTE_PINNED: NotePinned}, (NotesProjection,), CAPABILITIES_OF_NOTES
)


async def test_a_new_feature_is_its_modules_plus_one_line(tmp_path: Path) -> None:
    assert NOTES_FEATURE.name not in {f.name for f in FEATURES}
    node = open_node(tmp_path, (*PROJECTIONS, *NOTES_FEATURE.projections), create_key=True)
    found_community(node, "Wall")
    capabilities = (*CAPABILITIES, *NOTES_FEATURE.capabilities)
    runtime = NodeRuntime(
        node, RunOptions(port=free_port(), discovery=False), capabilities, REACTIONS
    )
    await runtime.start()
    try:
        head = node.log.max_lamport
        with pytest.raises(BusError, match="a note says something"):
            await runtime.local_bus().call("notes.pin", {"text": "  "})
        assert node.log.max_lamport == head, "a refused command signs nothing"
        await runtime.local_bus().call("notes.pin", {"text": "Water at the school"})
        wall_now = await runtime.local_bus().call("notes.wall", {})
        assert wall_now == {"notes": [{"text": "Water at the school"}]}
        board = await runtime.local_bus().call("market.list", {})
        assert board["posts"] == [], "the other features are served alongside"
    finally:
        await runtime.stop()
        node.close()
