"""Groups of items linked pairwise, joined transitively (union-find). Shared by every stage that
clusters: copies inside a collection (dedup) and photos that show one another (synth). Only the
standard library."""

from collections.abc import Callable


def linked_groups(n: int, linked: Callable[[int, int], bool]) -> list[list[int]]:
    """The indices 0..n-1 in groups, i and j together when a chain of `linked` pairs joins
    them. `linked(i, j)` (i < j) is asked only for pairs not already joined through others, so
    an expensive test runs as few times as the order allows. Each group ascending; groups by
    their first index."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if root(i) != root(j) and linked(i, j):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values())
