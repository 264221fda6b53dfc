"""
Tests of what a person at a terminal sees and types (L{twisted_chat.terminal}).
"""
