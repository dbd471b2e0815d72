"""The client's address when the servers sit behind a load balancer or reverse proxy.

TRUSTED_PROXIES lists the proxies' addresses or networks, comma-separated ("10.0.0.5, 10.1.0.0/16"); it is empty
by default. Only a request whose connecting address is one of them has its X-Forwarded-For read: the client is
the right-most address there that is not a trusted proxy (the ones to its left could be forged by the client).
Any other request is the connecting address's, whatever its headers say.
"""
from __future__ import annotations

import ipaddress
import os
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from aiohttp import web

VARIABLE = "TRUSTED_PROXIES"
Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def parse_address(text: str) -> Optional[Address]:
    """An address as proxies write it ("203.0.113.7", "203.0.113.7:4711", "[2001:db8::1]:443"), or None."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


class TrustedProxies:
    def __init__(self, networks: Iterable[Network] = ()):
        self.networks: Tuple[Network, ...] = tuple(networks)

    @classmethod
    def parse(cls, value: str) -> "TrustedProxies":
        """From TRUSTED_PROXIES' text; a malformed entry raises ValueError naming it."""
        networks: List[Network] = []
        for entry in (e.strip() for e in value.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{VARIABLE}: {entry!r} is not an IP address or network "
                                 f"(e.g. 10.0.0.5 or 10.0.0.0/8)") from None
        return cls(networks)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "TrustedProxies":
        """From the environment; a malformed TRUSTED_PROXIES stops start-up saying which entry is wrong."""
        try:
            return cls.parse(environ.get(VARIABLE, ""))
        except ValueError as exc:
            raise SystemExit(f"Refusing to start: {exc}.") from None

    def trusts(self, address: Optional[Address]) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client_address(self, request: web.Request) -> str:
        return self.client_of(request.remote or "", request.headers.getall("X-Forwarded-For", []))

    def client_of(self, remote: str, forwarded_for: Sequence[str]) -> str:
        """The client of a request from ``remote`` carrying these X-Forwarded-For header values."""
        hop = parse_address(remote)
        if not self.trusts(hop):
            return remote
        forwarded = [part for value in forwarded_for for part in value.split(",") if part.strip()]
        client = str(hop)
        for text in reversed(forwarded):
            address = parse_address(text)
            if address is None:
                break  # unreadable: the nearest proxy that wrote a readable address answers for it
            client = str(address)
            if not self.trusts(address):
                break
        return client
