"""Knowledge-update measure (issue 14.4): does the chat's prompt order put the current value
first? `python bench/current_facts.py` (uses SECONDME_HOME's embedder settings)."""

import json
import os
from pathlib import Path

from secondme.config import load_settings
from secondme.conversation.context import memory_item
from secondme.conversation.current_facts import about_present, newest_first
from secondme.evaluation.formats import load_generic
from secondme.evaluation.harness import evaluate
from secondme.services import load_embedder


class CurrentFirst:
    """Our retriever, then the chat's prompt order (current facts first)."""
    def __init__(self, services):
        self.inner = services.retriever()
    def search(self, query, *, k=8, **kw):
        hits = list(self.inner.search(query, k=k, **kw))
        if not about_present(query):
            return hits
        items = newest_first([memory_item(h) for h in hits])
        order = {m.id: (-m.score, m.id) for m in items}
        return sorted(hits, key=lambda h: order[h.memory.id])


data = load_generic(json.loads(Path("assets/devset/knowledge_update_en.json").read_text()))
emb = load_embedder(load_settings(Path(os.environ.get("SECONDME_HOME", "."))))
r = evaluate(data, emb, variants={"ours+current_first": CurrentFirst})
rep = r.report()
print("=====")
def walk(d, path=""):
    if isinstance(d, dict):
        for k, v in d.items():
            walk(v, path + "/" + str(k))
    elif path.endswith("recall@1") or path.endswith("/mrr"):
        print(path, d)
walk(rep)
