"""
What a person at a terminal sees and types, shared by the client and the
server's operator console: the view of events, who and where "you" are
(kept by the client's session or the console, read by the view), the
keyboard, safe text.

May import: L{twisted_chat.chat} (the events it shows), L{twisted_chat.wire},
L{twisted_chat.limits}, Twisted.  Never a front end or the client.
"""
