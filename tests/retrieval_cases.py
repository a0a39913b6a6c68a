"""A small labeled set for hybrid retrieval: memories with dates, questions with their answer.

Written so that each signal alone has blind spots: exact tokens (codes, rare names)
that embeddings blur, and paraphrases that share no word with the memory. `NOW` is
the moment the questions are asked. Used by tests/test_retrieval.py and by
`bench/retrieval.py --quality` (fusion and retention-floor measurements).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

NOW = datetime(2024, 5, 1, 12, 0, 0)


@dataclass(frozen=True)
class Case:
    query: str
    answer: str            # key of the memory that answers it
    kind: str              # what it exercises: lexical, semantic, both, time, faded, recency


# key → (text, event time). Dates are relative to NOW (Wednesday 2024-05-01).
MEMORIES: dict[str, tuple[str, str]] = {
    # codes and identifiers: embeddings see "a code", BM25 sees the exact token
    "bike_code": ("My bike lock combination is 4471.", "2024-04-20T09:00:00"),
    "garage_code": ("The garage door keypad code is 9032.", "2024-04-21T09:00:00"),
    "storage_code": ("The storage unit padlock opens with 7731.", "2024-04-20T10:00:00"),
    "alarm_code": ("The office alarm code is 2580, disarm it within 30 seconds.",
                   "2024-04-21T10:00:00"),
    "gate_code": ("The gate code at Mum's building is 1946.", "2024-04-22T10:00:00"),
    "safe_code": ("The hotel safe combination was 3308 during the Lisbon trip.",
                  "2024-04-23T10:00:00"),
    "wifi": ("The guest wifi password at home is tulip-88.", "2024-04-22T09:00:00"),
    "locker": ("My locker at the climbing gym is number 112.", "2024-04-23T09:00:00"),
    "pin_hint": ("The hint for my bank card PIN is the year I met Sam.", "2024-04-10T09:00:00"),
    "flight": ("Booked flight TP1357 to Lisbon for the conference in June.",
               "2024-04-18T15:00:00"),
    "flight_colleague": ("Colleague booked flight TP1375 to Lisbon for the same conference.",
                         "2024-04-18T16:00:00"),
    "flight_return": ("Return flight TP1537 from Lisbon lands at 18:40 on the Friday.",
                      "2024-04-18T17:00:00"),
    "train": ("Took the night train to Vienna last autumn, seat 42 in carriage 7.",
              "2024-04-02T10:00:00"),
    # rare names
    "okonkwo": ("Dr. Okonkwo said my iron levels are a bit low and to eat more lentils.",
                "2024-04-25T16:00:00"),
    "dentist": ("The dentist found a small cavity and booked a filling for next month.",
                "2024-04-24T11:00:00"),
    "gp": ("My doctor says my blood pressure is fine but I should sleep more.",
           "2024-04-12T10:00:00"),
    "physio": ("The physiotherapist gave me exercises for my sore knee.", "2024-04-15T10:00:00"),
    "zuzana": ("Zuzana from work recommended the book Piranesi.", "2024-04-19T13:00:00"),
    "book_club": ("Our book club is reading a mystery novel this month.", "2024-04-16T19:00:00"),
    "novel_gift": ("Mum gave me a novel about a lighthouse keeper for my birthday.",
                   "2024-03-30T12:00:00"),
    # paraphrase targets: no shared content word with their question
    "kitten": ("We adopted a kitten called Miso from the shelter.", "2024-04-14T12:00:00"),
    "pet_shop": ("The pet shop on Elm Street closed down and the pet food aisle moved online.",
                 "2024-04-26T12:00:00"),
    "sister": ("My sister Ana moved to Porto with her husband; she teaches chemistry there.",
               "2024-03-28T12:00:00"),
    "lives_alone": ("I live alone in a small flat near the river.", "2024-04-05T12:00:00"),
    "allergy": ("I react badly to peanuts: my throat swells, so I carry an EpiPen.",
                "2024-04-03T12:00:00"),
    "food_diary": ("Had a peanut butter sandwich and an apple for lunch.", "2024-04-29T13:00:00"),
    "job": ("Started a new position as a data engineer at Lumen Health.", "2024-04-08T09:00:00"),
    "old_job": ("Handed in my notice at the bakery where I worked for five years.",
                "2024-03-20T09:00:00"),
    "salary": ("The salary at the new position is better than the bakery paid.",
               "2024-04-09T09:00:00"),
    "fear": ("Standing on the glass floor of the tower made my legs shake; heights terrify me.",
             "2024-04-11T18:00:00"),
    "hike": ("Hiked up to the ridge viewpoint with Tom; great views of the valley.",
             "2024-04-27T10:00:00"),
    # time-anchored events
    "run_april": ("I ran 5 km along the river in 31 minutes.", "2024-04-27T08:00:00"),
    "run_march": ("Ran 3 km on the treadmill, knee felt sore afterwards.", "2024-03-12T08:00:00"),
    "run_yesterday": ("Went for an easy 8 km run with the club.", "2024-04-30T07:30:00"),
    "cinema_yesterday": ("Watched Dune Part Two at the cinema with Ana's friends.",
                         "2024-04-30T20:00:00"),
    "cooked_yesterday": ("Cooked a mushroom risotto for dinner.", "2024-04-30T19:00:00"),
    "market_last_week": ("Bought strawberries and asparagus at the farmers market.",
                         "2024-04-27T09:30:00"),
    "concert_last_week": ("Saw a jazz trio play at the Blue Note on Thursday night.",
                          "2024-04-25T21:00:00"),
    "march_trip": ("Spent a long weekend in Seville; the orange trees were in bloom.",
                   "2024-03-16T12:00:00"),
    "may_2023": ("Visited Grandma in Braga and helped plant tomatoes.", "2023-05-14T12:00:00"),
    "today_morning": ("Had a long call with the landlord about the broken boiler.",
                      "2024-05-01T09:00:00"),
    # generic chatter (distractors)
    "weather": ("It rained all afternoon so I stayed in and read.", "2024-04-28T15:00:00"),
    "groceries": ("Need to buy oat milk, eggs and coffee beans.", "2024-04-29T18:00:00"),
    "laundry": ("Did three loads of laundry and ironed shirts for the week.",
                "2024-04-28T11:00:00"),
    "plants": ("Repotted the monstera and the basil on the balcony.", "2024-04-21T16:00:00"),
    "podcast": ("Listened to a podcast about the history of maps on the train.",
                "2024-04-17T08:00:00"),
    "bills": ("Paid the electricity bill, it was higher than last quarter.",
              "2024-04-13T10:00:00"),
    "gym": ("Climbing session at the gym, finally sent the blue overhang route.",
            "2024-04-23T19:00:00"),
    "coffee": ("Tried a new Ethiopian coffee at the cafe on the corner.", "2024-04-22T08:30:00"),
    "car": ("The car needs new tyres before the summer road trip.", "2024-04-19T17:00:00"),
    "sleep": ("Slept badly again, woke up at 4am thinking about work.", "2024-04-26T07:00:00"),
    # faded but relevant (old, never reinforced) vs fresh but off-topic lexical overlap
    "old_wifi": ("The wifi password used to be daisy-12 before the new router.",
                 "2024-03-02T09:00:00"),
    "old_dentist": ("The dentist said my teeth were fine, nothing to fix.", "2024-03-05T11:00:00"),
    "passport": ("My passport expires in August 2025, renewal form is in the blue folder.",
                 "2024-03-20T12:00:00"),
    "folder_fresh": ("Bought a blue folder and some pens at the stationery shop.",
                     "2024-04-30T12:00:00"),
}

CASES: list[Case] = [
    # exact tokens: BM25 has them, embeddings blur them among similar memories
    Case("which lock uses 4471?", "bike_code", "lexical"),
    Case("what opens with 7731", "storage_code", "lexical"),
    Case("where do I type 1946", "gate_code", "lexical"),
    Case("what is 9032 for", "garage_code", "lexical"),
    Case("tulip-88", "wifi", "lexical"),
    Case("TP1357 details", "flight", "lexical"),
    Case("who is on TP1375", "flight_colleague", "lexical"),
    Case("when does TP1537 land", "flight_return", "lexical"),
    Case("what did Okonkwo tell me", "okonkwo", "lexical"),
    Case("who told me about Piranesi", "zuzana", "lexical"),
    Case("carriage 7 seat", "train", "lexical"),
    # paraphrase: no shared word, only meaning
    Case("do I have any pets?", "kitten", "semantic"),
    Case("where is my sibling living these days", "sister", "semantic"),
    Case("what am I allergic to", "allergy", "semantic"),
    Case("what is my job now", "job", "semantic"),
    Case("what am I afraid of", "fear", "semantic"),
    Case("what did the medic say about my anaemia", "okonkwo", "semantic"),
    Case("when does my travel document run out", "passport", "semantic"),
    # both signals partially
    Case("what did the dentist find", "dentist", "both"),
    Case("which book was recommended to me by a colleague", "zuzana", "both"),
    Case("exercises for my knee", "physio", "both"),
    Case("where did I go hiking", "hike", "both"),
    # time-anchored
    Case("how far did I run in April", "run_april", "time"),
    Case("what did I do yesterday evening at the movies", "cinema_yesterday", "time"),
    Case("what did I cook yesterday", "cooked_yesterday", "time"),
    Case("what did I buy at the market last week", "market_last_week", "time"),
    Case("which concert did I go to last week", "concert_last_week", "time"),
    Case("where did I travel in March", "march_trip", "time"),
    Case("what did I do in May 2023", "may_2023", "time"),
    Case("what happened this morning", "today_morning", "time"),
    Case("how did my run on April 27th go", "run_april", "time"),
    Case("running yesterday", "run_yesterday", "time"),
    # recency: an older memory matches as well; the current one should win
    Case("where do I work", "job", "recency"),
    Case("what is the wifi password", "wifi", "recency"),
    Case("what did the dentist say about my teeth", "dentist", "recency"),
    Case("how is my knee doing", "physio", "recency"),
]


@functools.cache
def real_embedder():
    """One all-MiniLM-L6-v2 per test session (it takes seconds to load)."""
    from secondme.memory.embeddings import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.load()
    return embedder
