"""What a stranger or a member tries against one-time links, change requests and names: an
unsigned or oversized claim, guessing secrets, claiming for a key it does not hold, asking
twice, approving in another's name. Each is refused or does not count; the node goes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import msgspec
from starlette.applications import Starlette

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.adapters.request_auth import sign_request
from hearthnet.adapters.routes_node import CLAIM_PATH
from hearthnet.domain import community as c
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.invite import parse_invite
from hearthnet.domain.types import b64url
from tests.integration.test_e2e_keys import running
from tests.integration.test_governance import join, standing, write

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime


def client(runtime: NodeRuntime) -> httpx.AsyncClient:
    """The node's own routes, in process (what `hearthnet run` serves)."""
    app = Starlette(routes=runtime.routes)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node")


async def claim(runtime: NodeRuntime, signer: NaclSigner, token: str) -> httpx.Response:
    body = msgspec.json.encode({"token": token, "name": "x"})
    headers = sign_request(signer, runtime.community, runtime.me, "POST", CLAIM_PATH, body)
    async with client(runtime) as http:
        return await http.post(CLAIM_PATH, content=body, headers=headers)


async def test_claims_that_are_unsigned_oversized_or_guessed_get_nothing(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        made = await runtime.local_bus().call("community.invite", {})
        token = parse_invite(made["link"]).claim_token
        stranger = NaclSigner.generate()
        async with client(runtime) as http:
            unsigned = await http.post(CLAIM_PATH, json={"token": token})
            assert unsigned.status_code == 401
            huge = await http.post(CLAIM_PATH, content=b"x" * (9 << 20))
            assert huge.status_code in (401, 413)
        guesses = [await claim(runtime, stranger, b64url(bytes([i]) * 32)) for i in range(20)]
        assert {r.status_code for r in guesses} <= {404, 429}, "a guess finds nothing"
        malformed = await claim(runtime, stranger, "!!not base64!!")
        assert malformed.status_code in (400, 429)
        held = await claim(runtime, stranger, token)
        assert held.status_code == 200, held.text
        again = await claim(runtime, NaclSigner.generate(), token)
        assert again.status_code == 410 and "used already" in again.json()["message"]
        pending = (await runtime.local_bus().call("community.invites", {}))["invites"]
        assert not [i for i in pending if i["one_time"]], "the link is spent"


async def test_a_member_cannot_approve_or_name_itself_into_another_s_standing(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as runtime:
        anna = await join(runtime, 21, "Anna", "trusted")
        mallory = await join(runtime, 29, "Mallory")
        target = await join(runtime, 30, "Paul")
        asked = await runtime.local_bus().call(
            "community.request", {"change": "revoke", "target_node_id": target.id}
        )
        assert not asked["done"]
        rid = asked["request_id"]
        change = c.MemberRevoked(target_node_id=target.id)
        payload = c.cosign_payload(anna.community, c.MEMBER_REVOKED, change)
        forged = c.ChangeApproved(request_id=rid, signature=b64url(mallory.key.sign(payload)))
        await write(
            runtime, anna, c.CHANGE_APPROVED, encode_body(forged)
        )  # Anna's event, Mallory's signature
        await write(runtime, mallory, c.CHANGE_APPROVED, encode_body(forged))  # not trusted
        for _ in range(50):  # a flood of approvals of a request that does not exist
            junk = c.ChangeApproved(request_id="e" * 64, signature=b64url(b"\x00" * 64))
            await write(runtime, mallory, c.CHANGE_APPROVED, encode_body(junk))
        [listed] = (await runtime.local_bus().call("community.requests", {}))["requests"]
        assert len(listed["approved_by"]) == 1, listed
        await write(
            runtime, mallory, c.PROFILE_UPDATED, encode_body(c.ProfileUpdated(display_name="Anna"))
        )
        members = (await runtime.local_bus().call("community.members", {}))["members"]
        names = {m["node_id"]: m["display_name"] for m in members}
        assert names[mallory.id] == "Anna" and names[anna.id] == "Anna", "names are not ids"
        assert await standing(runtime, target.id) == "active"
