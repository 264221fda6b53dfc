"""
Tests with real processes over loopback: the server, the client, crashes, the abuse scenario and the bench.
"""
