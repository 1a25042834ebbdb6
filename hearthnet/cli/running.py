"""Talking to the node that runs on this data directory: its admin API and its bus."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from hearthnet.cli.output import Failure, emit_json
from hearthnet.config import data_home

if TYPE_CHECKING:
    from pathlib import Path

EXIT_FOR_ERROR = {
    "bad_request": 2,
    "schema_mismatch": 2,
    "invalid_signature": 4,
    "unauthorized": 4,
    "revoked": 4,
    "capacity_exceeded": 5,
}


class CallFailure(Failure):
    """A capability call that came back with a wire error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code

    def exit_status(self) -> int:
        """The exit code for this wire error."""
        return EXIT_FOR_ERROR.get(self.code, 1)


class NoNode(Failure):
    """No node runs on this data directory."""

    exit_code = 3


def call(ref: str, data: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> Any:
    """Call a capability on the running node as this node's owner; return its output."""
    found = running_node(data_home())
    if found is None:
        raise NoNode("no node is running on this data directory: start `hearthnet run`")
    url, token = found
    try:
        response = httpx.post(
            f"{url}/bus/v1/call",
            json={"params": params or {}, "input": data or {}},
            headers={"authorization": f"Bearer {token}", "x-hearthnet-capability": ref},
            timeout=60.0,
        )
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Failure(f"the running node did not answer: {exc}") from None
    if response.status_code != 200:
        raise CallFailure(answer.get("error", "internal_error"), answer.get("message", ""))
    return answer


def stream(ref: str, data: dict[str, Any] | None, params: dict[str, Any] | None) -> None:
    """Call a streaming capability and print its frames as JSON Lines."""
    found = running_node(data_home())
    if found is None:
        raise NoNode("no node is running on this data directory: start `hearthnet run`")
    url, token = found
    headers = {
        "authorization": f"Bearer {token}",
        "x-hearthnet-capability": ref,
        "accept": "text/event-stream",
    }
    event = ""
    body = {"params": params or {}, "input": data or {}}
    with httpx.stream(
        "POST", f"{url}/bus/v1/call", json=body, headers=headers, timeout=None
    ) as response:
        if response.status_code != 200:
            answer = json.loads(response.read())
            raise CallFailure(answer.get("error", "internal_error"), answer.get("message", ""))
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                frame = {"event": event, "data": json.loads(line[6:])}
                emit_json(frame)
                if event == "error":
                    raise CallFailure(frame["data"]["error"], frame["data"].get("message", ""))


def running_node(home: Path) -> tuple[str, str] | None:
    """Return (url, admin token) of the node running on this data directory, if any."""
    try:
        url = json.loads((home / "node.json").read_text())["url"]
        token = (home / "admin.token").read_text().strip()
    except (OSError, ValueError, KeyError):
        return None
    try:
        httpx.get(f"{url}/health", timeout=2.0).raise_for_status()
    except httpx.HTTPError:
        return None
    return str(url), token


def admin_call(home: Path, method: str, path: str, body: Any = None) -> Any:
    """Call the running node's admin API; NoNode (exit 3) if none runs."""
    found = running_node(home)
    if found is None:
        raise NoNode("no node is running on this data directory: start `hearthnet run`")
    url, token = found
    try:
        response = httpx.request(
            method,
            url + path,
            json=body,
            timeout=10.0,
            headers={"authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise Failure(f"the running node did not answer: {exc}") from None
    if response.status_code != 200:
        raise Failure(f"the node refused: {response.text[:300]}")
    return response.json()


def names() -> dict[str, str]:
    """Each member's display name (its short id when it has none), and "you" for this node,
    from the running node."""
    out = call("community.members")["output"]
    found = {m["node_id"]: m["display_name"] or m["node_id"][8:20] for m in out["members"]}
    return {**found, out["me"]: "you"}
