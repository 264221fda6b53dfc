"""
CPython's cyclic garbage collector, set for a server that holds many
long-lived objects and makes short-lived ones by the thousand.

With the default thresholds the collector looks at its youngest generation
every 700 new container objects.  A chat message's objects (its event, its
lines, the Deferred of its commit, the batches of its fan-out) live for a
reactor turn or two, through many such collections: they survive two, are
promoted to the oldest generation, and make it grow until a full collection
walks every object of every connection (about 0.1 s at a thousand members,
measured with C{gc.callbacks} under C{bench/run.py}'s fan-out, several
times a second; in all about a tenth of the server's CPU).  Few of a chat
server's objects are in reference cycles: reference counting frees nearly
all of them the moment they are done with.  So the youngest generation is
looked at every L{YOUNG_THRESHOLD} objects instead, long enough for a
message's objects to be gone by then, and what exists once the server has
started (modules, the loaded rooms and accounts) is frozen out of every
collection with C{gc.freeze}.
"""

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 50_000
"""New container objects between two collections of the youngest generation."""


def tuneCollector() -> None:
    """
    Freeze what exists now out of future collections, and look at the
    youngest generation every L{YOUNG_THRESHOLD} new objects; the older
    generations keep their thresholds.
    """
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
