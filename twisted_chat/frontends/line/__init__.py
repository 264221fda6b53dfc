"""
The line protocol's front end (docs/PROTOCOL.md): the TCP server and the
operator's console, which speak the slash-command language of
L{twisted_chat.frontends.commands}.
"""
