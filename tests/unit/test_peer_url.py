"""Peer URLs come from config, peers, manifests, zeroconf and people: one parser checks them."""

from __future__ import annotations

import pytest

from hearthnet.domain.types import InvalidIdentifier, parse_peer_url


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("http://127.0.0.1:7080/", "http://127.0.0.1:7080"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("http://hof-sued.local", "http://hof-sued.local"),
        ("http://büdchen.example", "http://büdchen.example"),
    ],
)
def test_accepts_base_urls(text: str, url: str) -> None:
    assert parse_peer_url(text) == url


@pytest.mark.parametrize(
    "text",
    [
        "ftp://127.0.0.1",
        "http://",
        "127.0.0.1:7080",
        "http://bad host",
        "http://a%20b",
        "http://user:pw@host",
        "http://host:99999",
        "http://host:0",
        "http://host/?q=1",
        "https://mesh.example/node-a",
        "http://h:1/../x",
        "http://\U0003575f",
        "http://" + "a" * 400,
    ],
)
def test_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidIdentifier):
        parse_peer_url(text)
