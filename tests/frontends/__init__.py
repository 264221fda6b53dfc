"""
Protocol tests of the front ends (L{twisted_chat.frontends}) over StringTransport, and the front-end kit.
"""
