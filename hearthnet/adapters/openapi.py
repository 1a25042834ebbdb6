"""The OpenAPI description of the bus, generated from the capabilities' msgspec types."""

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


def describe(bus: Bus) -> dict[str, Any]:
    """Return an OpenAPI 3.1 document with one path per capability this node serves."""
    offers = [bus.local(d.ref) for d in bus.descriptors()]
    types = [o.input_type for o in offers if o is not None]
    _, components = msgspec.json.schema_components(
        types, ref_template="#/components/schemas/{name}"
    )
    paths: dict[str, Any] = {}
    for offer in offers:
        assert offer is not None
        d = offer.descriptor
        (schema,), _ = msgspec.json.schema_components(
            [offer.input_type], ref_template="#/components/schemas/{name}"
        )
        statuses = sorted({ERROR_STATUS[c] for c in ERROR_STATUS})
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
        "paths": paths,
        "components": {"schemas": components},
    }
