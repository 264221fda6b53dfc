"""
Loopback ports for the bench's servers, which third-party servers (ngIRCd,
the baselines) need named before they start.  One helper for every script
here: a port found free, other than the ones already taken for this run.
"""

import socket


def freePort(*taken: int) -> int:
    """A loopback port free now, and none of C{taken}."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in taken:
            return port
