package dev.kun.prompt;

import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The message a model stage sends, with {@code {name}} placeholders ({@code {document}},
 * {@code {instruction}}, ...) filled per record. Filling is one pass over the template, so a document
 * that itself contains "{instruction}" stays as written. The method's templates are built in
 * ({@link LabelPrompt#TEMPLATE}, {@link PointPrompt#TEMPLATE}, ...); {@code --prompt-template FILE}
 * loads another. A {@link ChatFormat} then frames the message into the prompt.
 */
public final class PromptTemplate {
    /** Every placeholder a stage may fill. */
    public static final Set<String> NAMES = Set.of("document", "instruction", "output", "generated_instruction", "response");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)\\}");

    private final String source;
    private final String text;
    /** Literal, name, literal, name, ..., literal: odd indices are placeholder names. */
    private final List<String> parts;

    private PromptTemplate(String source, String text, List<String> parts) {
        this.source = source;
        this.text = text;
        this.parts = List.copyOf(parts);
    }

    /**
     * The template {@code text}; {@code source} names it in messages ("built-in label", a file path). A
     * {@code {word}} that is not one of {@link #NAMES} is an error, so a misspelt placeholder is never sent.
     */
    public static PromptTemplate parse(String text, String source) {
        List<String> parts = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(text);
        int at = 0;
        while (m.find()) {
            if (!NAMES.contains(m.group(1))) {
                throw KunException.usage("prompt template " + source + ": unknown placeholder {" + m.group(1)
                        + "} (known: " + sorted(NAMES) + ")");
            }
            parts.add(text.substring(at, m.start()));
            parts.add(m.group(1));
            at = m.end();
        }
        parts.add(text.substring(at));
        return new PromptTemplate(source, text, parts);
    }

    /**
     * A template file, UTF-8. One final line end is dropped (as Jinja drops a template file's), since
     * editors add one the prompt should not carry; every other byte is sent as written.
     */
    public static PromptTemplate load(Path file) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw KunException.usage("--prompt-template " + file + ": not valid UTF-8");
        } catch (IOException e) {
            throw KunException.usage("--prompt-template " + file + ": cannot read (" + e.getMessage() + ")");
        }
        if (text.endsWith("\r\n")) {
            text = text.substring(0, text.length() - 2);
        } else if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        return parse(text, file.toString());
    }

    /** The placeholders the template uses, in order of first use. */
    public Set<String> placeholders() {
        Set<String> names = new LinkedHashSet<>();
        for (int i = 1; i < parts.size(); i += 2) names.add(parts.get(i));
        return names;
    }

    /**
     * Checks the template against what a stage fills: every placeholder must be one of {@code provided},
     * and at least one of each group in {@code required} must appear (a label template without
     * {@code {document}} would label nothing). A usage error says which.
     */
    public PromptTemplate check(String stage, Set<String> provided, List<Set<String>> required) {
        for (String name : placeholders()) {
            if (!provided.contains(name)) {
                throw KunException.usage("prompt template " + source + ": {" + name + "} has no value in " + stage
                        + " (it fills " + braces(provided) + ")");
            }
        }
        for (Set<String> group : required) {
            if (group.stream().noneMatch(placeholders()::contains)) {
                throw KunException.usage("prompt template " + source + ": " + stage + " needs " + String.join(" or ", braces(group)));
            }
        }
        return this;
    }

    /** The message for {@code values}; a placeholder without a value is a programming error. */
    public String render(Map<String, String> values) {
        StringBuilder sb = new StringBuilder(text.length() + 256);
        for (int i = 0; i < parts.size(); i++) {
            if (i % 2 == 0) {
                sb.append(parts.get(i));
            } else {
                String value = values.get(parts.get(i));
                if (value == null) throw new IllegalArgumentException("no value for {" + parts.get(i) + "}");
                sb.append(value);
            }
        }
        return sb.toString();
    }

    /** The template as written. */
    public String text() {
        return text;
    }

    /** Where it came from, for messages. */
    public String source() {
        return source;
    }

    /** Its identity for the resume check: the SHA-256 of its text (not its path, which may move). */
    public String fingerprint() {
        return sha256(text);
    }

    /** "sha256:" and the hex SHA-256 of {@code text}'s UTF-8 bytes. */
    static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return source;
    }

    private static List<String> braces(Set<String> names) {
        return sorted(names).stream().map(n -> "{" + n + "}").toList();
    }

    private static List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }
}
