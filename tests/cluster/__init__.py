"""Tests of the cluster layer: the Redis bus and its pure parts."""
