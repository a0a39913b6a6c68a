"""Retrieval evaluation: dataset loaders, pure metrics and the harness behind `secondme eval`.

Nothing here is used at chat time; it exists so that claims about memory quality come from
measurements anyone can rerun (design §9).
"""

from .formats import Conversation, Dataset, Question, Turn, load_dataset
from .metrics import hit_at_k, recall_at_k, reciprocal_rank

__all__ = ["Conversation", "Dataset", "Question", "Turn", "load_dataset", "hit_at_k",
           "recall_at_k", "reciprocal_rank"]
