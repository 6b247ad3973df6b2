"""dedup/overlaps.py: both ways merged into one overlap per stretch, groups, the original."""

from vidtrace.dedup.overlaps import (
    Finding,
    VideoFacts,
    group_videos,
    implied_pairs,
    merge_findings,
    merge_spans,
)


def test_both_ways_are_one_overlap_with_the_better_ways_boundaries() -> None:
    found = [Finding("b", "a", 0.0, 10.0, 20.0, 30.0, 0.7),  # b 0-10 is a 20-30
             Finding("a", "b", 20.5, 29.0, 0.5, 9.0, 0.9)]   # the same, seen from a
    (o,) = merge_findings(found, 3.0)
    assert (o.a, o.b, o.both_ways, o.identical) == ("a", "b", True, False)
    assert (o.a_start, o.a_end, o.b_start, o.b_end, o.score) == (20.5, 29.0, 0.5, 9.0, 0.9)
    assert abs(o.speed - 1.0) < 1e-9


def test_pieces_of_one_way_are_joined_and_distinct_stretches_kept_apart() -> None:
    found = [Finding("a", "b", 0.0, 4.0, 10.0, 14.0, 0.8),
             Finding("a", "b", 3.5, 8.0, 13.5, 18.0, 0.6),   # the same stretch, split
             Finding("a", "b", 30.0, 40.0, 10.0, 20.0, 0.8),  # b 10-20 again, elsewhere in a
             Finding("a", "c", 0.0, 2.5, 0.0, 2.5, 0.9)]      # shorter than 3 s
    overlaps = merge_findings(found, 3.0)
    assert [(o.a_start, o.a_end, o.b_start, o.b_end, o.both_ways) for o in overlaps] == [
        (30.0, 40.0, 10.0, 20.0, False), (0.0, 8.0, 10.0, 18.0, False)]
    assert merge_findings([Finding("a", "a", 0, 9, 0, 9, 1.0)], 0.0) == []


def test_groups_are_connected_components_with_their_shared_spans() -> None:
    found = [Finding("a", "b", 0.0, 10.0, 0.0, 10.0, 0.9),
             Finding("b", "c", 2.0, 6.0, 0.0, 4.0, 0.9),
             Finding("x", "y", 0.0, 5.0, 5.0, 10.0, 0.9)]
    overlaps = merge_findings(found, 3.0)
    facts = {n: VideoFacts(n, 10.0, 640, 360, 1.0) for n in "abcxy"}
    first, second = group_videos(overlaps, facts)
    assert first.members == ("a", "b", "c") and second.members == ("x", "y")
    assert first.shared["b"] == ((0.0, 10.0),) and first.shared["c"] == ((0.0, 4.0),)
    assert first.original == "a"  # a and b hold 10 s each: equal in all but the name
    assert merge_spans([(5, 7), (0, 2), (1, 3)]) == ((0, 3), (5, 7))


def test_the_original_is_chosen_by_the_rule_in_its_order() -> None:
    found = [Finding("long", "short", 0.0, 8.0, 0.0, 8.0, 0.9),
             Finding("long", "hd", 0.0, 8.0, 0.0, 8.0, 0.9),
             Finding("long", "old", 0.0, 8.0, 0.0, 8.0, 0.9)]
    overlaps = merge_findings(found, 3.0)

    def original(**facts: VideoFacts) -> str:
        (group,) = group_videos(overlaps, facts)
        return group.original

    base = {"long": VideoFacts("long", 20.0, 640, 360, 5.0),
            "short": VideoFacts("short", 8.0, 640, 360, 1.0),
            "hd": VideoFacts("hd", 8.0, 1280, 720, 3.0),
            "old": VideoFacts("old", 8.0, 640, 360, 2.0)}
    assert original(**base) == "long"  # the one sharing footage with every other
    # among equals in shared footage: the longest, then the highest resolution, then the oldest
    lone = [Finding("hd", "old", 0.0, 8.0, 0.0, 8.0, 0.9),
            Finding("old", "short", 0.0, 8.0, 0.0, 8.0, 0.9)]
    overlaps = merge_findings(lone, 3.0)
    assert original(**{k: v for k, v in base.items() if k != "long"}) == "hd"
    same_size = {k: VideoFacts(k, 8.0, 640, 360, v.mtime) for k, v in base.items()}
    assert original(**{k: v for k, v in same_size.items() if k != "long"}) == "short"
    longer = {**same_size, "old": VideoFacts("old", 9.0, 320, 180, 9.0)}
    assert original(**{k: v for k, v in longer.items() if k != "long"}) == "old"


def test_pairs_sharing_footage_through_a_third_video_are_implied_once() -> None:
    found = [Finding("orig", "trim", 2.0, 6.0, 0.0, 4.0, 0.9),     # orig 2-6
             Finding("orig", "weak", 0.0, 8.0, 0.0, 8.0, 0.5),     # orig 0-8
             Finding("orig", "trim2", 3.0, 7.0, 0.0, 4.0, 0.9),    # orig 3-7, found with trim
             Finding("trim", "trim2", 1.0, 4.0, 0.0, 3.0, 0.9),
             Finding("comp", "x", 0.0, 5.0, 0.0, 5.0, 0.9),        # a compilation: x then y,
             Finding("comp", "y", 5.0, 10.0, 0.0, 5.0, 0.9)]      # spans of it apart
    overlaps = merge_findings(found, 3.0)
    assert implied_pairs(overlaps, 3.0) == [("trim", "weak"), ("trim2", "weak")]
    # trim and weak share orig 2-6 (4 s): not at a minimum of 5 s
    assert implied_pairs(overlaps, 5.0) == []
