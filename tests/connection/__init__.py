"""
Tests of the connection kit (L{twisted_chat.connection}), through the line front end where a connection is needed.
"""
