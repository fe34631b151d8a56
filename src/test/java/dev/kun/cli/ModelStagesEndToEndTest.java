package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.Kun;
import dev.kun.error.ExitCodes;
import dev.kun.generate.TextGenerator;
import dev.kun.model.DjlGenerator;
import dev.kun.prompt.AnswerPrompt;
import dev.kun.prompt.LabelPrompt;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.TinyCheckpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kun label}, {@code kun judge} and {@code kun polish} through Kun.run on a tiny real checkpoint. */
class ModelStagesEndToEndTest {
    @TempDir static Path shared;
    @TempDir Path dir;
    static Path model;
    static Path documents;
    static final String[] DOCS = {"教育具有促进个体发展和社会发展的功能。", "the cat sat on the mat", "新闻 材料 图片 😀", "回答 指令 好 差"};

    @BeforeAll
    static void checkpoint() throws Exception {
        model = TinyCheckpoint.builder().gqa(4, 2).vocab(600).maxPositions(512).seed(11).write(shared.resolve("Kun-Tiny"));
        documents = shared.resolve("docs.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < DOCS.length; i++) {
            sb.append("{\"id\":\"d").append(i).append("\",\"text\":").append(Json.MAPPER.writeValueAsString(DOCS[i]))
                    .append(",\"n\":").append(i).append("}\n");
        }
        Files.writeString(documents, sb.toString(), StandardCharsets.UTF_8);
    }

    /** {@code command} with the shared model and small settings; {@code extra} (name, value pairs; value null for a flag) after. */
    static String[] args(String command, Path in, Path out, String... extra) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("--model", model.toString());
        options.put("--device", "cpu");
        options.put("-i", in.toString());
        if (out != null) options.put("-o", out.toString());
        options.put("--progress", "never");
        options.put("--max-tokens", "6");
        for (int i = 0; i < extra.length; i += 2) options.put(extra[i], extra[i + 1]);
        List<String> a = new ArrayList<>(List.of(command));
        options.forEach((k, v) -> {
            a.add(k);
            if (v != null) a.add(v);
        });
        return a.toArray(String[]::new);
    }

    static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    @Test
    void labelWritesInstructionAndOutputOrARejectForEveryDocument() throws Exception {
        Path out = dir.resolve("labelled.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Captured c = Captured.kun(args("label", documents, out, "--rejects", rejects.toString(), "--temperature", "0"));
        assertEquals(0, c.code(), c.stderr());
        assertEquals("", c.out(), "data goes to the file, nothing to stdout");
        List<JsonNode> kept = read(out);
        List<JsonNode> dropped = read(rejects);
        assertEquals(DOCS.length, kept.size() + dropped.size(), c.stderr());
        try (TextGenerator engine = DjlGenerator.open(model, DjlGenerator.Options.defaults())) {
            for (JsonNode r : concat(kept, dropped)) {
                int n = r.get("n").asInt();
                assertEquals(DOCS[n], r.get("output").asText(), "the document becomes output");
                assertTrue(!r.has("text"));
                JsonNode made = r.at("/kun/label");
                assertEquals("Kun-Tiny", made.get("model").asText());
                assertEquals(engine.countTokens(LabelPrompt.render(DOCS[n])), made.get("prompt_tokens").asInt());
                assertEquals(0.0, made.at("/sampling/temperature").asDouble());
                assertTrue(made.get("generated_tokens").asInt() <= 6);
                assertEquals(r.get("instruction").asText().strip(), r.get("instruction").asText());
            }
        }
        for (JsonNode r : dropped) {
            assertTrue(Set.of("instruction_truncated", "instruction_empty").contains(r.get("reason").asText()), r.toString());
            if (r.get("reason").asText().equals("instruction_truncated")) {
                assertEquals("length", r.at("/kun/label/finish_reason").asText());
            }
        }
        Captured kept2 = Captured.kun(args("label", documents, dir.resolve("all.jsonl"), "--temperature", "0",
                "--keep-truncated", null, "--keep-empty", null));
        assertEquals(0, kept2.code(), kept2.stderr());
        assertEquals(DOCS.length, read(dir.resolve("all.jsonl")).size(), "--keep-truncated --keep-empty keep everything");

        // A resume under another template is refused with a hint.
        Path template = dir.resolve("t.txt");
        Files.writeString(template, "RESPONSE: {document} INSTRUCTION:", StandardCharsets.UTF_8);
        Captured other = Captured.kun(args("label", documents, out, "--rejects", rejects.toString(), "--temperature", "0",
                "--prompt-template", template.toString()));
        assertEquals(ExitCodes.USAGE, other.code(), other.stderr());
        assertTrue(other.stderr().contains("different") && other.stderr().contains("--force"), other.stderr());
        Captured again = Captured.kun(args("label", documents, out, "--rejects", rejects.toString(), "--temperature", "0"));
        assertEquals(0, again.code(), again.stderr());
        assertTrue(again.stderr().contains("already complete"), again.stderr());
    }

    private static List<JsonNode> concat(List<JsonNode> a, List<JsonNode> b) {
        List<JsonNode> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void labelToStdoutAndBadInput() throws Exception {
        Captured stdout = Captured.kun(args("label", documents, null, "--keep-truncated", null, "--keep-empty", null));
        assertEquals(0, stdout.code(), stdout.stderr());
        assertEquals(DOCS.length, stdout.out().lines().count());

        Path in = dir.resolve("bad.jsonl");
        Files.writeString(in, "{\"text\":\"好\"}\n{\"body\":\"没有 text\"}\n", StandardCharsets.UTF_8);
        Captured fail = Captured.kun(args("label", in, dir.resolve("o.jsonl")));
        assertEquals(ExitCodes.BAD_INPUT, fail.code(), fail.stderr());
        assertTrue(fail.stderr().contains("bad.jsonl:2"), fail.stderr());
        Path rejects = dir.resolve("r.jsonl");
        Captured skip = Captured.kun(args("label", in, dir.resolve("o2.jsonl"), "--on-error", "skip", "--rejects",
                rejects.toString(), "--keep-truncated", null, "--keep-empty", null));
        assertEquals(0, skip.code(), skip.stderr());
        assertEquals("missing_field", read(rejects).get(0).get("reason").asText());
        assertEquals(1, read(dir.resolve("o2.jsonl")).size());
    }

    /** Records as label writes them: instruction, and the document in output. */
    static Path pairs(Path dir) throws Exception {
        Path in = dir.resolve("pairs.jsonl");
        StringBuilder sb = new StringBuilder();
        String[] instructions = {"教育具有哪些社会发展功能？", "where did the cat sit", "好", "指令"};
        for (int i = 0; i < DOCS.length; i++) {
            sb.append("{\"id\":\"d").append(i).append("\",\"instruction\":").append(Json.MAPPER.writeValueAsString(instructions[i]))
                    .append(",\"output\":").append(Json.MAPPER.writeValueAsString(DOCS[i])).append(",\"n\":").append(i).append("}\n");
        }
        Files.writeString(in, sb.toString(), StandardCharsets.UTF_8);
        return in;
    }

    @Test
    void polishAnswersEachInstructionWithinTheBudget() throws Exception {
        Path in = pairs(dir);
        Path out = dir.resolve("polished.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        try (TextGenerator engine = DjlGenerator.open(model, DjlGenerator.Options.defaults())) {
            // A budget that fits the short pairs whole and leaves the first document no room for its instruction.
            int budget = engine.countTokens(AnswerPrompt.render(DOCS[0], "")) - 1;
            Captured c = Captured.kun(args("polish", in, out, "--rejects", rejects.toString(), "--keep-truncated", null,
                    "--budget", String.valueOf(budget), "--seed", "3"));
            assertEquals(0, c.code(), c.stderr());
            assertEquals("", c.out());
            List<JsonNode> kept = read(out);
            List<JsonNode> dropped = read(rejects);
            assertEquals(1, dropped.size(), c.stderr());
            assertEquals("document_too_long", dropped.get(0).get("reason").asText());
            assertEquals(0, dropped.get(0).get("n").asInt());
            assertEquals(DOCS.length - 1, kept.size());
            for (JsonNode r : kept) {
                int n = r.get("n").asInt();
                assertEquals(DOCS[n], r.get("document").asText(), "the document is kept");
                String prompt = AnswerPrompt.render(DOCS[n], r.get("instruction").asText());
                assertTrue(engine.countTokens(prompt) <= budget);
                assertEquals(engine.countTokens(prompt), r.at("/kun/polish/prompt_tokens").asInt());
                assertTrue(r.at("/kun/polish/seed").isNumber());
                assertTrue(r.at("/kun/polish/generated_tokens").asInt() <= 6);
            }
        }
    }

    @Test
    void aFolderThatIsNotAModelIsABackendErrorOnOneLine() throws Exception {
        Path notModel = Files.createDirectories(dir.resolve("empty"));
        for (String command : new String[] {"label", "polish"}) {
            Captured c = Captured.kun(command, "--model", notModel.toString(), "-i", documents.toString(), "-o",
                    dir.resolve(command + ".jsonl").toString());
            assertEquals(ExitCodes.BACKEND, c.code(), command + ": " + c.stderr());
            assertEquals(1, c.stderr().lines().count(), c.stderr());
        }
    }
}
