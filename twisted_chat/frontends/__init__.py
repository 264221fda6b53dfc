"""
The front ends: each translates one way of talking to the chat core.

A front end turns what a client sends into calls on the core and the core's
events into what the client reads; the connection kit holds each connection
to the server's rules.  C{line} is the line protocol and the operator's
console, C{irc} the IRC listener, C{commands} the slash-command language
the line protocol and the web's JSON share, and C{web} the web client's
site and WebSocket.

May import: L{twisted_chat.chat}, L{twisted_chat.connection},
L{twisted_chat.wire}, L{twisted_chat.terminal} (the console),
L{twisted_chat.limits}.  A front end never imports another, but for the
shared language (C{commands}) and C{web}, which is a transport that
carries the IRC front end's connections as well as its own.
"""
