"""
What a client's address counts as, for every limit kept per address: the
connection caps (L{twisted_chat.connection.admission}) and the login throttle
(L{twisted_chat.chat.loginthrottle}).  One IPv6 customer usually holds a whole
/64, so an address there counts as its /64; otherwise changing the last bits
would be a fresh allowance.
"""

import ipaddress


def addressKey(host: str) -> tuple[str, bool]:
    """
    Return what C{host} counts as for the per-address limits, and whether it
    is local (loopback, or not an IP address at all: a Unix socket).

    An IPv6 host counts as its /64, the block one customer usually holds;
    an IPv4-mapped IPv6 address counts as the IPv4 address.
    """
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return host, True
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        else:
            network = ipaddress.IPv6Network((address, 64), strict=False)
            return str(network), address.is_loopback
    return str(address), address.is_loopback
