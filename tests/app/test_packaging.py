"""
Tests that the package installs whole: every folder of code is a package
that setup.cfg names, so that C{pip install .} (the README's command) ships
it and the installed server starts.
"""

import configparser

from twisted.python.filepath import FilePath
from twisted.trial.unittest import SynchronousTestCase

REPOSITORY = FilePath(__file__).parent().parent().parent()


def listedPackages() -> set[str]:
    config = configparser.ConfigParser()
    config.read(REPOSITORY.child("setup.cfg").path)
    return set(config["options"]["packages"].split())


def packagesOnDisk() -> set[str]:
    found = set()
    top = REPOSITORY.child("twisted_chat")
    for path in top.walk():
        if path.basename() == "__init__.py":
            relative = path.parent().segmentsFrom(REPOSITORY)
            found.add(".".join(relative))
    return found


class PackagingTests(SynchronousTestCase):
    def test_everyPackageListed(self) -> None:
        """Every folder of twisted_chat with an __init__.py is in setup.cfg."""
        self.assertEqual(packagesOnDisk() - listedPackages(), set())
