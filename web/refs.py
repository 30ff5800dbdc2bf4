"""Path parameters that name a team or a cycle by id or by key: ``/teams/contact-centre``
and ``/teams/6f1c...`` name the same team, ``/cycles/2026-Q3`` a cycle. The view gets
the UUID either way (keys map to ids as ``Team.id_for`` and ``Cycle.id_for`` do)."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from werkzeug.routing import BaseConverter

from ledger.cycle import Cycle
from ledger.team import Team


class _Ref(BaseConverter):
    kind: ClassVar[type[Team] | type[Cycle]]
    what = ""

    def to_python(self, value: str) -> UUID:
        try:
            return UUID(value)
        except ValueError:
            return self.kind.id_for(value)

    def to_url(self, value: Any) -> str:
        return str(value)


class TeamRef(_Ref):
    kind = Team
    what = "a team's id, or its key (e.g. contact-centre)"


class CycleRef(_Ref):
    kind = Cycle
    what = "a cycle's id, or its key (e.g. 2026-Q3)"


CONVERTERS: dict[str, type[_Ref]] = {"team": TeamRef, "cycle": CycleRef}


def register(app: Any, api: Any) -> None:
    for name, converter in CONVERTERS.items():
        app.url_map.converters[name] = converter
        api.register_converter(
            converter, lambda c: {"type": "string", "minLength": 1, "description": c.what}
        )
