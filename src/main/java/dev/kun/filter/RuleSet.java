package dev.kun.filter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.error.KunException;
import dev.kun.record.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * An ordered list of rules loaded from a rule-set file (format: configs/README.md). Named sets
 * ({@link #NAMES}) are read from configs/filter/ on the classpath, so they work from any directory;
 * anything else is a path to a JSON file whose includes and keyword files resolve beside it.
 */
public record RuleSet(String source, List<Rule> rules) {
    public static final List<String> NAMES = List.of("all", "instruction", "verdict", "output");
    private static final String RESOURCE_DIR = "/configs/filter/";
    private static final int MAX_INCLUDE_DEPTH = 8;
    /** The rule names a rule-set file may use. */
    public static final List<String> RULES = List.of("instruction_keyword", "instruction_trim", "verdict",
            "output_keyword", "output_trim", "drop_input", "min_output_length", "repetition", "instruction_repair");

    public RuleSet {
        rules = List.copyOf(rules);
    }

    /** Loads a named set or a rule-set file; a usage error names what is wrong and where. */
    public static RuleSet load(String nameOrPath) {
        if (NAMES.contains(nameOrPath)) {
            return new RuleSet(nameOrPath, loadNamed(nameOrPath, 0));
        }
        Path path = Path.of(nameOrPath);
        if (!Files.isRegularFile(path)) {
            throw KunException.usage("--rules: '" + nameOrPath + "' is neither a named rule set " + NAMES
                    + " nor a readable file");
        }
        return new RuleSet(nameOrPath, loadFile(path, 0));
    }

    /** A copy whose verdict rules use {@code mode} and {@code minScore} where those are non-null. */
    public RuleSet withVerdict(VerdictMode mode, Double minScore) {
        if (mode == null && minScore == null) {
            return this;
        }
        if (rules.stream().noneMatch(r -> r instanceof VerdictRule)) {
            throw KunException.usage("--verdict-mode/--min-score need a rule set with the verdict rule; '"
                    + source + "' has none (try --rules verdict)");
        }
        List<Rule> replaced = new ArrayList<>();
        for (Rule rule : rules) {
            if (rule instanceof VerdictRule v) {
                rule = new VerdictRule(mode != null ? mode : v.mode(), minScore != null ? minScore : v.minScore());
            }
            replaced.add(rule);
        }
        return new RuleSet(source, replaced);
    }

    /** Every rule with its parameters, in order: what the stage's fingerprint covers. */
    public String describe() {
        return rules.toString();
    }

    private static List<Rule> loadNamed(String name, int depth) {
        String where = "configs/filter/" + name + ".json";
        return parse(readResource(name + ".json"), where, depth, RuleSet::readResource);
    }

    private static List<Rule> loadFile(Path path, int depth) {
        Path dir = path.toAbsolutePath().getParent();
        return parse(readFile(path), path.toString(), depth, sibling -> readFile(dir.resolve(sibling)));
    }

    private interface Siblings {
        String read(String name);
    }

    private static List<Rule> parse(String text, String where, int depth, Siblings siblings) {
        if (depth > MAX_INCLUDE_DEPTH) {
            throw KunException.usage("rule set " + where + ": includes nest deeper than " + MAX_INCLUDE_DEPTH + " (a cycle?)");
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw KunException.usage("rule set " + where + ": not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode entries = root == null ? null : root.get("rules");
        if (entries == null || !entries.isArray()) {
            throw KunException.usage("rule set " + where + ": expected an object with a \"rules\" array");
        }
        List<Rule> rules = new ArrayList<>();
        for (JsonNode entry : entries) {
            if (entry.has("include")) {
                String target = entry.get("include").asText();
                rules.addAll(NAMES.contains(target)
                        ? loadNamed(target, depth + 1)
                        : parse(siblings.read(target), target, depth + 1, siblings));
            } else {
                rules.add(rule(entry, where, siblings));
            }
        }
        return rules;
    }

    private static Rule rule(JsonNode entry, String where, Siblings siblings) {
        String name = entry.path("rule").asText("");
        Params p = new Params(entry, "rule set " + where + ": rule '" + name + "'");
        Rule rule;
        try {
            rule = build(name, p, siblings);
        } catch (IllegalArgumentException e) {
            throw KunException.usage("rule set " + where + ": rule '" + name + "': " + e.getMessage());
        }
        p.rejectUnused();
        return rule;
    }

    private static Rule build(String name, Params p, Siblings siblings) {
        return switch (name) {
            case "instruction_keyword" -> KeywordRule.instruction(p.keywords(siblings));
            case "instruction_trim" -> TrimRule.instruction();
            case "verdict" -> new VerdictRule(p.mode(), p.number("min_score", 5));
            case "output_keyword" -> KeywordRule.output(p.keywords(siblings));
            case "output_trim" -> TrimRule.output();
            case "drop_input" -> new DropInputFieldRule();
            case "min_output_length" -> new MinOutputLengthRule((int) p.number("min_chars", 20));
            case "repetition" -> new RepetitionRule((int) p.number("min_repeats", 6));
            case "instruction_repair" -> new InstructionRepairRule((int) p.number("min_whitespace_run", 5));
            default -> throw new IllegalArgumentException("unknown rule (known: " + RULES + ")");
        };
    }

    /** A rule entry's parameters; remembers which were read so a misspelt one is an error, not ignored. */
    private static final class Params {
        private final JsonNode entry;
        private final String where;
        private final Set<String> used = new java.util.HashSet<>(Set.of("rule"));

        Params(JsonNode entry, String where) {
            this.entry = entry;
            this.where = where;
        }

        double number(String key, double fallback) {
            used.add(key);
            JsonNode node = entry.get(key);
            if (node == null) {
                return fallback;
            }
            if (!node.isNumber()) {
                throw KunException.usage(where + ": '" + key + "' must be a number");
            }
            return node.asDouble();
        }

        VerdictMode mode() {
            used.add("mode");
            try {
                return VerdictMode.parse(entry.path("mode").asText("kun"));
            } catch (IllegalArgumentException e) {
                throw KunException.usage(where + ": 'mode' must be kun or humpback");
            }
        }

        Keywords keywords(Siblings siblings) {
            used.add("keywords");
            used.add("keywords_file");
            List<String> words = new ArrayList<>();
            entry.path("keywords").forEach(k -> words.add(k.asText()));
            if (entry.has("keywords_file")) {
                for (String line : siblings.read(entry.get("keywords_file").asText()).split("\n")) {
                    String word = line.strip();
                    if (!word.isEmpty() && !word.startsWith("#")) {
                        words.add(word);
                    }
                }
            }
            if (words.isEmpty()) {
                throw KunException.usage(where + ": needs 'keywords' or a non-empty 'keywords_file'");
            }
            return new Keywords(words);
        }

        void rejectUnused() {
            for (Iterator<String> it = entry.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!used.contains(key)) {
                    throw KunException.usage(where + ": unknown parameter '" + key + "'");
                }
            }
        }
    }

    private static String readResource(String name) {
        try (InputStream in = RuleSet.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw KunException.usage("rule set: no built-in file configs/filter/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw KunException.usage("rule set: cannot read built-in configs/filter/" + name + ": " + e.getMessage());
        }
    }

    private static String readFile(Path path) {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw KunException.usage("rule set: cannot read " + path + ": " + e.getMessage());
        }
    }
}
