"""The flow graph, the runs chart and a run's timeline are built readably from API data alone (no server needed)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from itertools import pairwise

from dashboard.flows import drawing as flow_drawing
from dashboard.live import chart
from dashboard.recrubo import run_timeline as timeline


def chain(length: int) -> list[dict]:
    """A flow of `length` asks between a start and two ends, each ask able to decline, as the API returns it."""
    def ask(number: int) -> dict:
        following = f"q{number + 1}" if number + 1 < length else "yes"
        return {"id": f"q{number}", "name": f"Question {number}", "index": number + 1,
                "nodeActions": [{"actionType": "ask", "value": {"text": f"Question {number}?"},
                                 "variableName": f"q{number}", "index": 0}],
                "nodeTransitions": [{"exitNodeId": "no", "condition": f"session.q{number} === 'no'", "index": 0},
                                    # the relationship form of a link, as with include=nodeTransitions.exitNode
                                    {"exitNode": {"id": following, "type": "nodes"}, "condition": None, "index": 1}]}
    start = {"id": "start", "name": "Welcome", "index": 0, "isStartFlow": True,
             "nodeActions": [{"actionType": "say", "value": {"text": "Hi!"}, "index": 0}],
             "nodeTransitions": [{"exitNodeId": "q0", "condition": None, "index": 0}]}
    ends = [{"id": "yes", "name": "Accepted", "index": 98, "isEndFlow": True, "endFlowType": "accepted"},
            {"id": "no", "name": "Declined", "index": 99, "isEndFlow": True, "endFlowType": "declined"}]
    return [start] + [ask(number) for number in range(length)] + ends


def test_a_thirty_step_flow_is_drawn_top_down_without_overlapping_boxes():
    drawing = flow_drawing.layout(chain(30))
    boxes = {box.id: box for box in drawing.boxes}
    assert len(boxes) == 33
    assert boxes["start"].kind == "start" and boxes["start"].badge == "Start"
    assert boxes["yes"].badge == "End · accepted" and boxes["no"].kind == "end"
    ordered = [boxes["start"]] + [boxes[f"q{n}"] for n in range(30)] + [boxes["yes"]]
    assert all(upper.y + upper.height < lower.y for upper, lower in pairwise(ordered))
    for one in drawing.boxes:
        for other in drawing.boxes:
            if one is not other:
                apart = (one.x + one.width <= other.x or other.x + other.width <= one.x or
                         one.y + one.height <= other.y or other.y + other.height <= one.y)
                assert apart, (one.id, other.id)
    assert all(0 <= box.x and box.x + box.width <= drawing.width and box.y + box.height <= drawing.height
               for box in drawing.boxes)


def test_every_link_is_drawn_with_its_condition_and_a_loop_goes_back_up():
    nodes = chain(3)
    nodes[-1]["nodeTransitions"] = [{"exitNodeId": "start", "condition": "session.retry == true", "index": 0}]
    drawing = flow_drawing.layout(nodes)
    links = {(edge.source, edge.target): edge for edge in drawing.edges}
    assert links[("q0", "no")].condition == "session.q0 === 'no'" and links[("q0", "no")].kind == "lane"
    assert links[("q0", "no")].label == "q0 = no"
    assert links[("start", "q0")].label == "" and links[("start", "q0")].kind == "next"
    assert links[("no", "start")].kind == "back"
    assert len(drawing.edges) == sum(len(node.get("nodeTransitions") or []) for node in nodes)


def test_steps_read_as_text_in_start_first_order():
    steps = flow_drawing.steps(chain(2))
    assert steps[0]["name"] == "Welcome" and steps[0]["start"]
    assert steps[1]["actions"] == ["ask: Question 0? → q0"]
    assert steps[1]["links"] == [{"condition": "session.q0 === 'no'", "to": "Declined", "to_id": "no"},
                                 {"condition": None, "to": "Question 1", "to_id": "q1"}]


def test_a_flow_without_steps_draws_nothing():
    assert flow_drawing.layout([]).boxes == []


def test_runs_chart_has_two_bars_a_day_scaled_to_a_round_top():
    today = date(2026, 11, 23)
    started = chart.counts([{"createdAt": "2026-11-23T10:00:00+00:00"}] * 7 +
                               [{"createdAt": "2026-11-01T10:00:00+00:00"}], "createdAt")
    finished = chart.counts([{"updatedAt": "2026-11-22T10:00:00+00:00"}] * 3, "updatedAt")
    drawn = chart.build(today, started, finished, days=14)
    assert drawn.days[0] == date(2026, 11, 10) and drawn.days[-1] == today
    assert len(drawn.bars) == 28
    assert [value for _, value in drawn.ticks] == [0, 2, 4, 6, 8, 10]  # 7 rounds up to 10
    bar = {(bar.series, bar.day): bar for bar in drawn.bars}
    assert bar[("started", today)].value == 7 and bar[("finished", date(2026, 11, 22))].value == 3
    assert bar[("started", today)].height > bar[("finished", date(2026, 11, 22))].height > 0
    assert drawn.rows[-1] == (today, 7, 0) and Counter(started)[date(2026, 11, 1)] == 1


def test_a_runs_timeline_names_the_steps_its_messages_came_from():
    run = {"createdAt": "2026-11-23T10:00:00+00:00", "updatedAt": "2026-11-23T10:05:00+00:00", "status": "finished"}
    nodes = [{"name": "Hours", "nodeActions": [{"value": {"text": "How many hours?"}}]},
             {"name": "Done", "nodeActions": [{"value": {"text": "Thanks!"}}]}]
    messages = [{"origin": "outbound", "payload": {"type": "text", "text": {"value": "How many hours?\n1. 16-24"}},
                 "createdAt": "2026-11-23T10:01:00+00:00"},
                {"origin": "inbound", "payload": {"type": "text", "attributes": {"value": "16-24"}},
                 "createdAt": "2026-11-23T10:02:00+00:00"},
                {"origin": "outbound", "payload": {"type": "text", "text": {"value": "Thanks!"}},
                 "createdAt": "2026-11-23T10:03:00+00:00"}]
    entries = timeline.build(run, messages, nodes)
    assert [(entry.kind, entry.text) for entry in entries] == [
        ("start", "Run queued"), ("step", "Reached step “Hours”"), ("answer", "Candidate answered"),
        ("step", "Reached step “Done”"), ("end", "Run finished")]
    assert entries[2].detail == "16-24"


def test_a_back_links_condition_fits_on_the_canvas():
    nodes = chain(2)
    nodes[2]["nodeTransitions"].append({"exitNodeId": "start", "condition": "session.q1 == 'again'", "index": 2})
    drawing = flow_drawing.layout(nodes)
    back = next(edge for edge in drawing.edges if edge.kind == "back")
    assert back.label == "q1 = again" and back.box is not None
    assert 0 <= back.box.x and back.box.x + back.box.width <= drawing.width
    assert 0 <= back.box.y and back.box.y + back.box.height <= drawing.height
