"""Talking to the node that runs on this data directory: its admin API and its bus."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from hearthnet.cli.output import Failure, emit_json
from hearthnet.config import data_home

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Straight to the node: no proxy from the environment stands between the CLI and it."""

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


def _post(url: str, token: str, body: Any, headers: dict[str, str], timeout: float | None) -> Any:
    """An HTTP response from the node (the standard library: the CLI starts fast)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json", **headers},
        method="POST",
    )
    try:
        return _opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as refused:
        return refused


def _node() -> tuple[str, str]:
    found = running_node(data_home())
    if found is None:
        raise NoNode("no node is running on this data directory: start `hearthnet run`")
    return found


def _refusal(raw: bytes) -> CallFailure:
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {}
    return CallFailure(answer.get("error", "internal_error"), answer.get("message", ""))


def call(ref: str, data: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> Any:
    """Call a capability on the running node as this node's owner; return its output."""
    url, token = _node()
    body = {"params": params or {}, "input": data or {}}
    try:
        with _post(f"{url}/bus/v1/call", token, body, {"x-hearthnet-capability": ref}, 60) as r:
            status, raw = r.status, r.read()
        answer = json.loads(raw) if status == 200 else None
    except (OSError, ValueError) as exc:
        raise Failure(f"the running node did not answer: {exc}") from None
    if answer is None:
        raise _refusal(raw)
    return answer


def frames(
    ref: str, data: dict[str, Any] | None, params: dict[str, Any] | None = None
) -> Iterator[tuple[str, Any]]:
    """Call a streaming capability on the running node; yield its frames (an `error` frame
    raises CallFailure)."""
    url, token = _node()
    headers = {"x-hearthnet-capability": ref, "accept": "text/event-stream"}
    body = {"params": params or {}, "input": data or {}}
    event = ""
    try:
        with _post(f"{url}/bus/v1/call", token, body, headers, None) as response:
            if response.status != 200:
                raise _refusal(response.read())
            for raw_line in response:
                line = raw_line.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    frame = json.loads(line[6:])
                    yield event, frame
                    if event == "error":
                        raise CallFailure(frame["error"], frame.get("message", ""))
    except OSError as exc:
        raise Failure(f"the running node stopped answering: {exc}") from None


def stream(ref: str, data: dict[str, Any] | None, params: dict[str, Any] | None) -> None:
    """Call a streaming capability and print its frames as JSON Lines."""
    for event, frame in frames(ref, data, params):
        emit_json({"event": event, "data": frame})


def running_node(home: Path) -> tuple[str, str] | None:
    """Return (url, admin token) of the node running on this data directory, if any."""
    try:
        url = json.loads((home / "node.json").read_text())["url"]
        token = (home / "admin.token").read_text().strip()
    except (OSError, ValueError, KeyError):
        return None
    try:
        with _opener.open(f"{url}/health", timeout=2.0) as answer:
            if answer.status != 200:
                return None
    except (OSError, ValueError):
        return None
    return str(url), token


def admin_call(home: Path, method: str, path: str, body: Any = None) -> Any:
    """Call the running node's admin API; NoNode (exit 3) if none runs."""
    found = running_node(home)
    if found is None:
        raise NoNode("no node is running on this data directory: start `hearthnet run`")
    url, token = found
    request = urllib.request.Request(
        url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        method=method,
    )
    try:
        with _opener.open(request, timeout=10.0) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        raise Failure(
            f"the node refused: {refused.read()[:300].decode(errors='replace')}"
        ) from None
    except (OSError, ValueError) as exc:
        raise Failure(f"the running node did not answer: {exc}") from None


def names() -> dict[str, str]:
    """Each member's display name (its short id when it has none), and "you" for this node,
    from the running node."""
    out = call("community.members")["output"]
    found = {m["node_id"]: m["display_name"] or m["node_id"][8:20] for m in out["members"]}
    return {**found, out["me"]: "you"}


@contextlib.contextmanager
def shared_for_call(path: Path) -> Iterator[str]:
    """Share a file of this machine for one call (a peer may serve it); its id. A file the
    node did not hold before is removed again afterwards, whether the call worked or not."""
    stored = call("file.put", {"path": str(path.resolve()), "pin": False, "thumbnail": False})
    output = stored["output"]
    try:
        yield str(output["id"])
    finally:
        if output["new_chunks"]:
            call("file.remove", {"id": output["id"]})
