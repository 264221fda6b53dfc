"""
The twistd plugin: C{twistd -n chat}.  The real work is in L{twisted_chat.app.tap},
imported only when the plugin is used.
"""

from twisted.application.service import ServiceMaker

chat = ServiceMaker(
    "twisted_chat",
    "twisted_chat.app.tap",
    "A many-user chat server (line protocol; nc and twisted-chat clients).",
    "chat",
)
