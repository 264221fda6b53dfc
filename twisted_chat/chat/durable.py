"""
What a member is told when the store fails: one L{StoreFailed}, whatever
the store's trouble.

The store logs its own failures, a full disk's without flooding the log
(L{twisted_chat.store.failures}), so the chat only turns them into an error
the member can act on, and leaves every other failure, a bug, as it is.
"""

from typing import NoReturn, TypeVar

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from twisted_chat.chat.errors import StoreFailed
from twisted_chat.store import StoreError

T = TypeVar("T")


def durable(written: Deferred[T]) -> Deferred[T]:
    """
    Turn a store failure of C{written} into a L{StoreFailed} the member can
    be told.
    """
    return written.addErrback(storeFailed)


def storeFailed(failure: Failure) -> NoReturn:
    """
    Raise L{StoreFailed} for a L{StoreError}, or C{failure} again for
    anything else.
    """
    failure.trap(StoreError)
    raise StoreFailed("The server could not save or read that; please retry.")
