"""
The trial test suite of twisted_chat: C{python -m twisted.trial tests}.
"""

from hypothesis import HealthCheck, settings

# Property tests must not make the suite slow or flaky on a busy CI machine.
settings.register_profile(
    "twisted_chat",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("twisted_chat")
