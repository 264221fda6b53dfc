"""
The server application: the twistd plugin's options and the service that
wires the core, the store and the front ends together.  The one place that
imports every layer of the server.
"""
