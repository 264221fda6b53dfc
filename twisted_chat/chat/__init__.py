"""
The chat itself, knowing no sockets, encodings or front ends.

Rooms, members, nicks, presence, replay, the accounts workflow, and the
events, commands, errors and name rules they speak in.  Everything here runs
on the reactor's thread without ever naming the reactor: time comes in as an
C{IReactorTime}, storage as an L{twisted_chat.store.IChatStore}.

May import: the standard library, Twisted's Deferreds, logger and
interfaces, L{twisted_chat.limits} and the L{twisted_chat.store} interface.
Never a front end, the connection kit, a wire encoding, the reactor or a
concrete store.
"""
