"""Reads of the platform category tree. The tree is small and read on every search, so each process keeps a
copy for a minute (and drops it at once when this process saves a category)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shared_apps.categories.models import Category

_TTL_SECONDS = 60


@dataclass(frozen=True)
class CategoryNode:
    id: int
    slug: str
    name: str
    icon: str
    parent_id: int | None
    children: list[int] = field(default_factory=list)


@dataclass
class CategoryTree:
    by_id: dict[int, CategoryNode]
    by_slug: dict[str, CategoryNode]
    roots: list[CategoryNode]

    def descendant_ids(self, node: CategoryNode) -> list[int]:
        """The node and every category under it."""
        ids, stack = [], [node.id]
        while stack:
            current = stack.pop()
            ids.append(current)
            stack.extend(self.by_id[current].children)
        return ids

    def path(self, node: CategoryNode) -> list[CategoryNode]:
        """Root first, the node last (breadcrumbs)."""
        chain = [node]
        while chain[0].parent_id is not None and chain[0].parent_id in self.by_id:
            chain.insert(0, self.by_id[chain[0].parent_id])
        return chain

    def rolled_up(self, direct: dict[int | None, int]) -> dict[int, int]:
        """Counts per category → counts per category including everything under it."""
        counts: dict[int, int] = {}
        for category_id, n in direct.items():
            node = self.by_id.get(category_id) if category_id is not None else None
            for ancestor in self.path(node) if node else []:
                counts[ancestor.id] = counts.get(ancestor.id, 0) + n
        return counts

    def root_of(self, category_id: int) -> CategoryNode | None:
        node = self.by_id.get(category_id)
        return self.path(node)[0] if node else None


_cache: tuple[float, CategoryTree] | None = None


def category_tree() -> CategoryTree:
    """The active categories as a tree (inactive ones and everything under them are left out)."""
    global _cache
    if _cache is not None and time.monotonic() - _cache[0] < _TTL_SECONDS:
        return _cache[1]
    rows = list(Category.objects.filter(is_active=True).values_list("id", "slug", "name", "icon", "parent_id"))
    nodes = {row[0]: CategoryNode(*row) for row in rows}
    for node in nodes.values():
        if node.parent_id in nodes:
            nodes[node.parent_id].children.append(node.id)
    reachable: dict[int, CategoryNode] = {}
    stack = [n.id for n in nodes.values() if n.parent_id is None]
    while stack:
        current = nodes[stack.pop()]
        reachable[current.id] = current
        stack.extend(current.children)
    ordered = {i: reachable[i] for i in nodes if i in reachable}  # the admin's order: position, then name
    roots = [n for n in ordered.values() if n.parent_id is None]
    tree = CategoryTree(by_id=ordered, by_slug={n.slug: n for n in ordered.values()}, roots=roots)
    _cache = (time.monotonic(), tree)
    return tree


@receiver([post_save, post_delete], sender=Category)
def _forget_tree(**_: object) -> None:
    global _cache
    _cache = None
