"""The address guard: caps, bans of flooding addresses, and this machine's own address."""

from __future__ import annotations

from hearthnet.adapters.http_server import (
    MAX_CONNECTIONS_PER_ADDRESS,
    REFUSALS_TO_BAN,
    AddressGuard,
)


def test_an_address_that_piles_up_refusals_is_turned_away() -> None:
    guard = AddressGuard()
    for _ in range(REFUSALS_TO_BAN - 1):
        guard.refused("10.1.2.3")
    assert guard.admits("10.1.2.3")
    guard.refused("10.1.2.3")
    assert not guard.admits("10.1.2.3")
    assert guard.admits("10.1.2.4"), "other addresses are not affected"


def test_an_address_holds_a_bounded_number_of_connections() -> None:
    guard = AddressGuard()
    guard.open["10.1.2.3"] = MAX_CONNECTIONS_PER_ADDRESS
    assert not guard.admits("10.1.2.3")
    guard.open["10.1.2.3"] -= 1
    assert guard.admits("10.1.2.3")


def test_this_machine_is_never_capped_nor_banned() -> None:
    guard = AddressGuard()
    for _ in range(REFUSALS_TO_BAN * 2):
        guard.refused("127.0.0.1")
    guard.open["127.0.0.1"] = MAX_CONNECTIONS_PER_ADDRESS * 2
    assert guard.admits("127.0.0.1") and guard.admits("::1")
