"""
Tests of the wire encodings (L{twisted_chat.wire}).
"""
