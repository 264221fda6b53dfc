"""
Tests of the chat core (L{twisted_chat.chat}).
"""
