"""
What a person at a terminal sees and types, shared by the client and the
server's operator console: the view of events, the keyboard, safe text.

May import: L{twisted_chat.chat} (the events it shows), L{twisted_chat.wire},
L{twisted_chat.limits}, Twisted.  Never a front end or the client.
"""
