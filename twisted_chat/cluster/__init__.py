"""
The cluster layer: what lets several server processes ("nodes") share rooms
(issue 17).  Today it holds the Redis bus (L{twisted_chat.cluster.bus}), on
the Synapse model: the database is the truth and the order of a room's
events; Redis pub/sub only tells the other nodes "room R has reached
sequence S", with the event itself when it is small, and a node that missed
something reads it from the database.

It may import the chat core (L{twisted_chat.chat}, for its events and names)
and the leaf modules (L{twisted_chat.limits}); not the store, not the
connection or front-end layers, and never the reactor: the clock is passed in.
The bus is not yet wired into the chat core's delivery.
"""
