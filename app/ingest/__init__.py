"""The write side: read files, split and chunk them, embed and build a snapshot."""
