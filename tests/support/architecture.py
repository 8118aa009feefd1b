"""The shape of the code, measured: import circles, imports against the layer direction,
presentation below the views layer, and module size (issue #12).

    python -m tests.support.architecture        # prints every finding

`tests/test_architecture.py` asserts there are none.  Imports inside functions count
like any other: a lazy import that dodges a circle is still a circle.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("bot", "handlers", "models", "sandbox")

# Lower layers never import higher ones (DESIGN.md "Layers"); same layer is fine.
FOUNDATION = {
    "bot", "bot.clock", "bot.config", "bot.errors", "bot.money", "bot.timeparse",
    "bot.zones", "bot.db", "bot.logs", "bot.redaction", "bot.migrate",
}
ADAPTERS = ("handlers", "bot.web", "bot.context", "bot.commands", "bot.updates", "bot.webhook")
WIRING = {"bot.app", "bot.__main__", "bot.features", "sandbox.standalone"}
LAYERS = ["models", "foundation", "delivery", "services", "views", "adapters", "wiring"]
MAX_LINES = 500
# What only the views layer (and the Telegram side above it) may spell.
PRESENTATION = re.compile(r"\breader\.t\(|\bButton\(|\bReader\b|\bKeyboard\(")
BELOW_VIEWS = ("bot/services/", "bot/delivery/", "bot/ops/")


def layer(module: str) -> str:
    if module in WIRING:
        return "wiring"
    if module.startswith("sandbox"):
        return "sandbox"
    if module == "models" or module.startswith("models."):
        return "models"
    if module in FOUNDATION:
        return "foundation"
    if module.startswith(("bot.delivery", "bot.ops")):
        return "delivery"
    if module.startswith("bot.services"):
        return "services"
    if module.startswith("bot.views"):
        return "views"
    if module.startswith(ADAPTERS):
        return "adapters"
    return "foundation"


def allowed(source: str, target: str) -> bool:
    a, b = layer(source), layer(target)
    if a == "sandbox" or b == "sandbox":  # a developer tool beside the product
        return a == b or a == "wiring"
    if target == "bot.app":  # nothing imports the app but the entry points
        return source in WIRING
    return LAYERS.index(b) <= LAYERS.index(a)


def modules() -> dict[str, Path]:
    found = {}
    for base in PRODUCT:
        for path in (ROOT / base).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in mods.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [resolve(a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                targets = [resolve(f"{base}.{a.name}") or resolve(base) for a in node.names]
            for target in targets:
                # Importing a.b.c runs the __init__ of a.b too: a package that re-exports
                # its modules is imported by every import of one of them.
                while target and target != module:
                    if not module.startswith(target + "."):
                        graph[module].add(target)
                    target = target.rpartition(".")[0]
                    if target in ("", "bot", "handlers", "models", "sandbox") or (
                        target not in mods):
                        break
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


@dataclass
class Report:
    circles: list[list[str]] = field(default_factory=list)
    wrong_way: list[str] = field(default_factory=list)
    presentation_below_views: list[str] = field(default_factory=list)
    too_long: list[str] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        yield f"circles: {len(self.circles)}"
        yield from (f"  {' <-> '.join(c)}" for c in self.circles)
        yield f"imports against the layers: {len(self.wrong_way)}"
        yield from (f"  {w}" for w in self.wrong_way)
        yield f"presentation below views: {len(self.presentation_below_views)}"
        yield from (f"  {p}" for p in self.presentation_below_views)
        yield f"modules over {MAX_LINES} lines: {len(self.too_long)}"
        yield from (f"  {t}" for t in self.too_long)


def report() -> Report:
    mods = modules()
    graph = imports(mods)
    result = Report(circles=circles(graph))
    for source in sorted(graph):
        for target in sorted(graph[source]):
            if not allowed(source, target):
                result.wrong_way.append(
                    f"{source} ({layer(source)}) -> {target} ({layer(target)})"
                )
    for path in sorted(mods.values()):
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        if relative.startswith(BELOW_VIEWS):
            hits = len(PRESENTATION.findall(text))
            if hits:
                result.presentation_below_views.append(f"{relative}: {hits}")
        length = text.count("\n")
        if length > MAX_LINES:
            result.too_long.append(f"{relative}: {length}")
    return result


if __name__ == "__main__":
    sys.stdout.write("\n".join(report().lines()) + "\n")
