"""
Installs twisted_chat; the metadata lives in setup.cfg.

The plugin file twisted/plugins/twisted_chat_plugin.py is installed into
Twisted's own plugin package, which is why twisted.plugins is listed there.
"""

from setuptools import setup

setup()
