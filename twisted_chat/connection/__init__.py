"""
The connection kit: what every stream front end does to a connection,
whatever it speaks.

Admission (who may connect), pacing (flood control), liveness (silence,
login and handshake time), the send queue for clients that do not read,
batched writes once per reactor turn, and writing at once.

May import: Twisted, L{twisted_chat.limits}.  Never the chat core, a wire
encoding or a front end: what a queued line means is the front end's to say.
"""
