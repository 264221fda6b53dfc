"""
The slash-command language (L{twisted_chat.chat.commands}), carried out on
the chat core for one member: shared by the front ends that speak it, the
line protocol and its operator console, and the web client's JSON.

It imports the core and the connection kit, never a front end; the front
ends that speak the language import it.
"""
