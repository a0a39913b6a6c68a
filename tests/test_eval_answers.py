"""Answer-quality evaluation (issue 14.1): LoCoMo's scoring, and ours vs none vs oracle."""

from __future__ import annotations

import pytest

from secondme.evaluation.answers import evaluate_answers, select_questions
from secondme.evaluation.formats import load_generic
from secondme.evaluation.metrics import (
    abstains,
    answer_f1,
    contains_answer,
    normalize_answer,
    token_f1,
)

from .fakes import FakeModel, HashingEmbedder


def test_locomo_normalisation_and_token_f1():
    assert normalize_answer("The Cat, sat on a MAT!") == "cat sat on mat"
    assert token_f1("in Porto", "Porto") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("Lisbon", "Porto") == 0.0
    assert token_f1("the", "a") == 0.0   # nothing left after normalising


def test_category_rules():
    # 1 multi-hop: each gold part scored against the best prediction part.
    assert answer_f1("Porto, Lisbon", "Lisbon, Porto", "1") == 1.0
    assert answer_f1("Porto", "Lisbon, Porto", "1") == 0.5
    # 3: the gold answer before the first ';'.
    assert answer_f1("likely yes", "Likely yes; she said so", "3") == 1.0
    # 5 adversarial: right when it says it isn't there.
    assert answer_f1("That was not mentioned.", "Paris", "5", unanswerable=True) == 1.0
    assert answer_f1("Paris", "Paris", "5", unanswerable=True) == 0.0
    assert abstains("I don’t remember that.")
    assert contains_answer("She moved to Porto in May.", "Porto")
    assert not contains_answer("Portobello", "Porto")


class ReadingModel(FakeModel):
    """Answers "Porto" only when the prompt's memories say so, else says it doesn't know."""

    def complete(self, prompt: str, **kwargs) -> str:
        self.prompts.append(prompt)
        return "Porto" if "moved to Porto" in prompt else "I don't remember."


DATA = {
    "format": "secondme-eval/1", "name": "tiny", "conversations": [{
        "id": "c1", "sessions": [
            {"id": "s1", "date": "2024-04-01", "turns": [
                {"id": "t1", "speaker": "User", "text": "My sister Ana moved to Porto."},
                {"id": "t2", "speaker": "User", "text": "I had soup for lunch."}]},
            {"id": "s2", "date": "2024-04-02", "turns": [
                {"id": "t3", "speaker": "User", "text": "Work was long today."}]}],
        "questions": [
            {"id": "q1", "question": "Where does my sister live?", "evidence": ["t1"],
             "category": "user", "answer": "Porto"},
            {"id": "q2", "question": "What is my brother called?", "evidence": [],
             "category": "user", "answer": "never mentioned"}]}]}


def test_ours_none_and_oracle_with_the_same_model():
    dataset = load_generic(DATA)
    model = ReadingModel()
    report = evaluate_answers(dataset, HashingEmbedder(), model).report()
    modes = report["modes"]
    assert modes["ours"]["f1"] == 1.0 and modes["oracle"]["f1"] == 1.0
    assert modes["none"]["f1"] == 0.0 and modes["ours"]["contains"] == 1.0
    assert report["abstention"]["none"] == {"unanswerable": 1, "accuracy": 1.0,
                                            "false_abstentions": 1.0}
    assert report["by_category"]["user"]["questions"] == 2
    assert len(model.prompts) == 6   # 2 questions × 3 modes
    assert all(a["seconds"] >= 0 for a in report["answers"])


def test_a_quick_run_samples_across_the_file():
    dataset = load_generic(DATA)
    assert select_questions(dataset, 1) == {"q1"}
    assert select_questions(dataset, None) == {"q1", "q2"}
