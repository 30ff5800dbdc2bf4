"""Where a webhook may be sent. A host is resolved and every address it resolves to
must be public: loopback, private (RFC 1918, unique-local IPv6), link-local, shared,
multicast, reserved and unspecified addresses are refused, unless the operator allows
private targets (``OKR_LEDGER_WEBHOOK_ALLOW_PRIVATE=1``). The check runs when a
subscription is made and again before every delivery, and the delivery connects to
the very address that was checked (a DNS answer that changes in between cannot turn a
public name into an internal one)."""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from ledger.exceptions import RuleViolation

RESOLVE_TIMEOUT = 1.0
"""seconds a name lookup may take when a subscription is made (a request waits for it)"""
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


class RefusedTarget(RuleViolation):
    def __init__(self, message: str) -> None:
        super().__init__("private_target", message, field="url")


class UnresolvableTarget(RuleViolation):
    def __init__(self, message: str) -> None:
        super().__init__("unresolvable_target", message, field="url")


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def endpoint(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return host, parts.port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int, timeout: float = RESOLVE_TIMEOUT) -> list[str]:
    """The addresses of ``host``, looked up within ``timeout`` seconds."""
    future = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=timeout)
    except FutureTimeout:
        raise UnresolvableTarget(f"{host} did not resolve in time") from None
    except (OSError, UnicodeError) as error:
        raise UnresolvableTarget(f"{host} does not resolve ({error})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_address(
    url: str, *, allow_private: bool, timeout: float = RESOLVE_TIMEOUT
) -> tuple[str, int]:
    """The address (and port) to connect to for ``url``, after the check."""
    host, port = endpoint(url)
    addresses = resolve(host, port, timeout)
    if not addresses:
        raise UnresolvableTarget(f"{host} has no address")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise RefusedTarget(
                    f"{host} resolves to {address}, a loopback or private-network address "
                    "(OKR_LEDGER_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
                )
    return addresses[0], port
