"""The messages page with sealed messages: the lock, a message that does not open, group
threads (create, write, add, remove, leave), and a third member's pages showing nothing of
what two others wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from nicegui import ui

from hearthnet.domain import chat
from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from tests.ui.test_pages import RETRIES, as_node, eventually, one

if TYPE_CHECKING:
    from tests.ui.conftest import Dashboard


def bubbles(d: Dashboard) -> list[str]:
    """The text of each chat bubble on the page (none yet: empty)."""
    try:
        found = d.user.find(kind=ui.chat_message).elements
    except AssertionError:
        return []
    return ["".join(getattr(part, "content", "") for part in b.descendants()) for b in found]


async def test_a_private_conversation_shows_its_lock_and_what_does_not_open(
    dashboard: Dashboard,
) -> None:
    await dashboard.add_neighbour("Anna")
    await dashboard.message_from_neighbour("Hast du Mehl?", "m1")
    assert dashboard.correspondent is not None
    body = await dashboard.correspondent.message(dashboard.runtime, "zweite", "m2")
    sent = msgspec.msgpack.decode(body, type=chat.MessageSent)
    assert isinstance(sent.body, chat.Sealed)
    broken = chat.Sealed(header=sent.body.header, ciphertext=sent.body.ciphertext[::-1])
    tampered = msgspec.structs.replace(sent, body=broken)
    await dashboard.from_neighbour(chat.MESSAGE_SENT, encode_body(tampered))
    user = dashboard.user
    await user.open("/messages")
    await user.should_see("Anna", retries=RETRIES)
    user.find(marker=f"conversation-{dashboard.neighbour.id[8:20]}").click()  # type: ignore[union-attr]
    await user.should_see("Hast du Mehl?", retries=RETRIES)
    await user.should_see(marker="private-lock", retries=RETRIES)
    assert one(user, "privacy-note").text.startswith("End-to-end encrypted: only you and Anna")
    await eventually(
        lambda: any("Could not be opened: e2e_decrypt_failed" in b for b in bubbles(dashboard)),
        15,
    )


async def test_a_group_is_made_written_to_changed_and_left(dashboard: Dashboard) -> None:
    await dashboard.add_neighbour("Anna")
    bert = await dashboard.add_member(3, "Bert")
    user = dashboard.user
    await user.open("/messages")
    await user.should_see("No groups yet.", retries=RETRIES)
    user.find(marker="new-group").click()
    await user.should_see(marker="group-name", retries=RETRIES)
    user.find(marker="group-name").type("Hausrat")
    pick = one(user, "group-pick")
    await eventually(lambda: "Anna" in pick.options.values(), 15)
    pick.set_value([dashboard.neighbour.id])  # type: ignore[union-attr]
    user.find(marker="group-create").click()
    await user.should_see("Hausrat", retries=RETRIES)
    await user.should_see(marker="group-members", retries=RETRIES)
    user.find(marker="message-text").type("Wer hat einen Akkuschrauber?")
    user.find(marker="send").click()
    await eventually(lambda: "Wer hat einen Akkuschrauber?" in bubbles(dashboard), 15)
    [group] = (await as_node(dashboard, "chat.thread.list", {}))["threads"]
    shares = await dashboard.runtime.reader.query(
        "SELECT member FROM thread_keys WHERE thread_id = :t", {"t": group["thread_id"]}
    )
    assert [s["member"] for s in shares] == [dashboard.neighbour.id]  # type: ignore[union-attr]

    user.find(marker="group-members").click()
    await user.should_see(marker="member-pick", retries=RETRIES)
    member_pick = one(user, "member-pick")
    await eventually(lambda: "Bert" in member_pick.options.values(), 15)
    member_pick.set_value(bert.author.id)
    user.find(marker="member-add").click()
    await user.should_see("3 members", retries=RETRIES)
    user.find(marker="group-members").click()
    await user.should_see(marker=f"remove-{dashboard.neighbour.id[8:20]}", retries=RETRIES)  # type: ignore[union-attr]
    user.find(marker=f"remove-{dashboard.neighbour.id[8:20]}").click()  # type: ignore[union-attr]
    await user.should_see("2 members", retries=RETRIES)
    user.find(marker="group-members").click()
    await user.should_see(marker="leave", retries=RETRIES)
    user.find(marker="leave").click()
    await user.should_see("No groups yet.", retries=RETRIES)
    history = await as_node(dashboard, "chat.thread.history", {"thread_id": group["thread_id"]})
    assert not history["member"] and dashboard.runtime.me not in history["members"]


async def test_a_third_member_s_pages_show_nothing_of_others_private_messages(
    dashboard: Dashboard,
) -> None:
    anna = dashboard.correspondent = await dashboard.add_member(2, "Anna")
    bert = await dashboard.add_member(3, "Bert")
    secret = "Der Ersatzschlüssel hängt im Schuppen"
    body = await anna.message(dashboard.runtime, secret, "s1", to=bert.author.id)
    event_id = await dashboard.write(anna.author, chat.MESSAGE_SENT, body)
    user = dashboard.user
    await user.open("/log")
    table = one(user, "events")
    await eventually(lambda: any(r["event_id"] == event_id for r in table.rows), 15)
    assert secret not in str(table.rows)
    shown = await as_node(dashboard, "log.event", {"event_id": event_id})
    assert secret not in str(shown)
    await user.open("/messages")
    await user.should_see("No messages yet.", retries=RETRIES)
    assert (await as_node(dashboard, "chat.history", {}))["messages"] == []


async def test_news_reaches_any_page_and_the_messages_tab_counts_what_is_unread(
    dashboard: Dashboard,
) -> None:
    await dashboard.add_neighbour("Anna")
    user = dashboard.user
    await user.open("/board")
    await user.should_see("Nothing on the board.", retries=RETRIES)
    await dashboard.message_from_neighbour("Bist du zuhause?", "n1")
    await eventually(lambda: "New message from Anna" in user.notify.messages, 15)
    badge = one(user, "unread-messages")
    await eventually(lambda: badge.visible and badge.text == "1", 15)
    post = m.PostCreated(client_id="e1", title="Keller unter Wasser", category="emergency")
    await dashboard.from_neighbour(m.POST_CREATED, encode_body(post))
    await eventually(lambda: "EMERGENCY: Keller unter Wasser" in user.notify.messages, 15)
    user.find(marker="nav-messages").click()
    marker = f"conversation-{dashboard.neighbour.id[8:20]}"  # type: ignore[union-attr]
    await user.should_see(marker=marker, retries=RETRIES)
    user.find(marker=f"conversation-{dashboard.neighbour.id[8:20]}").click()  # type: ignore[union-attr]
    await user.should_see("Bist du zuhause?", retries=RETRIES)
    await eventually(lambda: not badge.visible, 15)
