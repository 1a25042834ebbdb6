"""The OpenAPI description of a node: the bus, generated from the capabilities' msgspec types,
and the sync and admin endpoints, so that every endpoint can be fuzzed from one document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet import __version__
from hearthnet.domain.capability import ERROR_STATUS

if TYPE_CHECKING:
    from hearthnet.services.bus import Bus

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"enum": sorted(ERROR_STATUS)}, "message": {"type": "string"}},
}


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {
            "description": "a wire error",
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }
        for s in statuses
    }


def _sync(summary: str) -> dict[str, Any]:
    """A sync endpoint: a signed msgpack frame in, a msgpack frame out."""
    return {
        "post": {
            "summary": summary + " (signed by a member; msgpack frames of at most 64 KiB)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            "responses": {
                "200": {
                    "description": "the answering frame",
                    "content": {
                        "application/x-msgpack": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                **_errors(400, 401, 403, 408, 413, 429),
            },
        }
    }


def _admin(method: str, summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """An admin endpoint: this machine's CLI with the node's admin token."""
    operation: dict[str, Any] = {
        "summary": summary + " (local admin token)",
        "responses": {
            "200": {"description": "done", "content": {"application/json": {"schema": {}}}},
            **_errors(400, 401, 408, 413, 503),
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return {method: operation}


APPEND_SCHEMA = {
    "type": "object",
    "required": ["type", "body_hex"],
    "properties": {"type": {"type": "string"}, "body_hex": {"type": "string"}},
}
PEER_SCHEMA = {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}
RAW_PATHS: dict[str, Any] = {
    "/sync/v1/reconcile": _sync("One negentropy step"),
    "/sync/v1/fetch": _sync("Events and fork proofs by key"),
    "/sync/v1/push": _sync("Take events and fork proofs"),
    "/admin/v1/append": _admin("post", "Append an event of this node", APPEND_SCHEMA),
    "/admin/v1/peers": {
        **_admin("get", "This node's peers"),
        **_admin("post", "Add a peer by its base URL", PEER_SCHEMA),
    },
    "/admin/v1/stats": _admin("get", "Sync counters"),
}


def describe(bus: Bus) -> dict[str, Any]:
    """Return an OpenAPI 3.1 document: one path per capability this node serves, then the
    sync and admin endpoints."""
    offers = [o for d in bus.descriptors() if (o := bus.local(d.ref)) is not None]
    schemas, components = msgspec.json.schema_components(
        [o.input_type for o in offers], ref_template="#/components/schemas/{name}"
    )
    paths: dict[str, Any] = {}
    for offer, schema in zip(offers, schemas, strict=True):
        d = offer.descriptor
        statuses = sorted({*ERROR_STATUS.values(), 413})  # 413: a body over the frame cap
        paths[f"/bus/v1/call/{d.name}"] = {
            "post": {
                "operationId": d.name.replace(".", "_"),
                "summary": f"{d.ref} (trust: {d.trust})",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["input"],
                                "properties": {"params": {"type": "object"}, "input": schema},
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "the capability's answer",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "required": ["output", "meta"]}
                            }
                        },
                    },
                    **{
                        str(s): {
                            "description": "a wire error",
                            "content": {"application/json": {"schema": ERROR_SCHEMA}},
                        }
                        for s in statuses
                    },
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "HearthNet node", "version": __version__},
        "paths": {**paths, **RAW_PATHS},
        "components": {"schemas": components},
    }
