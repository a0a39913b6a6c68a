"""The memory engine: the one writer of `memories`, decay, embeddings, retrieval, forgetting."""
