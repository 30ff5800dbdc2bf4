"""JSON responses rendered with orjson: the read models answer with large documents,
which the standard encoder takes several times longer to write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


class OrjsonProvider(DefaultJSONProvider):
    """Writes with orjson; reads (small request bodies) with the standard parser, which
    also takes integers of any size."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        try:
            return orjson.dumps(obj, default=_default, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # e.g. an integer beyond 64 bits
            return super().dumps(obj, **kwargs)
