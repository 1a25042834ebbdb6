"""Membership rules, judged in each event's causal past."""

from __future__ import annotations

from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.domain import community as c
from hearthnet.domain import envelope
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.records import Recorded
from hearthnet.projections.community import Fold, MembershipProjection
from tests.factories import Author, community, cosign, signer

FAR = 1_790_000_000_000 + 10**9


def _fold(*raws: bytes) -> Fold:
    p = MembershipProjection(verify_ed25519)
    for raw in raws:
        p.apply(Recorded(blake3_256(raw), envelope.decode(raw), len(raw)))
    return p.fold()


def _invite(by: Author, who: Author, level: str = "member", expires: int = FAR) -> bytes:
    return by.event(
        c.MEMBER_INVITED,
        encode_body(
            c.MemberInvited(invitee_node_id=who.id, initial_level=level, expires_at=expires)
        ),
    )  # type: ignore[arg-type]


def _join(who: Author, invite: bytes) -> bytes:
    return who.event(
        c.MEMBER_JOINED, encode_body(c.MemberJoined(invite_event_id=blake3_256(invite).hex()))
    )


def _member(n: int, founder: Author) -> Author:
    return Author(signer(n), founder.community, clock=founder.clock)


def test_founder_is_the_first_anchor() -> None:
    founder, genesis = community()
    state = _fold(genesis)
    assert state.community is not None and state.community.name == "Testdorf"
    assert state.members[founder.id].level == "anchor"


def test_genesis_by_someone_else_founds_nothing() -> None:
    founder, _ = community()
    impostor = _member(5, founder)
    raw = impostor.event(
        c.COMMUNITY_CREATED, encode_body(c.CommunityCreated(name="x", founder_node_id=impostor.id))
    )
    assert _fold(raw).community is None


def test_invite_then_join() -> None:
    founder, genesis = community()
    alice = _member(1, founder)
    inv = _invite(founder, alice)
    state = _fold(genesis, inv, _join(alice, inv))
    assert state.members[alice.id].level == "member"
    assert state.invites[blake3_256(inv).hex()].status == "redeemed"


def test_join_after_expiry_or_by_the_wrong_node_is_ignored() -> None:
    founder, genesis = community()
    alice, bob = _member(1, founder), _member(2, founder)
    expired = _invite(founder, alice, expires=1)
    inv_bob = _invite(founder, bob)
    state = _fold(genesis, expired, _join(alice, expired), inv_bob, _join(alice, inv_bob))
    assert alice.id not in state.members and bob.id not in state.members


def test_members_invite_members_but_not_trusted() -> None:
    founder, genesis = community()
    alice, bob, carol = _member(1, founder), _member(2, founder), _member(3, founder)
    inv_a = _invite(founder, alice)
    raws = [genesis, inv_a, _join(alice, inv_a)]
    inv_b = _invite(alice, bob)
    inv_c = _invite(alice, carol, "trusted")
    raws += [inv_b, _join(bob, inv_b), inv_c, _join(carol, inv_c)]
    state = _fold(*raws)
    assert state.members[bob.id].level == "member"
    assert carol.id not in state.members


def test_outsiders_cannot_invite() -> None:
    founder, genesis = community()
    outsider, alice = _member(8, founder), _member(1, founder)
    inv = _invite(outsider, alice)
    assert alice.id not in _fold(genesis, inv, _join(alice, inv)).members


def _trusted_circle() -> tuple[Author, list[Author], list[bytes]]:
    founder, genesis = community()
    people = [_member(i, founder) for i in range(1, 5)]
    raws = [genesis]
    for p in people:
        inv = _invite(founder, p, "trusted" if p is not people[-1] else "member")
        raws += [inv, _join(p, inv)]
    return founder, people, raws


def test_revocation_needs_the_policy_threshold_of_trusted_cosigners() -> None:
    founder, people, raws = _trusted_circle()
    target = people[-1]
    body = c.MemberRevoked(target_node_id=target.id, reason="compromised")
    two = c.MemberRevoked(
        target_node_id=target.id,
        reason="compromised",
        co_signers=cosign(founder.community, c.MEMBER_REVOKED, body, people[0].key, people[1].key),
    )
    weak = people[0].event(c.MEMBER_REVOKED, encode_body(two))
    assert _fold(*raws, weak).members[target.id].revoked_at is None
    three = c.MemberRevoked(
        target_node_id=target.id,
        reason="compromised",
        co_signers=cosign(
            founder.community, c.MEMBER_REVOKED, body, people[0].key, people[1].key, people[2].key
        ),
    )
    strong = people[0].event(c.MEMBER_REVOKED, encode_body(three))
    state = _fold(*raws, strong)
    assert state.members[target.id].revoked_at is not None
    assert state.active(target.id) is None


def test_forged_or_repeated_cosignatures_do_not_count() -> None:
    founder, people, raws = _trusted_circle()
    target = people[-1]
    body = c.MemberRevoked(target_node_id=target.id)
    sigs = cosign(founder.community, c.MEMBER_REVOKED, body, people[0].key, people[1].key)
    forged = c.CoSignature(node_id=people[2].id, signature=sigs[0].signature)
    event = people[0].event(
        c.MEMBER_REVOKED,
        encode_body(c.MemberRevoked(target_node_id=target.id, co_signers=[*sigs, sigs[0], forged])),
    )
    assert _fold(*raws, event).members[target.id].revoked_at is None


def test_promote_and_demote() -> None:
    founder, people, raws = _trusted_circle()
    target = people[-1]
    up = c.MemberLevelChanged(target_node_id=target.id, new_level="trusted")
    promote = founder.event(
        c.MEMBER_PROMOTED,
        encode_body(
            c.MemberLevelChanged(
                target_node_id=target.id,
                new_level="trusted",
                co_signers=cosign(founder.community, c.MEMBER_PROMOTED, up, people[0].key),
            )
        ),
    )
    assert _fold(*raws, promote).members[target.id].level == "trusted"
    down = c.MemberLevelChanged(target_node_id=target.id, new_level="member")
    demote = founder.event(
        c.MEMBER_DEMOTED,
        encode_body(
            c.MemberLevelChanged(
                target_node_id=target.id,
                new_level="member",
                co_signers=cosign(
                    founder.community,
                    c.MEMBER_DEMOTED,
                    down,
                    people[0].key,
                    people[1].key,
                    people[2].key,
                ),
            )
        ),
    )
    assert _fold(*raws, promote, demote).members[target.id].level == "member"


def test_a_revoked_member_cannot_invite_afterwards() -> None:
    founder, people, raws = _trusted_circle()
    target, newcomer = people[-1], _member(9, founder)
    body = c.MemberRevoked(target_node_id=target.id)
    revoke = people[0].event(
        c.MEMBER_REVOKED,
        encode_body(
            c.MemberRevoked(
                target_node_id=target.id,
                co_signers=cosign(
                    founder.community, c.MEMBER_REVOKED, body, *(p.key for p in people[:3])
                ),
            )
        ),
    )
    inv = _invite(target, newcomer)
    assert newcomer.id not in _fold(*raws, revoke, inv, _join(newcomer, inv)).members


def test_malformed_bodies_are_skipped() -> None:
    founder, genesis = community()
    junk = founder.event(c.MEMBER_INVITED, b"\xc1")
    state = _fold(genesis, junk)
    assert not state.invites


def test_one_rule_says_why_an_invitation_would_not_count() -> None:
    founder, genesis = community()
    alice, bob = _member(1, founder), _member(2, founder)
    invite = _invite(founder, alice)
    state = _fold(genesis, invite, _join(alice, invite))
    assert c.invite_refusal(state, founder.id, bob.id, "trusted") == ""
    assert "cannot invite at level trusted" in c.invite_refusal(state, alice.id, bob.id, "trusted")
    assert "already a member" in c.invite_refusal(state, founder.id, alice.id, "member")
    assert "not an active member" in c.invite_refusal(state, bob.id, alice.id, "member")
    assert state.community is not None
    strict = c.Fold(
        community=c.CommunityCreated(
            name="x",
            founder_node_id=founder.id,
            policy=c.Policy(default_member_can_invite=False),
        ),
        community_id=founder.id,
        members=state.members,
    )
    assert "only trusted members" in c.invite_refusal(strict, alice.id, bob.id, "member")


def _named(who: Author, name: str) -> bytes:
    return who.event(c.PROFILE_UPDATED, encode_body(c.ProfileUpdated(display_name=name)))


def test_members_name_themselves_and_the_latest_name_counts() -> None:
    founder, _ = community()
    genesis = founder.event(
        c.COMMUNITY_CREATED,
        encode_body(
            c.CommunityCreated(name="Testdorf", founder_node_id=founder.id, founder_name="Greta")
        ),
    )
    alice, stranger = _member(1, founder), _member(7, founder)
    inv = _invite(founder, alice)
    joined = alice.event(
        c.MEMBER_JOINED,
        encode_body(c.MemberJoined(invite_event_id=blake3_256(inv).hex(), display_name="Ali")),
    )
    state = _fold(genesis, inv, joined)
    assert state.members[founder.id].display_name == "Greta"
    assert state.members[alice.id].display_name == "Ali"
    state = _fold(genesis, inv, joined, _named(alice, "Alice"), _named(stranger, "Alice"))
    assert state.members[alice.id].display_name == "Alice"
    assert stranger.id not in state.members, "a name makes nobody a member"


def test_a_revoked_member_cannot_rename_itself() -> None:
    founder, people, raws = _trusted_circle()
    target = people[-1]
    body = c.MemberRevoked(target_node_id=target.id)
    revoke = people[0].event(
        c.MEMBER_REVOKED,
        encode_body(
            c.MemberRevoked(
                target_node_id=target.id,
                co_signers=cosign(
                    founder.community, c.MEMBER_REVOKED, body, *(p.key for p in people[:3])
                ),
            )
        ),
    )
    before = _fold(*raws, revoke).members[target.id].display_name
    after = _fold(*raws, revoke, _named(target, "Die Gemeinde"))
    assert after.members[target.id].display_name == before


def _revocation(by: Author, target: Author, *cosigners: Author) -> bytes:
    body = c.MemberRevoked(target_node_id=target.id)
    sigs = cosign(by.community, c.MEMBER_REVOKED, body, *(p.key for p in cosigners))
    return by.event(
        c.MEMBER_REVOKED, encode_body(c.MemberRevoked(target_node_id=target.id, co_signers=sigs))
    )


def test_a_founder_alone_can_remove_a_member() -> None:
    founder, genesis = community()
    mallory = _member(1, founder)
    inv = _invite(founder, mallory)
    state = _fold(genesis, inv, _join(mallory, inv), _revocation(founder, mallory))
    assert state.active(mallory.id) is None, "one trusted member: one signature (its own)"


def test_the_threshold_grows_with_the_trusted_members_up_to_the_policy() -> None:
    founder, genesis = community()
    trusted = [_member(i, founder) for i in range(1, 5)]
    mallory = _member(9, founder)
    raws = [genesis]
    for p in [*trusted, mallory]:
        inv = _invite(founder, p, "member" if p is mallory else "trusted")
        raws += [inv, _join(p, inv)]
    two_trusted = [*raws[:3], *raws[-2:]]  # founder, trusted[0], mallory
    assert _fold(*two_trusted, _revocation(founder, mallory)).active(mallory.id) is not None
    done = _fold(*two_trusted, _revocation(founder, mallory, trusted[0]))
    assert done.active(mallory.id) is None, "two trusted members: both sign"
    five = _fold(*raws)
    assert c.needed(five, c.MEMBER_REVOKED, mallory.id) == 3, "the policy's 3 of 5"
    assert _fold(*raws, _revocation(founder, mallory, trusted[0])).active(mallory.id)
    assert not _fold(*raws, _revocation(founder, mallory, *trusted[:2])).active(mallory.id)


def test_a_target_never_signs_its_own_change() -> None:
    founder, genesis = community()
    alice = _member(1, founder)
    inv = _invite(founder, alice, "trusted")
    state = _fold(genesis, inv, _join(alice, inv))
    assert c.signers(state, alice.id) == [founder.id]
    demote = c.MemberLevelChanged(target_node_id=alice.id, new_level="member")
    sigs = cosign(founder.community, c.MEMBER_DEMOTED, demote, alice.key)
    by_herself = alice.event(
        c.MEMBER_DEMOTED,
        encode_body(
            c.MemberLevelChanged(target_node_id=alice.id, new_level="member", co_signers=sigs)
        ),
    )
    assert _fold(genesis, inv, _join(alice, inv), by_herself).members[alice.id].level == "trusted"


def _offer(by: Author, expires: int = FAR) -> bytes:
    body = c.InviteOffered(token_hash=b"\x01" * 32, expires_at=expires)
    return by.event(c.INVITE_OFFERED, encode_body(body))


def _claimed(by: Author, offer: bytes, who: Author, **over: object) -> bytes:
    fields: dict[str, object] = dict(
        invitee_node_id=who.id, expires_at=FAR, offer_id=blake3_256(offer).hex()
    )
    fields.update(over)
    return by.event(c.MEMBER_INVITED, encode_body(c.MemberInvited(**fields)))  # type: ignore[arg-type]


def test_a_one_time_link_is_claimed_once_whatever_order_the_claims_arrive_in() -> None:
    founder, genesis = community()
    first, second = _member(1, founder), _member(2, founder)
    offer = _offer(founder)
    one, two = _claimed(founder, offer, first), _claimed(founder, offer, second)
    for order in ((one, two), (two, one)):
        raws = [genesis, offer, *order, _join(first, one), _join(second, two)]
        state = _fold(*raws)
        assert first.id in state.members and second.id not in state.members
        assert state.offers[blake3_256(offer).hex()].claimed_by == first.id


def test_an_expired_or_foreign_link_claims_nothing() -> None:
    founder, genesis = community()
    alice, bob = _member(1, founder), _member(2, founder)
    inv = _invite(founder, alice)
    late_offer = _offer(founder, expires=1_790_000_000_000)  # before the claim's time
    late = _claimed(founder, late_offer, bob)
    state = _fold(genesis, inv, _join(alice, inv), late_offer, late, _join(bob, late))
    assert bob.id not in state.members, "claimed after its expiry"
    offer = _offer(founder)
    foreign = _claimed(alice, offer, bob)  # another member names someone through it
    state = _fold(genesis, inv, _join(alice, inv), offer, foreign, _join(bob, foreign))
    assert bob.id not in state.members, "only the offer's own author claims it"


def test_an_invitation_or_link_taken_back_admits_nobody() -> None:
    founder, genesis = community()
    alice, bob, mallory = _member(1, founder), _member(2, founder), _member(3, founder)
    inv = _invite(founder, alice)
    take_back = founder.event(
        c.INVITE_REVOKED,
        encode_body(c.InviteRevoked(invite_event_id=blake3_256(inv).hex())),
    )
    state = _fold(genesis, inv, take_back, _join(alice, inv))
    assert (
        alice.id not in state.members and state.invites[blake3_256(inv).hex()].status == "revoked"
    )
    offer = _offer(founder)
    by_stranger = mallory.event(
        c.INVITE_REVOKED, encode_body(c.InviteRevoked(invite_event_id=blake3_256(offer).hex()))
    )
    withdrawn = founder.event(
        c.INVITE_REVOKED, encode_body(c.InviteRevoked(invite_event_id=blake3_256(offer).hex()))
    )
    claim = _claimed(founder, offer, bob)
    assert bob.id in _fold(genesis, offer, by_stranger, claim, _join(bob, claim)).members
    assert bob.id not in _fold(genesis, offer, withdrawn, claim, _join(bob, claim)).members
