"""The one stop-word list: English words that carry no topic, for search and for gists.

Storage needs it to build full-text queries, and `secondme.consolidation.extractive` to pick a
summary's key words; storage may not import `secondme`, so it lives here. Each user
adds its own few words on top (`QUERY_WORDS`, the extractive narrative words)
instead of keeping a second copy of the list.
"""

from __future__ import annotations

STOPWORDS: frozenset[str] = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves
""".split())  # noqa: SIM905

#: Words of a question about memory that are not what it is about ("what did I tell you").
QUERY_WORDS: frozenset[str] = frozenset({"tell", "remember", "know", "last", "ago"})
