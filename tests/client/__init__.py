"""
Tests of the terminal client (L{twisted_chat.client}).
"""
