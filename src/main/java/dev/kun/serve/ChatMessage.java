package dev.kun.serve;

/** One turn of a chat request: its role (system, developer, user, assistant) and its text. */
public record ChatMessage(String role, String content) {}
