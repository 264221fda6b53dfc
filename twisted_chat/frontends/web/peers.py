"""
Who a web client is, and which pages may open a WebSocket to the server.

A browser names the page that opens a WebSocket in its C{Origin} header;
checking it keeps another site's page from talking to the chat with the
visitor's cookies and address (cross-site WebSocket hijacking).  Behind a
reverse proxy, every client seems to come from the proxy: its
C{X-Forwarded-For} says who the client is, but only a proxy the operator
named may say so, or anyone could claim any address and slip past the
per-address limits and bans.
"""

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PORTS = {"http": 80, "https": 443}


def parseProxy(text: str) -> Network:
    """
    An address or a range (C{10.0.0.0/8}) of trusted proxies.

    @raise ValueError: if C{text} is neither.
    """
    return ipaddress.ip_network(text.strip(), strict=False)


def within(host: str, networks: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def clientHost(
    peerHost: str, forwardedFor: str | None, proxies: Iterable[Network]
) -> str:
    """
    The address a client connects from: the peer's, unless the peer is a
    trusted proxy with an C{X-Forwarded-For}; then the right-most address
    in it that is not itself a trusted proxy (those to its left could have
    been written by the client).  Anything that is not an address stops
    the walk at the last trusted hop.
    """
    proxies = list(proxies)
    if not forwardedFor or not within(peerHost, proxies):
        return peerHost
    host = peerHost
    for hop in reversed(forwardedFor.split(",")):
        hop = hop.strip()
        try:
            hop = str(ipaddress.ip_address(hop))
        except ValueError:
            return host
        host = hop
        if not within(hop, proxies):
            return hop
    return host


def normalOrigin(origin: str) -> str | None:
    """
    C{origin} as C{scheme://host[:port]}, in lower case, without its
    default port; L{None} if it is not an http or https origin (C{null},
    a path, garbage).
    """
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def knownHost(host: str, names: Iterable[str]) -> bool:
    """
    Whether C{host} (a C{Host} header's name, without its port) is one the
    server may be reached by: an address, C{localhost}, or one of C{names}
    (the server's name, the hosts of C{--web-origin}).  A page on a name
    the attacker controls, made to resolve to this server (DNS rebinding),
    sends a C{Host} with that name: its "own" origin is not the site's.
    """
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host in {name.lower() for name in names}
    return True


def originAllowed(
    origin: str | None,
    host: str | None,
    secure: bool,
    allowed: Iterable[str],
    names: Iterable[str] = (),
) -> bool:
    """
    Whether a page from C{origin} may open a WebSocket sent to C{host} (the
    request's C{Host}), over TLS if C{secure}: the site's own pages may,
    if C{host} is a name the server is known by (L{knownHost}, with
    C{names}), and those of the C{allowed} origins.  A request without an
    C{Origin} is not from a browser's page (a bot, an IRC client), which
    could send any C{Origin} it liked, so it is let through.
    """
    if origin is None:
        return True
    given = normalOrigin(origin)
    if given is None:
        return False
    allowedOrigins = {normalOrigin(other) for other in allowed}
    if given in allowedOrigins:
        return True
    if not host:
        return False
    scheme = "https" if secure else "http"
    own = normalOrigin(f"{scheme}://{host}")
    if own is None or given != own:
        return False
    hostname = urlsplit(own).hostname or ""
    others = [urlsplit(other).hostname or "" for other in allowedOrigins if other]
    return knownHost(hostname, [*names, *others])
