"""
twisted_chat: a many-user chat server and terminal client on the Twisted reactor.

The package is layered so that each module may only lean on the ones above it:

- vocabulary: L{limits}, L{names}, L{errors}, L{events}, L{commands}
- chat core, no I/O: L{core} (rooms, members, nicks, fan-out) and
  L{interpreter} (the slash-command language mapped onto the core)
- wire, pure functions: L{framing} (bounded line splitting) and L{wire}
  (bytes to commands, events to bytes and back)
- protocol adapters: L{lineserver} (the line protocol server) and
  L{console} (the operator's terminal as a participant)
- the twistd service: L{tap}, found by C{twisted/plugins/twisted_chat_plugin.py}
- the terminal client: L{client} (protocol and factory), L{view} (rendering),
  L{safetext} (terminal-safe text), L{keyboard} (stdin bridges), L{script}
  (the C{twisted-chat} command)
"""

__version__ = "0.1.0"
