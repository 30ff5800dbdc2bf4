"""Where carried work came from and went (``ledger.cycle.CARRY_FORWARD_RULE``), as the
OKR tree and the retrospective show it: each side names the other and its cycle."""

from __future__ import annotations

from typing import Any

from projections.reducers import Doc


def cycle_ref(cycle_keys: dict[str, str], cycle_id: str) -> dict[str, Any]:
    return {"cycle_id": cycle_id, "cycle_key": cycle_keys.get(cycle_id)}


def lineage(doc: Doc, cycle_keys: dict[str, str]) -> dict[str, Any]:
    """``carried_from`` (the original, or None) and ``carried_to`` (each later cycle's
    carried one) of an objective's or key result's document."""
    came = doc.get("carried_from")
    return {
        "carried_from": None
        if came is None
        else {
            "id": came,
            **cycle_ref(cycle_keys, doc["carried_from_cycle_id"]),
            "carry_forward": doc.get("carry_forward") if doc["type"] == "objective" else None,
        },
        "carried_to": [
            {"id": to["id"], **cycle_ref(cycle_keys, to["cycle_id"])}
            for to in doc.get("carried_to", [])
        ],
    }
