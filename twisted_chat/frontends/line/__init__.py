"""
The line protocol's front end (docs/PROTOCOL.md): the TCP server, its
slash-command language, and the operator's console, which speaks it too.
"""
