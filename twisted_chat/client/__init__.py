"""
The terminal client, C{twisted-chat}: its protocol, the session that
outlives connections (with its login, catching up, paging and the failures
that end it), TLS trust, and the command line.

May import: L{twisted_chat.chat} (events, commands, names),
L{twisted_chat.wire}, L{twisted_chat.terminal}, L{twisted_chat.limits},
Twisted.  Never the server side (front ends, connection kit, store, app).
"""
