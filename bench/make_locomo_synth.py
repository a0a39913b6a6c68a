"""Writes a synthetic LoCoMo-format file for timing `secondme eval` at LoCoMo's scale.

Shape (defaults): 10 conversations × 25 sessions × ~22 turns, ~200 questions each —
about the size of the public LoCoMo-10 set. Content is templated small talk between two
friends with life events woven in (pets, trips, jobs, classes, injuries, races, books,
visits, purchases, food), so words and names vary the way real chat does and questions
need both exact names and paraphrase. Every question's evidence points at the turns that
state it; categories follow LoCoMo's codes (1 multi-hop, 2 temporal, 3 open-domain,
4 single-hop, 5 adversarial), and a few evidence ids are written in LoCoMo's messy ways
("D:3:4", "D3:4; D5:1") so the normaliser is exercised too. Deterministic for a seed.

It measures speed, not quality: templated text is easier than real conversation.

Usage: python bench/make_locomo_synth.py [OUT] [--conversations 10] [--sessions 25]
       [--turns 22] [--questions 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "out" / "locomo_synth.json"

NAMES = ["Caroline", "Melanie", "Jon", "Gina", "Tim", "John", "Maria", "Joanna", "Nate", "Audrey",
         "Andrew", "Deborah", "Jolene", "Evan", "Sam", "Calvin", "Dave", "Priya", "Tomas", "Lena",
         "Ravi", "Mei", "Oscar", "Nadia"]
CITIES = ["Lisbon", "Kyoto", "Denver", "Oaxaca", "Tallinn", "Cape Town", "Vancouver", "Porto",
          "Hanoi", "Edinburgh", "Marrakesh", "Seville", "Reykjavik", "Melbourne", "Krakow",
          "Santiago", "Istanbul", "Nashville", "Bergen", "Montreal", "Chiang Mai", "Valencia"]
LANDMARKS = ["old harbour", "night market", "botanical garden", "cathedral", "castle ruins",
             "street murals", "hot springs", "jazz bars", "lighthouse", "food hall", "waterfalls"]
ANIMALS = ["puppy", "kitten", "rabbit", "parrot", "corgi", "tabby cat", "beagle", "hamster"]
PET_NAMES = ["Biscuit", "Luna", "Pepper", "Mochi", "Ziggy", "Olive", "Bruno", "Nimbus",
             "Waffles", "Juniper", "Pickles", "Maple"]
HOBBIES = ["pottery", "salsa dancing", "watercolor painting", "rock climbing", "improv theatre",
           "woodworking", "Japanese", "photography", "guitar", "swimming", "chess", "baking"]
PLACES = ["community centre", "library", "studio downtown", "YMCA", "art school", "gym"]
ROLES = ["team lead", "senior designer", "head nurse", "product manager", "sous chef",
         "project engineer", "store manager", "research assistant"]
COMPANIES = ["a logistics firm", "the city hospital", "a small bakery", "a robotics startup",
             "an architecture studio", "the public library", "a game company"]
BOOKS = [("The Overstory", "trees and the people who love them"),
         ("Becoming", "Michelle Obama's life"), ("Dune", "a desert planet and its politics"),
         ("Educated", "a woman who leaves a survivalist family to study"),
         ("Circe", "a witch from Greek myth"), ("The Martian", "an astronaut stranded on Mars"),
         ("Atomic Habits", "building small habits"), ("Pachinko", "a Korean family in Japan")]
RELATIONS = ["sister", "brother", "cousin", "grandmother", "aunt", "best friend from college"]
DISHES = ["lasagna", "pad thai", "shakshuka", "ramen from scratch", "paella", "banana bread",
          "dumplings", "mole poblano", "sourdough"]
BODY = [("ankle", "hiking"), ("wrist", "skateboarding"), ("knee", "playing soccer"),
        ("shoulder", "lifting boxes"), ("back", "gardening")]
DISTANCES = ["5k", "10k", "half marathon", "charity fun run"]
COLORS = ["red", "blue", "green", "silver", "yellow"]
VEHICLES = ["bike", "car", "scooter", "kayak"]
CAPTIONS = ["a photo of a dog sitting on a couch", "a photo of a plate of food on a table",
            "a photo of a mountain lake at sunset", "a photo of a painting of flowers",
            "a photo of a group of people at a concert", "a photo of a cat in a window"]

FILLER = [
    "How has your week been going?", "Pretty busy, but good. Work has been hectic.",
    "Did you do anything fun over the weekend?", "Not much, mostly rested and cleaned the house.",
    "The weather here has been so unpredictable lately.", "That sounds exhausting, take care!",
    "I've been trying to get more sleep, it's harder than it sounds.",
    "Honestly same, my schedule is all over the place.", "What are you up to tonight?",
    "Just cooking dinner and watching a show.", "Any plans for the holidays yet?",
    "Thinking about it, nothing booked yet.", "I love hearing about your adventures!",
    "Thanks for always listening, it means a lot.", "We should catch up in person soon.",
    "Definitely, let me know when you're free.", "Haha, that's so you.",
    "I can't believe how fast this month went by.", "How is your family doing?",
    "Everyone's fine, thanks for asking.", "I've been meaning to ask you about that.",
    "That's wonderful news, congrats!", "Oh no, I'm sorry to hear that.",
    "Wow, tell me more!", "That must have been quite the experience.",
]


def locomo_date(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return (f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'} on "
            f"{moment.day} {moment.strftime('%B')}, {moment.year}")


def month_year(moment: datetime) -> str:
    return moment.strftime("%B %Y")


class Conversation:
    """Builds one sample: sessions of turns, a log of stated events, then questions."""

    def __init__(self, rng: random.Random, index: int, sessions: int, turns: int) -> None:
        self.rng = rng
        self.a, self.b = rng.sample(NAMES, 2)
        self.index = index
        self.sessions_n = sessions
        self.turns_n = turns
        self.events: list[dict] = []   # each: kind, speaker, dia, when, facts…
        self.conversation: dict = {"speaker_a": self.a, "speaker_b": self.b}

    def other(self, speaker: str) -> str:
        return self.b if speaker == self.a else self.a

    def event(self, speaker: str, when: datetime) -> tuple[str, dict]:
        r = self.rng
        kind = r.choice(["pet", "trip", "trip", "class", "job", "book", "visit", "cook", "injury",
                         "race", "buy"])
        if kind == "pet":
            animal, name = r.choice(ANIMALS), r.choice(PET_NAMES)
            text = f"Big news: we adopted a {animal} last weekend and named it {name}!"
            facts = {"animal": animal, "name": name}
        elif kind == "trip":
            city, spot = r.choice(CITIES), r.choice(LANDMARKS)
            text = f"I just got back from {city}. The {spot} there blew me away."
            facts = {"city": city, "spot": spot}
        elif kind == "class":
            hobby, place = r.choice(HOBBIES), r.choice(PLACES)
            text = f"I finally signed up for {hobby} classes at the {place}, Tuesdays and Thursdays."
            facts = {"hobby": hobby, "place": place}
        elif kind == "job":
            role, company = r.choice(ROLES), r.choice(COMPANIES)
            text = f"Guess what, I got promoted to {role} at {company}!"
            facts = {"role": role, "company": company}
        elif kind == "book":
            title, topic = r.choice(BOOKS)
            text = f"I'm halfway through '{title}', it's about {topic}. Hard to put down."
            facts = {"title": title, "topic": topic}
        elif kind == "visit":
            relation, name, city = r.choice(RELATIONS), r.choice(NAMES), r.choice(CITIES)
            text = f"My {relation} {name} is flying in from {city} to stay with me for a week."
            facts = {"relation": relation, "name": name, "city": city}
        elif kind == "cook":
            dish = r.choice(DISHES)
            text = f"I tried making {dish} for the first time and it actually turned out great."
            facts = {"dish": dish}
        elif kind == "injury":
            part, activity = r.choice(BODY)
            text = f"Ugh, I sprained my {part} while {activity}, so I'm resting this week."
            facts = {"part": part, "activity": activity}
        elif kind == "race":
            distance, city = r.choice(DISTANCES), r.choice(CITIES)
            minutes = r.randint(24, 140)
            text = f"I ran the {distance} in {city} on Saturday and finished in {minutes} minutes!"
            facts = {"distance": distance, "city": city, "minutes": minutes}
        else:
            color, vehicle = r.choice(COLORS), r.choice(VEHICLES)
            text = f"I treated myself and bought a {color} {vehicle}, it's perfect for weekends."
            facts = {"color": color, "vehicle": vehicle}
        return text, {"kind": kind, "speaker": speaker, "when": when, **facts}

    def build_sessions(self) -> None:
        r = self.rng
        when = datetime(2022 + r.randint(0, 1), r.randint(1, 6), r.randint(1, 28),
                        r.randint(8, 21), r.choice([0, 7, 15, 23, 31, 42, 56]))
        for s in range(1, self.sessions_n + 1):
            count = max(6, self.turns_n + r.randint(-4, 4))
            turns = []
            event_slots = set(r.sample(range(count), k=min(count, r.randint(3, 5))))
            for t in range(count):
                speaker = self.a if t % 2 == 0 else self.b
                dia = f"D{s}:{t + 1}"
                if t in event_slots:
                    text, event = self.event(speaker, when)
                    event["dia"] = dia
                    self.events.append(event)
                else:
                    text = r.choice(FILLER)
                turn = {"speaker": speaker, "dia_id": dia, "text": text}
                if r.random() < 0.06:
                    turn["img_url"] = ["https://example.invalid/img.jpg"]
                    turn["blip_caption"] = r.choice(CAPTIONS)
                turns.append(turn)
            self.conversation[f"session_{s}_date_time"] = locomo_date(when)
            self.conversation[f"session_{s}"] = turns
            when += timedelta(days=r.randint(3, 21), hours=r.randint(-5, 5),
                              minutes=r.randint(0, 59))

    def messy(self, dia: str) -> str:
        """A few ids the way LoCoMo sometimes writes them."""
        if self.rng.random() < 0.03:
            return dia.replace("D", "D:", 1)
        return dia

    def single(self, e: dict) -> tuple[str, str] | None:
        s = e["speaker"]
        return {
            "pet": (f"What did {s} name the new {e.get('animal')}?", e.get("name")),
            "trip": (f"What did {s} love most about the trip to {e.get('city')}?", e.get("spot")),
            "class": (f"What kind of classes did {s} sign up for?", e.get("hobby")),
            "job": (f"What position was {s} promoted to?", e.get("role")),
            "book": (f"Which book was {s} reading that is about {e.get('topic')}?", e.get("title")),
            "visit": (f"Who came to stay with {s} for a week?",
                      f"{s}'s {e.get('relation')} {e.get('name')}"),
            "cook": (f"What did {s} cook for the first time?", e.get("dish")),
            "injury": (f"How did {s} get hurt?", f"sprained {e.get('part')} while {e.get('activity')}"),
            "race": (f"How long did {s} take to finish the {e.get('distance')}?",
                     f"{e.get('minutes')} minutes"),
            "buy": (f"What did {s} buy for weekends?", f"a {e.get('color')} {e.get('vehicle')}"),
        }.get(e["kind"])

    def temporal(self, e: dict) -> tuple[str, str]:
        s = e["speaker"]
        what = {"pet": "adopt a pet", "trip": f"travel to {e.get('city')}",
                "class": f"start {e.get('hobby')} classes", "job": "get promoted",
                "book": f"read '{e.get('title')}'", "visit": "host a visit from family",
                "cook": f"first cook {e.get('dish')}", "injury": f"sprain the {e.get('part')}",
                "race": f"run the {e.get('distance')}", "buy": f"buy the {e.get('vehicle')}"}
        return f"When did {s} {what[e['kind']]}?", month_year(e["when"])

    def questions(self, target: int) -> list[dict]:
        r = self.rng
        qa: list[dict] = []
        events = list(self.events)
        r.shuffle(events)
        for e in events:
            if len(qa) >= target * 0.45:
                break
            question, answer = self.single(e)
            qa.append({"question": question, "answer": answer,
                       "evidence": [self.messy(e["dia"])], "category": 4})
        for e in events:
            if len(qa) >= target * 0.65:
                break
            question, answer = self.temporal(e)
            qa.append({"question": question, "answer": answer, "evidence": [e["dia"]],
                       "category": 2})
        by_kind: dict[tuple[str, str], list[dict]] = {}
        for e in self.events:
            by_kind.setdefault((e["speaker"], e["kind"]), []).append(e)
        multi = [(k, v) for k, v in by_kind.items() if len(v) >= 2]
        plural = {"trip": "cities did {s} travel to", "pet": "pets did {s} adopt",
                  "class": "classes did {s} sign up for", "book": "books was {s} reading",
                  "cook": "dishes did {s} cook for the first time", "race": "races did {s} run",
                  "visit": "relatives visited {s}", "job": "promotions did {s} get",
                  "injury": "injuries did {s} have", "buy": "things did {s} buy"}
        for (speaker, kind), items in multi:
            if len(qa) >= target * 0.8:
                break
            evidence = [e["dia"] for e in items[:4]]
            if r.random() < 0.1:
                evidence = ["; ".join(evidence)]
            qa.append({"question": "Which " + plural[kind].format(s=speaker) + "?",
                       "answer": ", ".join(str(self.single(e)[1]) for e in items[:4]),
                       "evidence": evidence, "category": 1})
        open_templates = {
            "trip": "Would {s} enjoy another trip abroad?", "pet": "Is {s} an animal lover?",
            "class": "Does {s} like learning new skills?", "race": "Is {s} into fitness?",
            "cook": "Would {s} enjoy a cooking show?", "book": "Is {s} a reader?"}
        asked: set[tuple[str, str]] = set()
        for e in events:
            if len(qa) >= target * 0.9:
                break
            key = (e["speaker"], e["kind"])
            if e["kind"] in open_templates and key not in asked:
                asked.add(key)   # the evidence is every event that supports the inference
                qa.append({"question": open_templates[e["kind"]].format(s=e["speaker"]),
                           "answer": "Likely yes",
                           "evidence": [x["dia"] for x in by_kind[key]], "category": 3})
        for e in events:
            if len(qa) >= target:
                break
            question, answer = self.single(e)
            other = self.other(e["speaker"])
            qa.append({"question": question.replace(e["speaker"], other, 1),
                       "adversarial_answer": answer, "evidence": [e["dia"]], "category": 5})
        return qa


def build(conversations: int, sessions: int, turns: int, questions: int, seed: int) -> list:
    rng = random.Random(seed)
    samples = []
    for index in range(conversations):
        conv = Conversation(rng, index, sessions, turns)
        conv.build_sessions()
        samples.append({"sample_id": f"synth-{index + 1}", "conversation": conv.conversation,
                        "qa": conv.questions(questions)})
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(DEFAULT_OUT))
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--turns", type=int, default=22)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    data = build(args.conversations, args.sessions, args.turns, args.questions, args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    n_turns = sum(len(v) for s in data for k, v in s["conversation"].items()
                  if k.startswith("session_") and isinstance(v, list))
    n_q = sum(len(s["qa"]) for s in data)
    print(f"wrote {out}: {len(data)} conversations, {n_turns} turns, {n_q} questions")


if __name__ == "__main__":
    main()
