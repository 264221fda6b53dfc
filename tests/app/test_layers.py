"""
The layers' import rules, as each folder's docstring states them: a test
walks every module's imports and fails on one a layer may not make.
"""

import ast
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

import twisted_chat

PACKAGE = Path(twisted_chat.__file__).parent

ALLOWED: dict[str, tuple[str, ...]] = {
    "chat": ("chat", "store"),
    "wire": ("wire", "chat"),
    "connection": ("connection",),
    "frontends.stream": ("chat", "connection", "wire"),
    "frontends.commands": (
        "frontends.commands",
        "frontends.stream",
        "chat",
        "connection",
        "wire",
    ),
    "frontends.line": (
        "frontends.line",
        "frontends.commands",
        "frontends.stream",
        "chat",
        "connection",
        "wire",
        "terminal",
    ),
    "frontends.irc": (
        "frontends.irc",
        "frontends.stream",
        "chat",
        "connection",
        "wire",
    ),
    "frontends.web": (
        "frontends.web",
        "frontends.stream",
        "frontends.irc",
        "frontends.commands",
        "chat",
        "connection",
        "wire",
    ),
    "terminal": ("terminal", "chat", "wire"),
    "client": ("client", "chat", "wire", "terminal"),
    "store": ("store", "chat"),
    "cluster": ("cluster", "chat", "store"),
    "app": (
        "app",
        "chat",
        "connection",
        "wire",
        "frontends",
        "terminal",
        "store",
        "cluster",
    ),
}
"""
For each layer, the layers (under C{twisted_chat}) its modules may import;
every layer may also import the leaf modules at the top (L{twisted_chat.limits},
L{twisted_chat.addresses}, L{twisted_chat.throttle}), which import nothing of
the package.
"""

CONCRETE_STORES = (
    "store.memory",
    "store.sqlite",
    "store.writer",
    "store.sqliteengine",
    "store.postgres",
    "store.pgengine",
    "store.pgschema",
    "store.pghistory",
    "store.pgmoderation",
    "store.pgaccounts",
    "store.pgimport",
    "store.schema",
    "store.failures",
    "store.moderation",
    "store.history",
    "store.certificates",
    "store.retention",
)
"""The store's implementations: only the app layer chooses one."""


def moduleName(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layerOf(name: str) -> str | None:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if name == layer or name.startswith(layer + "."):
            return layer
    return None


def importsOf(path: Path) -> list[tuple[int, str]]:
    """Every module C{path} imports, as absolute names, with line numbers."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            module = node.module or ""
            found.append((node.lineno, module))
            found.extend(
                (node.lineno, f"{module}.{alias.name}") for alias in node.names
            )
    return found


def violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = moduleName(path)
        layer = layerOf(name)
        if layer is None:
            # A leaf module: it imports nothing of the package.
            found.extend(
                f"twisted_chat/{path.relative_to(PACKAGE)}:{line}: the leaf module"
                f" {name} imports {imported}"
                for line, imported in importsOf(path)
                if imported.startswith("twisted_chat.") and name != "__main__"
            )
            continue
        for line, imported in importsOf(path):
            where = f"twisted_chat/{path.relative_to(PACKAGE)}:{line}"
            if imported == "twisted.internet.reactor" and layer != "app":
                found.append(f"{where}: imports the reactor")
            if not imported.startswith("twisted_chat."):
                continue
            target = imported.removeprefix("twisted_chat.")
            if (
                not (PACKAGE / target.replace(".", "/")).exists()
                and not (PACKAGE / (target.replace(".", "/") + ".py")).exists()
            ):
                continue  # a name imported from a module, not a module
            allowed = ALLOWED[layer]
            ok = any(
                target == other or target.startswith(other + ".")
                for other in allowed
                if other
            ) or ("." not in target and layerOf(target) is None)
            if (
                layer != "app"
                and layer != "store"
                and target.startswith(CONCRETE_STORES)
            ):
                ok = False
            if not ok:
                found.append(f"{where}: {layer} imports twisted_chat.{target}")
    return found


class LayerTests(SynchronousTestCase):
    def test_importRules(self) -> None:
        """No module imports what its layer's docstring forbids."""
        self.assertEqual(violations(), [])

    def test_moduleSize(self) -> None:
        """No module is over 500 lines: one job each."""
        long = [
            f"twisted_chat/{path.relative_to(PACKAGE)}: {count} lines"
            for path in sorted(PACKAGE.rglob("*.py"))
            if (count := len(path.read_text().splitlines())) > 500
        ]
        self.assertEqual(long, [])
