"""
The web front end: the page's static files and the WebSocket at C{/socket}
that browsers (and IRC web clients) talk through.

It is a transport rather than a language: each WebSocket drives one
connection of a stream front end through L{twisted_chat.frontends.web.bridge}
(the IRC front end's for the IRCv3 subprotocols, the JSON front end's,
L{twisted_chat.frontends.web.jsonchat}, for the page), so flood control,
send queues, admission and the graceful stop are the kit's, as over TCP.
L{twisted_chat.frontends.web.site} serves the files and mounts the socket,
L{twisted_chat.frontends.web.websocket} answers the WebSocket handshake and
L{twisted_chat.frontends.web.peers} says who a client is and which pages
may open a socket.

May import: L{twisted_chat.frontends.stream}, L{twisted_chat.frontends.irc}
(whose connections it carries), L{twisted_chat.frontends.commands} (the
language the JSON commands are carried out in), L{twisted_chat.chat},
L{twisted_chat.connection}, L{twisted_chat.wire}, L{twisted_chat.limits}.
"""
