"""The mesh graph fits any number of peers: every peer is drawn and named (on its label while
few, on hover when many), with points that shrink but stay visible."""

from __future__ import annotations

import pytest

from ui.pages import mesh
from ui.pages.mesh import LABELLED, graph_options

ME = "ed25519:" + "M" * 43


def peers(count: int) -> list[dict[str, object]]:
    return [
        {
            "url": f"http://10.0.0.{i}:7447",
            "node_id": "ed25519:" + f"{i:03d}".ljust(43, "P"),
            "state": "connected" if i % 2 else "unreachable",
            "capabilities": [],
        }
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [0, 1, 4, 5, LABELLED, LABELLED + 1, 60, 250])
def test_every_peer_is_drawn_named_and_visible(count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mesh, "t", lambda key, **_: key)  # words of no connection's language
    monkeypatch.setattr(mesh, "word", lambda _, value: value)
    found = peers(count)
    names = {str(p["node_id"]): f"Nachbar {i}" for i, p in enumerate(found)}
    series = graph_options(ME, "Anke", found, names)["series"][0]
    drawn = [d for d in series["data"][1:] if d["symbolSize"]]
    assert [d["name"] for d in drawn] == [p["url"] for p in found]
    assert len(series["links"]) == count
    for i, d in enumerate(drawn):
        assert f"Nachbar {i}" in d["tooltip"]["formatter"]
        assert d["label"]["show"] == (count <= LABELLED)
        assert d["symbolSize"] >= 10
    points = {(d["x"], d["y"]) for d in drawn}
    assert len(points) == count, "no two peers on the same spot"
