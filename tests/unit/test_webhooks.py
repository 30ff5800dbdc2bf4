"""Webhook pieces on their own: secrets and signatures in the Standard Webhooks form
(checked with the standardwebhooks package), which addresses are refused, which events
become notices, and the Slack and Teams presets."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from deliveries import signing
from deliveries.notices import Fact, Notice, body, notices_of
from deliveries.targets import RefusedTarget, checked_address, is_public
from eventlog.record import Record
from ledger.exceptions import RuleViolation
from ledger.subscription import require_url


def record(event_type: str, aggregate: str = "kr-1", version: int = 2, **data: object) -> Record:
    return Record(
        position=7, aggregate_type=event_type.partition(".")[0], event_type=event_type,
        aggregate_id=aggregate, version=version, recorded_at=0, effective_at=0,
        actor="kim.owner", reason=data.pop("reason", None), decision_id=None,  # type: ignore[arg-type]
        correlation_id="c", command_id=None, data=dict(data),
    )  # fmt: skip


def test_a_secret_is_whsec_and_the_base64_of_at_least_24_random_bytes() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert signing.new_secret() != secret


@given(st.text(max_size=500), st.text(min_size=1, max_size=40), st.integers(0, 2**31))
def test_every_signature_is_the_one_the_standardwebhooks_package_computes(
    payload: str, ident: str, stamp: int
) -> None:
    secret = signing.new_secret()
    when = datetime.fromtimestamp(stamp, tz=UTC)
    expected = Webhook(secret).sign(ident, when, payload)
    assert signing.signature(secret, ident, stamp, payload.encode()) == expected


def test_a_delivery_verifies_and_a_tampered_one_does_not() -> None:
    secret = signing.new_secret()
    payload = json.dumps({"type": "decision_recorded"}).encode()
    headers = signing.headers(secret, "msg_1", int(time.time()), payload)
    assert Webhook(secret).verify(payload, headers) == {"type": "decision_recorded"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(payload, headers)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1"],
)  # fmt: skip
def test_loopback_private_and_reserved_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "1.1.1.1"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost/", "https://[::1]/", "http://10.0.0.7"]
)
def test_a_private_target_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(RefusedTarget) as refused:
        checked_address(url, allow_private=False)
    assert refused.value.rule == "private_target"
    assert refused.value.field == "url"
    address, _ = checked_address(url, allow_private=True)
    assert not is_public(address)


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/", "example.org/hook", "http:///nohost", "https://user:pw@example.org/",
     "http://example.org:99999/", "", "http://example.org:0/"],
)  # fmt: skip
def test_a_url_must_be_absolute_http_with_a_host_and_no_credentials(url: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        require_url(url)
    assert refused.value.field == "url"


def test_a_key_result_turning_off_track_is_a_notice_and_staying_off_track_is_not() -> None:
    facts: dict[str, Fact] = {}
    defined = record("KeyResult.Defined", version=1, statement="Lift renewals", team_id="t-1")
    assert notices_of(defined, facts) == []
    at_risk = record("KeyResult.CheckedIn", value="45", confidence="at_risk")
    assert notices_of(at_risk, facts) == []
    off = notices_of(record("KeyResult.CheckedIn", value="41", confidence="off_track"), facts)
    assert [(n.kind, n.team_id) for n in off] == [("key_result_off_track", "t-1")]
    assert "(was at risk)" in off[0].summary
    again = record("KeyResult.CheckedIn", value="40", confidence="off_track")
    assert notices_of(again, facts) == []
    back = record("KeyResult.CheckInCorrected", value="50", confidence="on_track")
    assert notices_of(back, facts) == []
    assert notices_of(record("KeyResult.CheckedIn", value="1", confidence="off_track"), facts)


def test_only_an_eased_retarget_is_a_notice() -> None:
    facts = {"kr-1": Fact("t-1", "c-1", "Lift renewals")}
    firmer = record("KeyResult.Retargeted", target="70", previous_target="60", easing=False)
    assert notices_of(firmer, facts) == []
    eased = record(
        "KeyResult.Retargeted", target="50", previous_target="60", easing=True, reason="budget"
    )
    (notice,) = notices_of(eased, facts)
    assert notice.kind == "target_eased"
    assert "from 60 to 50" in notice.summary
    assert "budget" in notice.summary


def test_reprioritising_and_deciding_are_notices_of_their_team() -> None:
    facts = {
        "p-1": Fact("t-1", "c-1", ""),
        "t-1": Fact(None, None, "Renewals"),
        "o-1": Fact("t-1", "c-1", "x"),
    }
    (changed,) = notices_of(record("Priorities.Reprioritised", "p-1", order=[]), facts)
    assert (changed.kind, changed.team_id) == ("priorities_changed", "t-1")
    assert "Renewals" in changed.summary
    decided = record(
        "Decision.Recorded", "d-1", 1, forum="QBR", summary="Stop the pilot", affects=["o-1"]
    )
    (notice,) = notices_of(decided, facts)
    assert (notice.kind, notice.team_id) == ("decision_recorded", "t-1")


NOTICE = Notice(
    "target_eased",
    "t-1",
    'Target of "Lift renewals" eased',
    {"position": 7},
    7,
    1_783_328_400_000_000,
)


def test_the_standard_payload_has_type_timestamp_and_data() -> None:
    document = json.loads(body("standard", "msg_1", NOTICE))
    assert document["type"] == "key_result.target_eased"
    assert document["timestamp"] == "2026-07-06T09:00:00.000000Z", "when it happened"
    assert document["data"]["id"] == "msg_1"
    assert document["data"]["kind"] == "target_eased"
    assert document["data"]["position"] == 7
    assert body("standard", "msg_1", NOTICE) == body("standard", "msg_1", NOTICE)


def test_the_slack_preset_is_an_incoming_webhook_message_with_text() -> None:
    document = json.loads(body("slack", "msg_1", NOTICE))
    assert document["text"] == NOTICE.summary
    assert document["blocks"][0]["text"]["type"] == "mrkdwn"


def test_slack_text_cannot_mention_a_channel_or_make_a_link() -> None:
    sly = Notice("target_eased", None, 'Target of "<!channel> <https://x.example|y> & co" eased')
    text = json.loads(body("slack", "msg_1", sly))["text"]
    assert "<" not in text
    assert ">" not in text
    assert "&lt;!channel&gt;" in text
    assert "&amp; co" in text


def test_the_teams_preset_is_a_message_card() -> None:
    document = json.loads(body("teams", "msg_1", NOTICE))
    assert document["@type"] == "MessageCard"
    assert document["@context"] == "https://schema.org/extensions"
    assert document["text"] == NOTICE.summary


def test_a_notice_is_scoped_to_its_team_and_every_unit_above_it_as_the_tree_stood() -> None:
    facts: dict[str, Fact] = {}
    for team, parent in (("company", None), ("function", "company"), ("team", "function"),
                         ("elsewhere", "company")):  # fmt: skip
        notices_of(record("Team.Formed", team, 1, name=team, parent_id=parent), facts)
    notices_of(record("KeyResult.Defined", "kr-1", 1, statement="s", team_id="team"), facts)
    (off,) = notices_of(record("KeyResult.CheckedIn", value="1", confidence="off_track"), facts)
    assert off.scope == ["team", "function", "company"]
    notices_of(record("Team.Moved", "team", 2, parent_id="elsewhere"), facts)
    notices_of(record("KeyResult.CheckedIn", value="2", confidence="on_track"), facts)
    (moved,) = notices_of(record("KeyResult.CheckedIn", value="1", confidence="off_track"), facts)
    assert moved.scope == ["team", "elsewhere", "company"]
