"""
Pure encodings: how the chat's commands and events look on each wire.

C{line} is the line protocol (docs/PROTOCOL.md), with C{linetypes} the
layout of each server line; C{irc} is the IRC message syntax, C{framing}
the splitting of a byte stream into bounded lines, C{websocketframes} lines
as the server's WebSocket frames.
Functions from values to bytes and back; nothing here holds a connection.

May import: L{twisted_chat.chat} (the values it encodes) and
L{twisted_chat.limits}.  Never a front end, the connection kit or Twisted's
networking.
"""
