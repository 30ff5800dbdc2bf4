from __future__ import annotations

from commands.bus import Unit, handles
from commands.subscriptions import Subscribe, Unsubscribe
from ledger.exceptions import AlreadyExists
from ledger.subscription import Subscription
from ledger.team import Team


@handles(Subscribe)
def subscribe(cmd: Subscribe, unit: Unit) -> None:
    if cmd.team_id is None:
        unit.require_admin("subscribe to notifications of every team")
    else:
        unit.get(Team, cmd.team_id, field="team_id")
        unit.require_team(cmd.team_id, "subscribe to notifications")
    if unit.find(Subscription, cmd.subscription_id):
        raise AlreadyExists("subscription", cmd.subscription_id)
    subscription = Subscription.subscribe(
        ident=cmd.subscription_id,
        url=cmd.url,
        kinds=cmd.kinds,
        team_id=cmd.team_id,
        preset=cmd.preset,
        meta=unit.meta,
    )
    unit.add(subscription, created=True)


@handles(Unsubscribe)
def unsubscribe(cmd: Unsubscribe, unit: Unit) -> None:
    subscription = unit.target(Subscription, cmd.subscription_id, field="subscription_id")
    if subscription.team_id is None:
        unit.require_admin("end a subscription to every team")
    else:
        unit.require_team(subscription.team_id, "end the subscription")
    subscription.unsubscribe(unit.meta)
