"""JSON responses rendered with orjson: the read models answer with large documents,
which the standard encoder takes several times longer to write. A decimal or a time
that reaches the encoder is written in the API's vocabulary (``eventlog.vocabulary``)."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

from eventlog.vocabulary import json_default

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def _default(value: Any) -> Any:
    try:
        return json_default(value)
    except TypeError:
        return str(value)


class OrjsonProvider(DefaultJSONProvider):
    """Writes with orjson; reads (small request bodies) with the standard parser, which
    also takes integers of any size."""

    default = staticmethod(_default)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        try:
            return orjson.dumps(obj, default=_default, option=OPTIONS).decode()
        except TypeError:  # e.g. an integer beyond 64 bits
            return super().dumps(obj, **kwargs)
