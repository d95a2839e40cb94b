"""The agent's questions for paper codes' current colours (issue 4): a server that stops
answering is not asked again in the same scan; one that refuses a question, or knows no such
person, leaves that code's printed colour."""

from __future__ import annotations

from jointcheck.checkpoint.paper_online import current_colours
from jointcheck.checkpoint.sync import Unreachable
from jointcheck.credentials.model import CodeColour
from jointcheck.errors import InputError


class FakeServer:
    def __init__(self, answers: dict[str, CodeColour | Exception | None]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def paper_colour(self, subject_hash: str) -> CodeColour | None:
        self.asked.append(subject_hash)
        answer = self.answers[subject_hash]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_each_answer_is_kept_by_subject() -> None:
    server = FakeServer({"a": CodeColour.YELLOW, "b": None, "c": InputError("x", code="BAD")})
    found = current_colours(server, ["a", "b", "c"])
    assert (found("a"), found("b"), found("c")) == (CodeColour.YELLOW, None, None)
    assert found.failure == ""
    assert server.asked == ["a", "b", "c"]


def test_no_more_questions_after_the_server_stops_answering() -> None:
    server = FakeServer({"a": CodeColour.RED, "b": Unreachable("ReadTimeout"), "c": None})
    found = current_colours(server, ["a", "b", "c"])
    assert server.asked == ["a", "b"]
    assert found.failure == "ReadTimeout"
    assert found("a") is CodeColour.RED
    assert found("c") is None
