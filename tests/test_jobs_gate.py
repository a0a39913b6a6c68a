"""The chat comes first: a background job waits between units while a reply generates."""

from __future__ import annotations

import threading
import time

from secondme.jobs.gate import ChatActivity
from secondme.jobs.models import model_for
from secondme.jobs.runner import run_job
from secondme.jobs.scheduler import start_background
from storage import jobs as job_rows


def _until(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


class Clock:
    """A hand-moved monotonic clock: no test waits on real seconds of quiet."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_job_pauses_between_units_while_a_reply_generates(services):
    activity = ChatActivity(quiet_seconds=0)
    units: list[int] = []
    unit_started = threading.Event()

    def job(ctx) -> None:
        for unit in range(3):
            unit_started.set()
            units.append(unit)
            ctx.report("unit", unit + 1, 3)

    activity.reply_started()                          # the person pressed Enter
    results = []
    worker = threading.Thread(target=lambda: results.append(
        run_job(services, "fake", job, gate=activity)))
    worker.start()
    try:
        assert _until(lambda: activity.holding == "fake")
        assert units == [0]                            # held after its first unit, not later
        assert worker.is_alive()
    finally:
        activity.reply_finished()                      # the reply is done: the job resumes
        worker.join(10)
    assert units == [0, 1, 2] and activity.holding is None
    assert results[0].status == "ok" and results[0].counts["waited_for_chat"] == 1


def test_typing_holds_a_job_until_the_chat_is_quiet():
    clock = Clock()
    activity = ChatActivity(quiet_seconds=4, clock=clock)
    assert not activity.busy
    activity.typed()
    assert activity.busy
    clock.now += 3.9
    assert activity.busy
    clock.now += 0.2
    assert not activity.busy
    assert activity.wait_turn("embed") is False       # quiet: no wait at all


def test_a_cancelled_job_stops_waiting():
    activity = ChatActivity(quiet_seconds=0)
    activity.reply_started()
    cancel = threading.Event()
    waited = []
    worker = threading.Thread(target=lambda: waited.append(activity.wait_turn("dedupe", cancel)))
    worker.start()
    assert _until(lambda: activity.holding == "dedupe")
    cancel.set()                                      # e.g. the app quits or locks
    worker.join(10)
    assert waited == [True] and activity.holding is None


def test_a_job_does_not_call_the_model_while_a_reply_generates(services, fake_model):
    from secondme.jobs.runner import JobContext, JobOptions

    activity = ChatActivity(quiet_seconds=0)
    ctx = JobContext(services, "summarize", 0, JobOptions(), threading.Event(), gate=activity)
    model = model_for(ctx)
    activity.reply_started()
    out: list[str] = []
    worker = threading.Thread(target=lambda: out.append(model.complete("summarise this")))
    worker.start()
    try:
        assert _until(lambda: activity.holding == "summarize")
        assert fake_model.prompts == []                # not one token while the chat replies
    finally:
        activity.reply_finished()
        worker.join(10)
    assert fake_model.prompts == ["summarise this"] and out


def test_preempt_leaves_a_job_that_already_waits_for_the_chat(services):
    handle = start_background(services, first_run_delay=0, stagger=0.2)
    try:
        handle.activity.reply_started()
        assert _until(lambda: handle.activity.holding is not None)
        held = handle.activity.holding
        status = handle.status()
        assert status["held"] == held and status["running_job"] == held
        assert handle.preempt() is False                 # it keeps its place in the queue
        handle.activity.reply_finished()
        # Its own run row, not the status line: the next queued job may finish first.
        assert _until(lambda: any(r["job"] == held and r["status"] == "ok"
                                  for r in job_rows.recent_runs(services.bank.db())), 60)
    finally:
        handle.shutdown()
