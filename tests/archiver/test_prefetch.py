"""Requests sent ahead: order, the limit, taking, dropping, and pausing."""

from __future__ import annotations

from typing import Any

from civicrecords.archiver.prefetch import Failed, Lane


class Sent:
    def __init__(self, key: str, log: list[str]) -> None:
        self.key = key
        self.closed = False
        log.append(key)

    def receive(self, **options: Any) -> str:
        return self.key

    def close(self) -> None:
        self.closed = True


def test_wishes_are_sent_in_order_up_to_the_limit_and_taking_sends_the_next() -> None:
    log: list[str] = []
    lane = Lane(2, lambda: True)
    for key in "abcd":
        lane.want(key, lambda key=key: Sent(key, log))
    assert log == ["a", "b"]
    taken = lane.take("a")
    assert taken is not None and taken.receive() == "a"
    assert log == ["a", "b", "c"]
    assert lane.take("zzz") is None  # never wished for: the caller fetches it itself


def test_a_wish_not_sent_yet_is_dropped_when_taken_and_leftovers_are_closed() -> None:
    log: list[str] = []
    lane = Lane(1, lambda: True)
    sent: list[Sent] = []
    for key in "abc":
        lane.want(key, lambda key=key: sent.append(Sent(key, log)) or sent[-1])
    assert lane.take("c") is None and log == ["a"]  # "c" waited; now the caller's
    lane.close()
    assert sent[0].closed and log == ["a"]


def test_nothing_is_sent_while_paused_and_failures_reach_the_caller() -> None:
    log: list[str] = []
    paused = [True]
    lane = Lane(4, lambda: not paused[0])
    lane.want("a", lambda: Sent("a", log))
    assert log == []
    paused[0] = False

    def refuse() -> Sent:
        raise ConnectionRefusedError("no")

    lane.want("b", refuse)
    assert log == ["a"]
    failed = lane.take("b")
    assert isinstance(failed, Failed)
    try:
        failed.receive(max_bytes=1, keep_body=True, expect_json=False)
    except ConnectionRefusedError:
        pass
    else:
        raise AssertionError("the send failure must reach the caller")
