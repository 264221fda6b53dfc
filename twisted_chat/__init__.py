"""
twisted_chat: a many-user chat server and terminal client on the Twisted reactor.

The package's folders are its layers; each folder's C{__init__} says what it
may import, and C{tests/app/test_layers.py} holds them to it:

- L{twisted_chat.limits}, L{twisted_chat.addresses},
  L{twisted_chat.throttle}: leaf modules every layer may use (so are
  L{twisted_chat.meters}, the running counts, and L{twisted_chat.tracing},
  the bench's trace mode);
- L{twisted_chat.chat}: the chat itself, with no I/O (rooms, members,
  presence, replay, accounts, moderation, events, commands, errors);
- L{twisted_chat.store}: what outlives a restart (SQLite, memory);
- L{twisted_chat.wire}: pure encodings (the line protocol, IRC, framing);
- L{twisted_chat.connection}: the connection kit, whatever the protocol;
- L{twisted_chat.frontends}: front ends that only translate (line, IRC);
- L{twisted_chat.terminal}: what the client and the console share;
- L{twisted_chat.client}: the C{twisted-chat} terminal client;
- L{twisted_chat.app}: the C{twistd chat} plugin's options and service,
  the only place that imports everything.
"""

__version__ = "0.1.0"
