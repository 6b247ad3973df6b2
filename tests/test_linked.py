"""`linked_groups`: transitive groups, and the pair test skipped for pairs already joined."""

from vidtrace.linked import linked_groups


def test_chains_join_and_joined_pairs_are_not_asked_again() -> None:
    edges = {(0, 1), (0, 2), (3, 5)}
    asked: list[tuple[int, int]] = []

    def linked(i: int, j: int) -> bool:
        asked.append((i, j))
        return (i, j) in edges

    assert linked_groups(6, linked) == [[0, 1, 2], [3, 5], [4]]
    assert (1, 2) not in asked  # joined through 0 before its turn
    assert len(asked) == 15 - 1


def test_nothing_linked_gives_singletons() -> None:
    assert linked_groups(3, lambda i, j: False) == [[0], [1], [2]]
    assert linked_groups(0, lambda i, j: True) == []
