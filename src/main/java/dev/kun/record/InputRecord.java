package dev.kun.record;

/**
 * One item read from the input: a record, or bad input that could not become one. Either way it
 * knows where it came from ({@code file} as the user named it, 1-based {@code line}) so errors and
 * rejects can point at it. For bad input, {@code reason} is the short reject reason
 * ("malformed_json"), {@code message} says what is wrong, and {@code raw} holds the offending text
 * when there is a bounded amount of it (else null).
 */
public record InputRecord(String file, long line, KunRecord record, String reason, String message, String raw) {

    public static InputRecord of(String file, long line, KunRecord record) {
        return new InputRecord(file, line, record, null, null, null);
    }

    public static InputRecord bad(String file, long line, String reason, String message, String raw) {
        return new InputRecord(file, line, null, reason, message, raw);
    }

    public boolean isBad() {
        return record == null;
    }

    /** "file:line", as written into rejects and error messages; just "file" for whole-file problems (line 0). */
    public String source() {
        return line > 0 ? file + ":" + line : file;
    }
}
