"""
Tests of the application layer (L{twisted_chat.app}), the docs and the layers' rules.
"""
