"""Rules for the facts people state (issue 15.2), and the profile built from the issue's chat."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from secondme.clock import Clock
from secondme.config import load_settings
from secondme.consolidation.profile.builder import ProfileBuilder
from secondme.consolidation.profile.rules import extract
from secondme.consolidation.profile.text import quote_in
from secondme.conversation.context import known_user_name
from secondme.services import build_services
from secondme.views.profile import profile_view

from .fakes import FakeModel, HashingEmbedder

CHAT = ("I'm Sam. My sister Ana moved to Porto. My cat Miso is orange. My manager is Priya. "
        "I moved from Acme to Globex last month. I'm allergic to peanuts.")


def facts_of(text):
    return [(f.subject, f.attribute, f.value) + (("past",) if f.past else ())
            for f in extract(text)]


@pytest.mark.parametrize("text, expected", [
    ("I'm Sam.", [("user", "name", "Sam")]),
    ("Hi, I'm Sam and I love tea.", [("user", "likes", "tea"), ("user", "name", "Sam")]),
    ("I'm Italian.", []),
    ("I'm OK.", []),
    ("My sister Ana moved to Porto.", [("user", "family", "Ana (sister)"),
                                       ("Ana", "lives_in", "Porto")]),
    ("My cat Miso is orange.", [("user", "pet", "Miso (cat)")]),
    ("I have a dog called Rex.", [("user", "pet", "Rex (dog)")]),
    ("My manager is Priya.", [("user", "colleague", "Priya (manager)")]),
    ("My colleague Tom sits next to me.", [("user", "colleague", "Tom (colleague)")]),
    ("I moved from Acme to Globex last month, my new manager is kind.",
     [("user", "employer", "Globex"), ("user", "employer", "Acme", "past")]),
    ("I switched from Initech to Hooli.", [("user", "employer", "Hooli"),
                                           ("user", "employer", "Initech", "past")]),
    ("I moved from Lyon to Porto last month.", [("user", "lives_in", "Porto")]),
    ("I moved from Acme to Globex last month.", []),    # no cue at all: the rules don't guess
    ("I'm allergic to peanuts.", [("user", "health", "allergic to peanuts")]),
    ("I'm learning Portuguese.", [("user", "learning", "Portuguese")]),
    ("I started learning the guitar this year.", [("user", "learning", "the guitar")]),
    ("I started learning the cello in April.", [("user", "learning", "the cello")]),
    ("I run 9 km every Sunday.", [("user", "habit", "run 9 km every Sunday")]),
    ("Every Monday I go swimming.", [("user", "habit", "go swimming every Monday")]),
    ("I don't run every Sunday.", []),
])
def test_rules_for_what_people_state(text, expected):
    assert facts_of(text) == expected
    assert all(quote_in(f.evidence, text) for f in extract(text))


def test_the_issue_chat_gives_a_profile_with_the_right_attributes(bank, home):
    svc = build_services(load_settings(home), bank, Clock(datetime(2024, 5, 8, 9)),
                         embedder=HashingEmbedder(), model=FakeModel())
    assert known_user_name(svc.settings, svc.bank.db()) == "User"
    svc.memory.remember(f"User: {CHAT}\nSecond Me: Nice to meet you!", kind="turn",
                        source="chat", at=datetime(2024, 5, 8, 8, 30))
    ProfileBuilder(svc, use_llm=False).run()
    got = {(f["subject"], f["attribute"], f["value"], f["status"])
           for f in profile_view(svc, history=True)}
    assert got == {
        ("user", "name", "Sam", "active"),
        ("user", "family", "Ana (sister)", "active"),
        ("Ana", "lives_in", "Porto", "active"),
        ("user", "pet", "Miso (cat)", "active"),
        ("user", "colleague", "Priya (manager)", "active"),
        ("user", "employer", "Globex", "active"),
        ("user", "employer", "Acme", "closed"),
        ("user", "health", "allergic to peanuts", "active"),
    }
    acme = next(f for f in profile_view(svc, history=True) if f["value"] == "Acme")
    globex = next(f for f in profile_view(svc) if f["value"] == "Globex")
    assert acme["superseded_by"] == globex["id"] and acme["valid_to"] == "2024-05-08T08:30:00"
    assert svc.memory.get(acme["memory_id"]).state == "archived"
    assert not any(f["attribute"] == "lives_in" and f["subject"] == "user"
                   for f in profile_view(svc, history=True))
    # Every fact's words are in the chat: nothing stated that the person did not say.
    for fact in profile_view(svc, history=True):
        assert all(s["verified"] for s in fact["sources"])
        assert fact["value"].split(" (")[0] in CHAT
    assert known_user_name(svc.settings, svc.bank.db()) == "Sam"
    configured = build_services(load_settings(home, user_name="Samantha"), bank,
                                Clock(datetime(2024, 5, 8, 9)), embedder=HashingEmbedder(),
                                model=FakeModel())
    assert known_user_name(configured.settings, configured.bank.db()) == "Samantha"


async def test_the_app_greets_and_prompts_with_the_name_the_person_told(services, fake_model):
    from textual.widgets import Label

    from tui.app import SecondMeApp
    from tui.screens.chat import ChatScreen

    services.memory.remember(f"User: {CHAT}\nSecond Me: Nice to meet you!", kind="turn",
                             source="chat")
    ProfileBuilder(services, use_llm=False).run()
    fake_model.script = [["Hi ", "Sam"]]
    app = SecondMeApp(services=services, start_scheduler=False, preload=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        welcome = app.screen.query_one("#welcome", Label)
        assert str(welcome.render()).startswith("Hello Sam.")
        await asyncio.to_thread(app.screen.loaded.wait, 10)
        app.screen.query_one("#prompt").text = "hi"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert fake_model.prompts[-1].rstrip().endswith("Sam: hi\nSecond Me:")
