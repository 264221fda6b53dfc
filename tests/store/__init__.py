"""
Tests of the stores (L{twisted_chat.store}).
"""
