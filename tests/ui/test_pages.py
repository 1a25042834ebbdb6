"""Every page and form of the dashboard, valid and invalid input, on a real node's ports."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from nicegui import ui

from hearthnet.adapters.keyring import x25519_from_ed25519
from hearthnet.adapters.onboarding import found_community
from hearthnet.adapters.verification import Checked
from hearthnet.domain import community as c
from hearthnet.domain import e2e, envelope
from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.invite import parse_invite
from hearthnet.domain.types import b64url, node_id
from tests.e2e.cluster import free_port
from tests.factories import signer
from tests.ui.conftest import call_as_node

if TYPE_CHECKING:
    from nicegui.testing import User

    from tests.ui.conftest import Dashboard

RETRIES = 300  # a tenth of a second each: 30 s, for a busy machine


def one(user: User, marker: str) -> Any:
    """The single element with this marker."""
    elements = user.find(marker=marker).elements
    assert len(elements) == 1, f"{len(elements)} elements marked {marker}"
    return next(iter(elements))


async def eventually(check: Any, seconds: float = 30.0) -> None:
    """Wait until check() holds."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


async def options_hold(user: User, marker: str, label: str) -> None:
    """Wait until a select offers an option with this label."""
    await eventually(lambda: label in one(user, marker).options.values())


async def as_node(d: Dashboard, ref: str, data: dict[str, Any]) -> dict[str, Any]:
    """Call a capability as the dashboard's node; return its output."""
    return await call_as_node(d.runtime, ref, data)


def neighbour_id(d: Dashboard) -> str:
    assert d.neighbour is not None
    return d.neighbour.id


async def board_titles(d: Dashboard) -> list[str]:
    out = await as_node(d, "market.list", {})
    return [p["title"] for p in out["posts"]]


# --- header and navigation


async def test_header_shows_community_node_and_mesh_state(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/")
    await user.should_see("Testdorf", retries=RETRIES)
    await user.should_see("no peers reachable", retries=RETRIES)
    user.find(marker="nav-board").click()
    await user.should_see(marker="new-post", retries=RETRIES)


async def test_german_strings_from_the_query_and_the_browser(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/board?lang=de")
    await user.should_see("Neuer Beitrag", retries=RETRIES)
    await user.should_see("Nachrichten", retries=RETRIES)


async def test_emergency_posts_fill_the_banner(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/")
    await user.should_not_see(marker="emergency")
    post = m.PostCreated(client_id="e1", category="emergency", title="Deich bricht")
    await as_node(dashboard, "market.post", _plain(post))
    await user.should_see("EMERGENCY: Deich bricht", retries=RETRIES)


def _plain(post: m.PostCreated) -> dict[str, Any]:
    import msgspec

    plain: dict[str, Any] = msgspec.to_builtins(post)
    return plain


# --- mesh


async def test_mesh_adds_a_peer_and_refuses_a_bad_url(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/")
    await user.should_see(marker="topology", retries=RETRIES)
    user.find(marker="peer-url").type("ftp://nowhere")
    user.find(marker="add-peer").click()
    field = one(user, "peer-url")
    await eventually(lambda: field.error == "starts with http:// or https://")
    assert "ftp://nowhere" not in dashboard.runtime.peers.peers
    user.find(marker="peer-url").clear().type("http://127.0.0.1:9")
    user.find(marker="add-peer").click()
    await user.should_see("Peer added: http://127.0.0.1:9", retries=RETRIES)
    table = one(user, "peers")
    await eventually(lambda: [r["url"] for r in table.rows] == ["http://127.0.0.1:9"])
    chart = one(user, "topology")
    drawn = lambda: [d for d in chart.options["series"][0]["data"] if d["symbolSize"]]  # noqa: E731
    await eventually(lambda: len(drawn()) == 2)


# --- board


async def test_board_publishes_a_valid_post(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/board")
    user.find(marker="new-post").click()
    user.find(marker="post-title").type("Leiter zu verleihen")
    user.find(marker="post-body").type("Drei Meter, Alu")
    user.find(marker="post-tags").type("werkzeug, leiter")
    user.find(marker="publish").click()
    await user.should_see("Posted: Leiter zu verleihen", retries=RETRIES)
    await user.should_see("Leiter zu verleihen", retries=RETRIES)
    assert await board_titles(dashboard) == ["Leiter zu verleihen"]
    await user.should_see("werkzeug", retries=RETRIES)


async def test_board_refuses_an_empty_title_and_too_many_tags(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/board")
    user.find(marker="new-post").click()
    user.find(marker="publish").click()
    await eventually(lambda: one(user, "post-title").error == "required")
    user.find(marker="post-title").type("Tags")
    user.find(marker="post-tags").type(",".join(f"t{i}" for i in range(11)))
    user.find(marker="publish").click()
    await eventually(lambda: one(user, "post-tags").error is not None)
    await asyncio.sleep(0.2)
    assert await board_titles(dashboard) == []


async def test_board_filters_by_category_tag_and_words(dashboard: Dashboard) -> None:
    for i, (category, title, tags) in enumerate(
        [("offer", "Kartoffeln", ["essen"]), ("request", "Suche Fahrrad", ["rad"])]
    ):
        post = m.PostCreated(client_id=f"p{i}", category=category, title=title, tags=tags)  # type: ignore[arg-type]
        await as_node(dashboard, "market.post", _plain(post))
    user = dashboard.user
    await user.open("/board")
    await user.should_see("Kartoffeln", retries=RETRIES)
    await user.should_see("Suche Fahrrad", retries=RETRIES)
    user.find(marker="filter-category").click()
    user.find("request").click()
    await user.should_not_see("Kartoffeln", retries=RETRIES)
    await user.should_see("Suche Fahrrad", retries=RETRIES)
    user.find(marker="filter-category").click()
    user.find("all").click()
    user.find(marker="filter-tag").type("essen")
    await user.should_not_see("Suche Fahrrad", retries=RETRIES)
    await user.should_see("Kartoffeln", retries=RETRIES)
    user.find(marker="filter-tag").clear()
    user.find(marker="search").type("fahrrad")
    await user.should_not_see("Kartoffeln", retries=RETRIES)
    await user.should_see("Suche Fahrrad", retries=RETRIES)


async def test_board_fulfils_own_posts_only(dashboard: Dashboard) -> None:
    await dashboard.add_neighbour()
    theirs = m.PostCreated(client_id="n1", title="Nachbars Apfel")
    await dashboard.from_neighbour(m.POST_CREATED, encode_body(theirs))
    mine = m.PostCreated(client_id="m1", title="Meine Birne")
    await as_node(dashboard, "market.post", _plain(mine))
    user = dashboard.user
    await user.open("/board")
    await user.should_see("Nachbars Apfel", retries=RETRIES)
    assert len(user.find(marker="fulfil").elements) == 1
    user.find(marker="fulfil").click()
    await user.should_not_see("Meine Birne", retries=RETRIES)
    assert await board_titles(dashboard) == ["Nachbars Apfel"]


async def test_board_dates_posts_asks_before_withdrawing_and_leads_to_the_author(
    dashboard: Dashboard,
) -> None:
    neighbour = await dashboard.add_neighbour("Anna")
    theirs = m.PostCreated(client_id="n1", title="Nachbars Apfel")
    await dashboard.from_neighbour(m.POST_CREATED, encode_body(theirs))
    await as_node(dashboard, "market.post", _plain(m.PostCreated(client_id="m1", title="Birne")))
    user = dashboard.user
    await user.open("/board")
    await user.should_see("Nachbars Apfel", retries=RETRIES)
    assert {d.text for d in user.find(marker="post-date").elements} == {"· just now"}
    user.find(marker="withdraw").click()
    await user.should_see(marker="confirm-withdraw", retries=RETRIES)
    await user.should_see("Take “Birne” off the board?", retries=RETRIES)
    assert sorted(await board_titles(dashboard)) == ["Birne", "Nachbars Apfel"], "not yet"
    user.find(marker="confirm").click()
    await user.should_not_see("Birne", retries=RETRIES)
    user.find(marker="message-author").click()
    await user.should_see(marker="private-lock", retries=RETRIES)
    assert one(user, "privacy-note").text.endswith("only you and Anna can read these messages.")
    user.find(marker="message-text").type("Ist der Apfel noch da?")
    user.find(marker="send").click()
    await eventually(lambda: one(user, "message-text").value == "")
    assert not one(user, "message-text").error, "a sent message leaves the field clean"
    history = await as_node(dashboard, "chat.history", {"peer": neighbour.id})
    assert [h["body"] for h in history["messages"]] == ["Ist der Apfel noch da?"]


async def test_board_shows_a_post_stored_from_another_node_without_reload(
    dashboard: Dashboard,
) -> None:
    await dashboard.add_neighbour()
    user = dashboard.user
    await user.open("/board")
    await user.should_see("Nothing on the board.", retries=RETRIES)
    post = m.PostCreated(client_id="live", title="Frisch gebacken")
    await dashboard.from_neighbour(m.POST_CREATED, encode_body(post))
    await user.should_see("Frisch gebacken", retries=RETRIES)


# --- messages


async def test_messages_thread_send_and_read_state(dashboard: Dashboard) -> None:
    await dashboard.add_neighbour("Anna")
    await dashboard.message_from_neighbour("Hast du Mehl?")
    user = dashboard.user
    await user.open("/messages")
    await user.should_see("1 unread", retries=RETRIES)
    user.find(marker=f"conversation-{neighbour_id(dashboard)[8:20]}").click()
    await user.should_see("Hast du Mehl?", retries=RETRIES)
    await user.should_not_see("1 unread", retries=RETRIES)
    history = await as_node(dashboard, "chat.history", {})
    received = history["messages"][0]
    assert received["read_at"] is not None
    user.find(marker="message-text").type("Ja, komm vorbei")
    user.find(marker="send").click()

    def stamps_of_mine() -> list[str]:
        bubbles = user.find(kind=ui.chat_message).elements
        return [b.props["stamp"] for b in bubbles if b.props.get("sent")]

    await eventually(lambda: len(stamps_of_mine()) == 1)
    assert stamps_of_mine()[0].endswith("· sent")


async def test_a_conversation_shows_the_safety_number_to_compare(dashboard: Dashboard) -> None:
    neighbour = await dashboard.add_neighbour("Anna")
    theirs = x25519_from_ed25519(neighbour.key.public_key)
    keys = e2e.PrekeysPublished(identity=theirs, signed_prekey=e2e.Prekey(id=1, key=b"\x05" * 32))
    await dashboard.from_neighbour(e2e.PREKEYS_PUBLISHED, encode_body(keys))
    await dashboard.message_from_neighbour("Hallo")
    user = dashboard.user
    await user.open("/messages")
    await user.should_see("1 unread", retries=RETRIES)
    user.find(marker=f"conversation-{neighbour.id[8:20]}").click()
    await user.should_see(marker="safety-number", retries=RETRIES)
    user.find(marker="safety-number").click()
    await user.should_see(marker="safety-digits", retries=RETRIES)
    mine = x25519_from_ed25519(dashboard.runtime.signer.public_key)
    expected = e2e.safety_number(neighbour.id, theirs, dashboard.runtime.me, mine)
    assert one(user, "safety-digits").text == expected


async def test_messages_refuse_an_empty_message(dashboard: Dashboard) -> None:
    await dashboard.add_neighbour("Anna")
    user = dashboard.user
    await user.open("/messages")
    await options_hold(user, "pick-member", "Anna")
    user.find(marker="pick-member").click()
    user.find("Anna").click()
    user.find(marker="send").click()
    await eventually(lambda: one(user, "message-text").error == "required")
    history = await as_node(dashboard, "chat.history", {})
    assert history["messages"] == []


async def test_message_from_another_node_appears_without_reload(dashboard: Dashboard) -> None:
    await dashboard.add_neighbour("Anna")
    user = dashboard.user
    await user.open("/messages")
    await user.should_see("No messages yet.", retries=RETRIES)
    await dashboard.message_from_neighbour("Strom ist weg")
    await user.should_see("1 unread", retries=RETRIES)


# --- log


async def test_log_pages_filters_and_shows_an_event(dashboard: Dashboard) -> None:
    for i in range(60):
        post = m.PostCreated(client_id=f"p{i}", title=f"Post {i}")
        await as_node(dashboard, "market.post", _plain(post))
    user = dashboard.user
    await user.open("/log")
    table = one(user, "events")
    await eventually(lambda: len(table.rows) == 50)
    assert table.rows[0]["type"] == "market.post.created"
    newest = table.rows[0]["lamport"]
    user.find(marker="older").click()
    await eventually(lambda: len(table.rows) == 12 and table.rows[0]["lamport"] == newest - 50)
    assert table.rows[-1]["type"] == "community.created"
    user.find(marker="filter-type").click()
    user.find("community.created").click()
    await eventually(lambda: [r["type"] for r in table.rows] == ["community.created"])
    user.find(marker="events").trigger("rowClick", [{}, table.rows[0], 0])
    await user.should_see(marker="event-detail", retries=RETRIES)
    status = one(user, "signature-status")
    assert status.text == "canonical: valid, signature: valid, chain: valid"


async def test_log_refuses_a_bad_time_filter(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/log")
    table = one(user, "events")
    await eventually(lambda: len(table.rows) == 2)  # the genesis and this node's keys
    user.find(marker="filter-since").type("gestern")
    await eventually(lambda: one(user, "filter-since").error is not None)
    assert len(table.rows) == 2
    user.find(marker="filter-since").clear().type("2999-01-01")
    await eventually(lambda: len(table.rows) == 0)


async def test_log_verify_shows_progress_and_a_clean_result(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/log")
    user.find(marker="verify").click()
    await user.should_see("Log verified: 2 events, clean", retries=RETRIES)
    assert one(user, "progress").value == 1


async def test_a_damaged_log_shows_in_the_header_and_on_the_log_page(
    dashboard: Dashboard,
) -> None:
    user = dashboard.user
    await user.open("/log")
    await user.should_see("Testdorf", retries=RETRIES)
    await user.should_not_see(marker="damaged")
    neighbour = await dashboard.add_neighbour()
    neighbour.clock[0] = dashboard.runtime.node.log.max_lamport
    body = encode_body(m.PostCreated(client_id="poison", title="Overflow"))
    raw = neighbour.event(m.POST_CREATED, body, ts=2**63 - 1_000)
    log = dashboard.runtime.node.log
    await asyncio.to_thread(log.write, [Checked(raw, envelope.decode(raw), log.hash(raw))])
    await dashboard.runtime.refresh_views()
    await user.should_see(marker="damaged", retries=RETRIES)
    user.find(marker="verify").click()
    await user.should_see("events a view could not take: 1", retries=RETRIES)


async def test_log_tails_events_from_another_node_and_marks_forks(dashboard: Dashboard) -> None:
    neighbour = await dashboard.add_neighbour()
    user = dashboard.user
    await user.open("/log")
    table = one(user, "events")
    await eventually(lambda: len(table.rows) == 5)
    await dashboard.from_neighbour("test.note", b"\x80")
    await eventually(lambda: len(table.rows) == 6)
    await eventually(lambda: table.rows[0]["who"] == "Nachbarin")  # named, not an id
    forked = neighbour.fork(2, neighbour_prev(dashboard, neighbour))
    report = await dashboard.runtime.writer.ingest([forked])
    assert report.stored or report.forks, report
    await dashboard.runtime.refresh_views()
    feeds = one(user, "feeds")
    await eventually(lambda: any(r["fork"].startswith("FORK") for r in feeds.rows))


def neighbour_prev(d: Dashboard, neighbour: Any) -> bytes:
    """The id of the neighbour's first event (what its seq 2 links to)."""
    raw = d.runtime.node.log.raw_at(neighbour.key.public_key, 1)
    assert raw is not None
    return d.runtime.node.log.hash(raw)


# --- community


async def test_community_invite_with_link_and_qr(dashboard: Dashboard) -> None:

    user = dashboard.user
    await user.open("/community")
    await user.should_see(marker="members", retries=RETRIES)
    invitee = node_id(signer(7).public_key)
    user.find(marker="invitee").type(invitee)
    user.find(marker="invite").click()
    await user.should_see(marker="qr", retries=RETRIES)
    link = one(user, "invite-link").value
    invite = parse_invite(link)
    assert invite.invitee_node_id == invitee
    assert invite.community_name == "Testdorf"
    assert invite.bootstrap_endpoints == [dashboard.runtime.url]


async def test_community_makes_a_one_time_link_without_an_id(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/community")
    await user.should_see(marker="members", retries=RETRIES)
    user.find(marker="invitee-name").type("Nachbarin")
    user.find(marker="invite").click()
    await user.should_see(marker="qr", retries=RETRIES)
    await user.should_see(marker="copy-link", retries=RETRIES)
    invite = parse_invite(one(user, "invite-link").value)
    assert invite.invitee_node_id == "" and invite.claim_token
    assert invite.bootstrap_endpoints == [dashboard.runtime.url]


async def test_community_refuses_a_bad_invitee(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/community")
    user.find(marker="invitee").type("bob")
    user.find(marker="invite").click()
    await eventually(lambda: one(user, "invitee").error == "a node id looks like ed25519:…")
    await user.should_not_see(marker="qr")


async def test_community_changes_at_once_or_asks_and_approves_by_one_click(
    dashboard: Dashboard,
) -> None:
    anna = await dashboard.add_neighbour("Anna")
    bert = (await dashboard.add_member(3, "Bert")).author
    carl = (await dashboard.add_member(4, "Carl")).author
    user = dashboard.user
    await user.open("/community")
    await options_hold(user, "change-target", "Anna")
    one(user, "change-target").set_value(anna.id)
    user.find(marker="apply-change").click()
    await user.should_see("Done: the change is recorded.", retries=RETRIES)

    one(user, "change-kind").set_value("revoke")
    one(user, "change-target").set_value(bert.id)
    user.find(marker="apply-change").click()
    await user.should_see("one more approval is needed, from Anna", retries=RETRIES)
    members = await as_node(dashboard, "community.members", {})
    standing = {m["node_id"]: m["status"] for m in members["members"]}
    assert standing[bert.id] == "active", "asked, not recorded"
    [request] = (await as_node(dashboard, "community.requests", {}))["requests"]
    change = c.MemberRevoked(target_node_id=bert.id)
    payload = c.cosign_payload(anna.community, c.MEMBER_REVOKED, change)
    approved = c.ChangeApproved(
        request_id=request["request_id"], signature=b64url(anna.key.sign(payload))
    )
    await dashboard.from_neighbour(c.CHANGE_APPROVED, encode_body(approved))

    async def bert_revoked() -> bool:
        members = await as_node(dashboard, "community.members", {})
        return {m["node_id"]: m["status"] for m in members["members"]}[bert.id] == "revoked"

    for _ in range(200):
        if await bert_revoked():
            break
        await asyncio.sleep(0.05)
    assert await bert_revoked(), "Anna's approval was enough: this node recorded the revocation"

    asked = c.ChangeRequested(change="revoke", target_node_id=carl.id)
    rid = await dashboard.from_neighbour(c.CHANGE_REQUESTED, encode_body(asked))
    await user.open("/community")
    await user.should_see(marker=f"approve-{rid[:12]}", retries=RETRIES)
    user.find(marker=f"approve-{rid[:12]}").click()
    await user.should_see("2 of 2 approved", retries=RETRIES)
    await user.should_not_see(marker=f"approve-{rid[:12]}", retries=RETRIES)


# --- onboarding


async def test_onboarding_founds_a_community(onboarding: Any) -> None:
    user = onboarding.user
    await user.open("/")
    await user.should_see("Welcome to HearthNet", retries=RETRIES)
    user.find(marker="create").click()
    await eventually(lambda: one(user, "community-name").error == "required")
    assert onboarding.host.node is None
    user.find(marker="community-name").type("Neustadt")
    user.find(marker="create").click()
    await eventually(lambda: one(user, "founder-name").error == "required")
    assert onboarding.host.node is None, "a founder is asked for a name"
    user.find(marker="founder-name").type("Greta")
    user.find(marker="create").click()
    await user.should_see("You founded Neustadt!", retries=RETRIES)
    assert onboarding.host.node is not None
    members = await onboarding.host.node.bus.call("community.members", {})
    assert [m["display_name"] for m in members["members"]] == ["Greta"]
    await user.open("/")
    await user.should_see("Neustadt", retries=RETRIES)
    await user.should_see(marker="topology", retries=RETRIES)


async def test_onboarding_refuses_bad_links_with_their_code(onboarding: Any) -> None:
    user = onboarding.user
    await user.open("/")
    user.find(marker="invite-link").type("https://example.org")
    user.find(marker="join").click()
    await eventually(
        lambda: one(user, "invite-link").error == "an invite link starts with hearthnet://v1/"
    )
    user.find(marker="invite-link").clear().type("hearthnet://v1/garbage")
    user.find(marker="join").click()
    await user.should_see("This invite link is damaged or incomplete", retries=RETRIES)
    assert any(m.startswith("This invite link") for m in user.notify.messages)
    assert onboarding.host.node is None


async def test_a_founded_node_that_is_still_starting_never_shows_onboarding(
    onboarding: Any,
) -> None:
    founded = found_community(onboarding.host.onboarding.node, "Altdorf", founder_name="Olga")
    assert founded["community_name"] == "Altdorf"
    user = onboarding.user
    await user.open("/board")
    await user.should_see("The node is starting…", retries=RETRIES)
    await user.should_not_see("Welcome to HearthNet")
    await onboarding.host.onboarding.start()
    await user.should_see("Altdorf", retries=RETRIES)


async def test_german_pages_say_levels_and_states_in_german(dashboard: Dashboard) -> None:
    await dashboard.add_neighbour("Anna")
    user = dashboard.user
    await user.open("/community?lang=de")
    table = one(user, "members")
    await eventually(lambda: len(table.rows) == 2, 15)
    assert {(r["level"], r["status"]) for r in table.rows} == {
        ("Anker", "aktiv"),
        ("Mitglied", "aktiv"),
    }


async def test_a_founder_alone_is_shown_the_next_step_and_an_empty_search_says_why(
    dashboard: Dashboard,
) -> None:
    user = dashboard.user
    await user.open("/")
    await user.should_see("Next: invite a neighbour", retries=RETRIES)
    user.find(marker="invite-neighbour").click()
    await user.should_see(marker="invitee", retries=RETRIES)
    await dashboard.add_neighbour("Anna")
    await user.open("/")
    await user.should_see(marker="topology", retries=RETRIES)
    await user.should_not_see(marker="next-step", retries=RETRIES)
    await user.open("/board")
    user.find(marker="search").type("Fahrrad")
    await user.should_see("No post matches “Fahrrad”.", retries=RETRIES)


async def test_a_dead_peer_can_be_forgotten(dashboard: Dashboard) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    await as_node(dashboard, "mesh.peer.add", {"url": dead})
    user = dashboard.user
    await user.open("/")
    await user.should_see(f"Forget {dead}", retries=100)
    user.find(marker="forget-peer").click()
    await user.should_not_see(f"Forget {dead}", retries=RETRIES)
    assert (await as_node(dashboard, "mesh.peers", {}))["peers"] == []


async def test_settings_rename_and_show_the_key_backup(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/settings")
    user.find(marker="save-name").click()
    await eventually(lambda: one(user, "my-name").error == "required")
    user.find(marker="my-name").type("Greta")
    user.find(marker="save-name").click()
    await user.should_see("You are now called Greta", retries=RETRIES)
    members = await as_node(dashboard, "community.members", {})
    assert [m["display_name"] for m in members["members"]] == ["Greta"]
    user.find(marker="show-backup").click()
    await user.should_see(marker="backup-qr", retries=RETRIES)
    text = one(user, "backup-text").value
    assert text == "hearthnet-key://v1/" + b64url(dashboard.runtime.signer.seed)
    await user.should_see(marker="download-backup", retries=RETRIES)


async def test_pending_invites_are_listed_and_taken_back(dashboard: Dashboard) -> None:
    user = dashboard.user
    await user.open("/community")
    await user.should_see("No pending invites.", retries=RETRIES)
    user.find(marker="invitee-name").type("Nachbarin")
    user.find(marker="invite").click()
    await user.should_see("One-time link (Nachbarin)", retries=RETRIES)
    [pending] = (await as_node(dashboard, "community.invites", {}))["invites"]
    user.find(marker=f"take-back-{pending['invite_event_id'][:12]}").click()
    await user.should_see("No pending invites.", retries=RETRIES)
    assert (await as_node(dashboard, "community.invites", {}))["invites"] == []
