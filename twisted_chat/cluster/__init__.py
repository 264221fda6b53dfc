"""
The cluster layer: what lets several server processes ("nodes") share rooms
(issue 17), on the Synapse model: the database is the truth and the order of
a room's events; Redis pub/sub only tells the other nodes "room R has reached
sequence S", with the event itself when it is small, and a node that missed
something reads it from the database.  The bus (L{twisted_chat.cluster.bus})
carries the notices; the feed (L{twisted_chat.cluster.feed}) is the chat
core's room feed on a node, numbering through the shared store and
delivering each room's messages in order.

It may import the chat core (L{twisted_chat.chat}, for its events and names),
the store's interface (L{twisted_chat.store}, never a store itself: the app
layer chooses one) and the leaf modules (L{twisted_chat.limits}); not the
connection or front-end layers, and never the reactor: the clock is passed in.
"""
