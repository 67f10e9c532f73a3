"""The read side: retrieve passages, fuse scores, extract the answering sentence and span, score confidence."""
