"""The stored index: dense (FAISS) and lexical (BM25) parts, language projection, snapshots and their store."""
