package dev.kun.model.generation;

/** What a model's key/value cache holds per position: the layers, kv heads and head width a model family has. */
public record CacheShape(int layers, int kvHeads, int headDim) {}
