"""Builds assets/devset/memorybank_en.json: MemoryBank's English probing questions with evidence.

Source: MemoryBank / SiliconFriend (Zhong et al., AAAI 2024, arXiv:2305.10250),
https://github.com/zhongwanjun/MemoryBank-SiliconFriend, folder eval_data/en at commit
cf61c4196e4cfdb0f2b7a0316249fa40312dc3a9, MIT license (Copyright (c) 2023 Wanjun Zhong).
The dialogues are ChatGPT-generated. The release has 100 English probing questions but no answers
and no evidence; the table below is our annotation (one pass by reading every dialogue).

Evidence is "date#index": the index-th query/response exchange of that day (0-based), which is
also the id of the `turn` memory the harness stores for it. Annotation rules:
  * evidence = every exchange that states part of the answer; exchanges that only set the scene
    (a greeting, "I want to talk about X") are left out;
  * "what did we talk about on <day>" = every substantive exchange of that day;
  * a question whose answer is not in the history gets no evidence (it is counted and reported,
    never scored).
Categories: user (recall what the user said), assistant (what the assistant recommended),
temporal (anchored to a date or to "our first conversation"), negation (a "…, right?" check
whose premise the history contradicts).

Usage: python bench/make_devset_memorybank.py [SOURCE_DIR]   (default /work/shared/data/memorybank/en)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "devset" / "memorybank_en.json"
ASSISTANT = "Second Me"   # the chat stores "NAME: question\nSecond Me: reply"
NOW = "2023-05-07T10:00:00"   # the day after the last conversation: questions come afterwards

U, A, T, N = "user", "assistant", "temporal", "negation"

# user -> [(question as in the release, category, evidence, short reference answer)], in release order
ANNOTATIONS: dict[str, list[tuple[str, str, list[str], str]]] = {
    "Emily": [
        ("I recommended a science fiction movie before, what was it?", U,
         ["2023-04-30#3"], "The Wandering Earth"),
        ("When I was studying in the library, I read a novel. What was its name?", U,
         ["2023-05-01#0"], "One Hundred Years of Solitude"),
        ("What painters did you recommend to me?", A,
         ["2023-05-03#2"], "Leonardo da Vinci, Michelangelo and Raphael"),
        ("A few days ago, I mentioned that I had been to Green Wheat Park. Do you remember me saying what I saw there?", U,
         ["2023-04-28#1"], "It was Green Meadow Park: a blooming cherry blossom and a cute squirrel"),
        ("I shared with you a literary film called \"Taxi Driver\", what is its content?", U,
         ["2023-04-30#2"], "A young taxi driver who understands life and himself differently after meeting many passengers; the meaning of life and its uncertainties"),
        ("I mentioned on May 2nd that I went to the museum. Do you remember what exhibition I saw then?", T,
         ["2023-05-02#1"], "An exhibition of ancient artwork plus exhibitions on modern culture and technology; favourite: an old silk handicraft"),
        ("On May 4th, I shared with you some problems I encountered. What were they about?", T,
         ["2023-05-04#1", "2023-05-04#2"], "Nerves before an important speech: fear of saying something wrong or forgetting lines"),
    ],
    "Frank": [
        ("On April 27th, how long did I run in the park?", T,
         ["2023-04-27#2"], "An hour"),
        ("I once recommended a food program to you, what was its name?", U,
         ["2023-04-28#8"], "\"Home Cooking\" by CCTV"),
        ("What are some good places for hiking in the suburbs that you have recommended to me?", A,
         ["2023-04-29#1"], "Emei Mountain, Huangshan and Taishan"),
        ("\"What type of music do I like to listen to?\"", U,
         ["2023-05-05#1", "2023-05-05#2"], "Jazz"),
        ("On May 6th, I read a book. What was its name?", T,
         ["2023-05-06#1"], "To Live"),
        ("Why did I ask you for methods to relieve stress and relax my mood on April 30th?", T,
         ["2023-04-30#1"], "Stress at work was making him anxious and overwhelmed"),
        ("You once recommended a world history-related game to me. What was its name?", A,
         ["2023-04-28#2"], "Civilization"),
    ],
    "Lucy": [
        ("I recently went on a trip to Xiamen. What is my favorite attraction in Xiamen?", U,
         ["2023-04-27#3"], "Gulangyu Island"),
        ("I recently went to whose concert? What is my favorite song of theirs?", U,
         ["2023-04-29#1", "2023-04-29#2"], "Jay Chou; \"Listen to Mom\""),
        ("\"What genres of movies do I like to watch?\"", U,
         ["2023-04-28#1"], "Comedies and romance films"),
        ("\"What kind of cuisine do I like?\"", U,
         ["2023-04-30#1"], "Sichuan and Cantonese"),
        ("What methods have you told me about for relieving stress?", A,
         ["2023-05-03#0", "2023-05-03#1"], "Music, movies, books, yoga, moderate exercise; a trip"),
        ("What methods have you told me about for learning English listening and speaking?", A,
         ["2023-05-02#1"], "English songs and movies, talking with foreigners, online learning platforms"),
        ("I don't like watching comedy movies, right?", N,
         ["2023-04-28#1"], "Wrong: she likes comedies (and romance films)"),
    ],
    "Sunny": [
        ("Recently I've been exploring different workout methods.", U,
         ["2023-04-28#1"], "HIIT and weight training"),
        ("When I was taking photos in Mount Yuntai, what trouble did I encounter and who helped me?", U,
         ["2023-04-27#4"], "She ran out of food; a kind girl, a stranger, shared hers"),
        ("On May 3rd, which two movies did you recommend to me?", T,
         ["2023-05-03#1"], "\"Crazy Alien\" and \"The Climbers\""),
        ("\"On May 1st, I encountered something happy.?\"", T,
         ["2023-05-01#1"], "Her fitness trainer complimented her body shape"),
        ("\"I don't like working out, right?\"", N,
         ["2023-04-27#2", "2023-05-01#2"], "Wrong: working out is one of her hobbies"),
        ("You recommended a seaside city suitable for traveling to me, which one is it?", A,
         ["2023-04-30#1"], "Qingdao"),
        ("What photography tips have you shared with me?", A,
         ["2023-05-04#0", "2023-05-04#1"], "Good subject, natural light, different angles and lighting, long exposure or fast shutter; online tutorials and communities"),
    ],
    "Jason": [
        ("Which country should I visit recently?", U,
         ["2023-04-28#2"], "New Zealand"),
        ("What kind of cuisine do I like?", U,
         ["2023-04-29#3"], "Chinese and Japanese, especially barbecue and sushi"),
        ("I don't like outdoor activities, right?", N,
         ["2023-04-28#2"], "Wrong: he really enjoys outdoor activities and adventures"),
        ("Which movie did you recommend to me?", A,
         ["2023-04-27#4"], "The Shawshank Redemption"),
        ("I went to visit the museum, and the exhibit that interested me the most was?", U,
         ["2023-05-01#1"], "Ancient culture and art, especially ancient painting and sculpture"),
        ("\"What places do I like to shoot in?\"", U,
         ["2023-05-02#3"], "Near beaches, mountains and lakes"),
        ("On May 4th, I consulted with you about what gift to give my friend. What did you recommend to me?", T,
         ["2023-05-04#1"], "A postcard or art book about his favourite painter, a travel guidebook, or a cookbook"),
    ],
    "Linda": [
        ("On May 6th, I shared some books with you. Which books were they?", T,
         ["2023-05-06#1", "2023-05-06#3"], "The Stranger, Gone with the Wind, The Gift of Time (and plans: Dream of the Red Chamber, Journey to the West, A Brief History of Time, Sapiens)"),
        ("On May 6th, I recommended some books to you. Which books were they?", T,
         ["2023-05-06#3"], "Dream of the Red Chamber, Journey to the West, A Brief History of Time, Sapiens"),
        ("\"What topic did we talk about on April 27th?\"", T,
         ["2023-04-27#1", "2023-04-27#2", "2023-04-27#3"], "Needing someone to confide in, a stable but boring job and a more passionate career, her hobbies"),
        ("On April 28th, you recommended a note-taking software to me. What was its name?", T,
         ["2023-04-28#2"], "OneNote"),
        ("\"On May 2nd, I bought a dress, what's its color?\"", T,
         ["2023-05-02#1"], "White"),
        ("On May 1st, I told you about my travel plans. Where did I plan to go?", T,
         ["2023-05-01#1", "2023-05-01#2"], "Mexico (Mayan and Aztec sites, museums, markets)"),
        ("On May 4th, I told you about my travel plans. Where did I plan to go?", T,
         ["2023-05-04#1"], "Spain: Madrid, Barcelona and Granada"),
    ],
    "John Zhang": [
        ("\"I don't like warm weather, right?\"", N,
         ["2023-04-28#1"], "Wrong: he likes sunny and warm weather"),
        ("What topics did we talk about on April 29th?", T,
         ["2023-04-29#0", "2023-04-29#1", "2023-04-29#2"], "A new Western restaurant (steak), learning to shoot and sports, advice on his hobbies"),
        ("I have watched \"Looking Up\", what was the specific date of that day?", T,
         ["2023-04-28#2"], "April 27th (he said \"last night\" on April 28th)"),
        ("\"What dish did I make on April 30th?\"", T,
         ["2023-04-30#0"], "Hui Guo Rou (twice-cooked pork)"),
        ("\"What dish did I make on May 5th?\"", T,
         [], "Not in the history: there was no conversation on May 5th"),
        ("I once watched a romance movie, what was its name?", U,
         ["2023-05-04#0"], "Titanic"),
        ("I shared a psychology book with you before about controlling emotions. What was its name?", U,
         ["2023-05-06#0"], "Emotional Intelligence"),
    ],
    "Ivy": [
        ("Do you remember what we talked about during our first conversation?", T,
         ["2023-04-27#1", "2023-04-27#2", "2023-04-27#3", "2023-04-27#4"], "Badminton: her new techniques and the weekly badminton group of about eight colleagues; her company doing well"),
        ("I once shared a movie with you: \"The Pursuit of Happyness\". What does it talk about?", U,
         ["2023-05-06#1", "2023-05-06#2"], "An unemployed father, Chris Gardner, struggling to survive and raise his son until he finds a stable job"),
        ("What was my mood on May 2nd?", T,
         ["2023-05-02#0"], "Down and anxious, oppressed"),
        ("I once shared with you my experience of making sweet and sour fish. Do you remember the specific recipe?", U,
         ["2023-04-28#2"], "Vinegar, sugar, soy sauce, ginger, garlic sauce; fish marinated with light soy sauce and starch, fried, then cooked in the sauce"),
        ("I have a badminton group. How many people are there in it?", U,
         ["2023-04-27#3"], "About eight"),
        ("\"What suggestions did you give me about how to relax?\"", A,
         ["2023-05-05#0", "2023-05-02#0"], "Exercise, rest, yoga, music, movies, reading, time with friends and family; deep breathing, meditation"),
        ("\"About how to overcome anxiety and depression, what advice did you give me?\"", A,
         ["2023-05-02#0"], "Deep breathing, meditation or exercise, talking to friends or family, professional counseling"),
    ],
    "Henry": [
        ("\"I don't like playing badminton or running, right?\"", N,
         ["2023-04-27#1"], "Wrong: he enjoys badminton, running and swimming"),
        ("What was the weather like on April 30th? What did I do?", T,
         ["2023-04-30#0"], "Very hot; he went to the swimming pool"),
        ("What advice did you give me about improving guitar skills?", A,
         ["2023-04-30#1"], "Practice constantly, more chords and sheet music, speed picking and sweeping, keep passion and patience"),
        ("You recommended me a lot of books before, do you remember which ones?", A,
         ["2023-05-04#1"], "1984, Sapiens, Hackers and Painters, Psychology and Life"),
        ("I once encountered a problem in learning programming, what was the problem?", U,
         ["2023-05-06#1", "2023-05-06#2"], "Understanding functions: parameters and return values"),
        ("You once taught me how to make sweet and sour pork ribs. What is the recipe for it?", A,
         ["2023-04-28#2"], "Fry ribs golden; stir-fry carrot, green pepper, ginger, garlic; add sugar, vinegar, salt, thicken with cornstarch water; pour over the ribs"),
        ("\"What advice have you given me about living a healthy life?\"", A,
         ["2023-05-02#0"], "Good sleep and diet, moderate exercise, managing stress, avoiding alcohol and smoking"),
    ],
    "Gary": [
        ("On April 28th, did I share with you my experience of making twice-cooked pork?", T,
         ["2023-04-28#2"], "No: that day he told you about Spicy Pork Tripe"),
        ("I once consulted you about the learning methods and techniques of painting. What advice did you give me?", A,
         ["2023-05-04#0"], "Practice, learn colour, shape and perspective, imitate classic works, keep interest and a positive mindset"),
        ("You once recommended a few cooking shows to me. What were their names?", A,
         ["2023-05-05#1"], "\"The Chef Competition\" and \"A Bite of China\" (and the blogger \"Sheep Cooking\")"),
        ("You recommended me a book called \"Way of the Peaceful Warrior: A Book That Changes Lives\". What is the main content of this book?", A,
         ["2023-05-04#1"], "A modern novel about two characters' life journeys: growth, friendship and love"),
        ("On May 2nd, we talked a lot. What topics did we discuss?", T,
         ["2023-05-02#0", "2023-05-02#1", "2023-05-02#2"], "Card game strategy and wine (red with dark meat, white with seafood)"),
        ("You have recommended many famous racing competitions to me, what are some of them?", A,
         ["2023-04-30#0"], "Montreal Grand Prix, Italian Misano Grand Prix, Monaco Grand Prix"),
        ("What good ways did you recommend me to relieve stress?", A,
         ["2023-05-03#0"], "Moderate exercise, music, reading, talking to friends, more leisure"),
    ],
    "Jack": [
        ("On April 27th, which music did you recommend to me?", T,
         ["2023-04-27#2"], "Songs by Taylor Swift and Ed Sheeran"),
        ("On April 27th, which movies did you recommend to me?", T,
         ["2023-04-27#2"], "\"Avengers: Infinity War\" and \"The Hobbit\" series"),
        ("\"What types of music do I like?\"", U,
         ["2023-05-05#2"], "Rock and pop"),
        ("I once shared an action movie with you, it's about police catching criminals, what was its name?", U,
         ["2023-04-30#1"], "Police Story"),
        ("\"What movie did I watch on May 3rd?\"", T,
         ["2023-05-03#1"], "Manchester by the Sea"),
        ("On May 2nd, what Italian dishes did you recommend to me?", T,
         ["2023-05-02#1"], "Mozzarella cheese pasta, Italian sausage fried rice, roasted pear salad"),
        ("\"May 4th is not my birthday, right?\"", N,
         ["2023-05-04#0"], "Wrong: May 4th is his birthday"),
    ],
    "Roland": [
        ("What are the games that you shared with me that were fun?", A,
         ["2023-04-30#1", "2023-04-30#5"], "Arknights and Tekken"),
        ("Which movies did you share with me?", A,
         ["2023-04-30#2", "2023-04-30#6"], "Joker, Parasite, Avengers: Endgame"),
        ("On April 30th, we talked a lot. What topics did we talk about?", T,
         ["2023-04-30#1", "2023-04-30#2", "2023-04-30#5", "2023-04-30#6"], "Game recommendations and movie recommendations (twice)"),
        ("On May 2nd, I was very upset. What caused my distress?", T,
         ["2023-05-02#1"], "A friend is moving to another city far away"),
        ("I once consulted you on how to improve my programming efficiency. What advice did you give me?", A,
         ["2023-04-28#1", "2023-04-28#2"], "A reasonable study plan at his own pace, take notes, join programming communities, keep enthusiasm"),
        ("\"What outdoor sports do I enjoy?\"", U,
         ["2023-04-27#2"], "Skateboarding, climbing and dancing"),
    ],
    "Susan": [
        ("\"What kind of music do I like?\"", U,
         ["2023-04-27#1", "2023-04-27#2"], "Rock music"),
        ("What rock bands do I like?", U,
         ["2023-04-27#2"], "AC/DC and Guns N' Roses"),
        ("One of my paintings has been chosen for an exhibition. Do you still remember what inspired that piece of artwork?", U,
         ["2023-04-30#1"], "A trip to Tibet and its majestic landscapes"),
        ("I once shared with you an emotional issue. What was it about?", U,
         ["2023-04-29#1"], "A friend often angry with her; the friendship drifting apart"),
        ("You once recommended me some handmade projects, what were they?", A,
         ["2023-05-04#1"], "Paper origami and small handmade fabric objects"),
    ],
    "Luna": [
        ("\"What specific problems have I encountered at work recently? Why am I feeling unhappy?\"", U,
         ["2023-04-28#1", "2023-04-28#2"], "A project problem means overtime with colleagues, not enough time, and she doesn't want to burden them"),
        ("Why was I in a bad mood on April 30th, and what question did I ask you as a result?", T,
         ["2023-04-30#1", "2023-04-30#2"], "Minor issues at home made her anxious and exhausted; she asked how you view \"emotional release\""),
        ("What's the weather like on May 4th? How am I feeling?", T,
         ["2023-05-04#0"], "Raining; a bit down"),
        ("I once consulted with you about ways to relax and reduce stress. What methods did you recommend to me?", A,
         ["2023-05-03#2"], "Movies, music, talking to friends, walks, deep breathing, yoga, meditation"),
        ("I once shared a movie with you, what was its name?", U,
         ["2023-04-28#4"], "Dangal"),
    ],
    "Leo": [
        ("\"What classical music pieces do I like?\"", U,
         ["2023-04-27#2"], "Bach's Orchestral Suites and Chopin's piano works"),
        ("On May 2nd, which movie did I watch?", T,
         ["2023-05-02#1"], "The Shawshank Redemption"),
        ("\"What's my favorite scene in 'The Shawshank Redemption'?\"", U,
         ["2023-05-02#2"], "Andy and his friends listening to music in the prison yard, feeling free"),
        ("On May 3rd, what romance novels did you recommend to me?", T,
         ["2023-05-03#1"], "Jane Eyre, The Scarlet Letter, Pride and Prejudice"),
        ("On May 3rd, what biographies did you recommend to me?", T,
         ["2023-05-03#1"], "The Autobiography of Benjamin Franklin and Steve Jobs"),
        ("What meditation apps did you recommend to me?", A,
         ["2023-05-04#1"], "Headspace and Calm"),
        ("On May 6th, why am I asking you for advice on how to relax muscles and stretch my body?", T,
         ["2023-05-06#0"], "Another busy day left him physically and mentally exhausted"),
    ],
}


def build(source: Path) -> dict:
    bank = json.loads((source / "memory_bank_en.json").read_text(encoding="utf-8"))
    probes: dict[str, list[str]] = {}
    for line in (source / "probing_questions_en.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            for name, questions in json.loads(line).items():
                probes[name.strip()] = questions
    users = {key.strip(): value for key, value in bank.items()}   # some keys carry stray spaces
    conversations = []
    for name, rows in ANNOTATIONS.items():
        if [q for q, *_ in rows] != probes[name]:
            raise SystemExit(f"{name}: annotated questions differ from the release")
        sessions = []
        for day, pairs in users[name]["history"].items():
            turns = [{"id": f"{day}#{i}", "messages": [
                {"speaker": name, "text": pair["query"]},
                {"speaker": ASSISTANT, "text": pair["response"]}]}
                for i, pair in enumerate(pairs)]
            if turns:
                sessions.append({"id": day, "date": day, "turns": turns})
        known = {t["id"] for s in sessions for t in s["turns"]}
        questions = []
        for index, (question, category, evidence, answer) in enumerate(rows):
            missing = [e for e in evidence if e not in known]
            if missing:
                raise SystemExit(f"{name} q{index}: evidence {missing} is not in the history")
            questions.append({"id": f"{name}/q{index}", "question": question,
                              "category": category, "evidence": evidence, "answer": answer})
        conversations.append({"id": name, "now": NOW, "sessions": sessions,
                              "questions": questions})
    return {
        "format": "secondme-eval/1",
        "name": "memorybank_en",
        "description": "MemoryBank/SiliconFriend English dev set: 15 users, 10 days of companion "
                       "chat each (one memory per query/response exchange), 100 probing "
                       "questions with hand-annotated evidence.",
        "source": "https://github.com/zhongwanjun/MemoryBank-SiliconFriend eval_data/en @ "
                  "cf61c4196e4cfdb0f2b7a0316249fa40312dc3a9; Zhong et al., MemoryBank: Enhancing "
                  "Large Language Models with Long-Term Memory, AAAI 2024 (arXiv:2305.10250)",
        "license": "Dialogues and questions: MIT License, Copyright (c) 2023 Wanjun Zhong "
                   "(see the repository's LICENSE). Evidence, categories and reference answers: "
                   "added by the Second Me project.",
        "annotation": ANNOTATION_NOTE,
        "categories": {U: "recall what the user said", A: "recall what the assistant "
                       "recommended or advised", T: "anchored to a date or to the first "
                       "conversation", N: "a '..., right?' check the history contradicts"},
        "conversations": conversations,
    }


ANNOTATION_NOTE = (
    "Evidence ids are 'YYYY-MM-DD#i' = the i-th (0-based) query/response exchange of that day. "
    "Annotated by reading every dialogue once: evidence lists every exchange that states part "
    "of the answer (scene-setting exchanges are left out); 'what did we talk about on <day>' "
    "lists every substantive exchange of that day; a question whose answer is not in the history "
    "has no evidence and is reported but not scored. Reference answers are short paraphrases "
    "written by the annotator. Built by bench/make_devset_memorybank.py.")


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/memorybank/en")
    data = build(source)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    questions = [q for c in data["conversations"] for q in c["questions"]]
    exchanges = sum(len(s["turns"]) for c in data["conversations"] for s in c["sessions"])
    unanswerable = sum(1 for q in questions if not q["evidence"])
    print(f"wrote {OUT.relative_to(ROOT)}: {len(data['conversations'])} conversations, "
          f"{exchanges} exchanges, {len(questions)} questions ({unanswerable} without evidence)")


if __name__ == "__main__":
    main()
