package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.Kun;
import dev.kun.error.ExitCodes;
import dev.kun.generate.TextGenerator;
import dev.kun.model.DjlGenerator;
import dev.kun.prompt.AnswerPrompt;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.HumpbackPrompt;
import dev.kun.prompt.PointPrompt;
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
        model = TinyCheckpoint.builder().gqa(4, 2).vocab(600).maxPositions(4096).seed(11).write(shared.resolve("Kun-Tiny"));
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

    @Test
    void labelWithTheCheckpointsOwnChatTemplate() throws Exception {
        Path out = dir.resolve("chat.jsonl");
        Captured c = Captured.kun(args("label", documents, out, "--chat-template", "model", "--keep-prompt", null,
                "--keep-truncated", null, "--keep-empty", null));
        assertEquals(0, c.code(), c.stderr());
        for (JsonNode r : read(out)) {
            // TinyCheckpoint's tokenizer_config.json carries a ChatML chat_template (newline after the role).
            assertEquals("<|im_start|>user\n" + LabelPrompt.TEMPLATE.render(Map.of("document", DOCS[r.get("n").asInt()]))
                    + "<|im_end|>\n<|im_start|>assistant\n", r.get("use_prompt").asText());
        }
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
    void judgeGeneratesAndParsesEveryAnswerWithoutFailing() throws Exception {
        Path out = dir.resolve("judged.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Captured c = Captured.kun(args("judge", pairs(dir), out, "--rejects", rejects.toString(), "--temperature", "0"));
        assertEquals(0, c.code(), c.stderr());
        assertEquals("", c.out());
        List<JsonNode> all = concat(read(out), read(rejects));
        assertEquals(DOCS.length, all.size());
        for (JsonNode r : all) {
            assertTrue(r.get("score").isTextual(), "every record keeps the judge's answer: " + r);
            assertEquals("generate", r.at("/kun/judge/verdict_from").asText());
            if (r.has("reason")) {
                assertTrue(Set.of("verdict_bad", "verdict_unparseable").contains(r.get("reason").asText()), r.toString());
            }
        }
    }

    @Test
    void judgeFromLogitsMatchesTheTeacherForcedProbabilityOfEachVerdict() throws Exception {
        Path in = pairs(dir);
        try (DjlGenerator engine = DjlGenerator.open(model, DjlGenerator.Options.defaults())) {
            for (String rubric : new String[] {"kun", "humpback"}) {
                Path out = dir.resolve(rubric + ".jsonl");
                Path rejects = dir.resolve(rubric + "-rejects.jsonl");
                Captured c = Captured.kun(args("judge", in, out, "--rejects", rejects.toString(), "--verdict-from", "logits",
                        "--template", rubric, "--min-score", "3", "--batch-size", "2"));
                assertEquals(0, c.code(), c.stderr());
                assertEquals("", c.out());
                List<JsonNode> all = concat(read(out), read(rejects));
                assertEquals(DOCS.length, all.size(), "every record gets a verdict");
                for (JsonNode r : all) {
                    String instruction = r.get("instruction").asText();
                    String prompt = rubric.equals("kun") ? PointPrompt.render(instruction) + "【"
                            : ChatFormat.kun().render(HumpbackPrompt.TEMPLATE.render(Map.of("generated_instruction", instruction,
                                    "response", r.get("output").asText()))) + "Score: ";
                    List<String> verdicts = rubric.equals("kun") ? List.of("好", "差") : List.of("1", "2", "3", "4", "5");
                    double[] p = new double[verdicts.size()];
                    int best = 0;
                    for (int j = 0; j < p.length; j++) {
                        // The independent path: the whole text, teacher-forced; its last token is the verdict.
                        float[] lp = engine.tokenLogprobs(List.of(engine.tokenizer().encode(prompt + verdicts.get(j)))).get(0);
                        p[j] = Math.exp(lp[lp.length - 1]);
                        assertEquals(p[j], r.at("/kun/judge/probabilities/" + verdicts.get(j)).asDouble(), 1e-4 + 1e-3 * p[j],
                                rubric + " " + verdicts.get(j) + ": " + r);
                        if (p[j] > p[best]) best = j;
                    }
                    String expectedScore = rubric.equals("kun") ? (p[0] > p[1] ? "【好】" : "【差】") : "Score: " + verdicts.get(best);
                    assertEquals(expectedScore, r.get("score").asText());
                    boolean keep = rubric.equals("kun") ? p[0] > p[1] : best + 1 >= 3;
                    assertEquals(!keep, r.has("reason"), r.toString());
                    assertEquals(engine.tokenizer().encode(prompt).length, r.at("/kun/judge/prompt_tokens").asInt());
                }
            }
        }
    }

    @Test
    void aFolderThatIsNotAModelIsABackendErrorOnOneLine() throws Exception {
        Path notModel = Files.createDirectories(dir.resolve("empty"));
        String[][] commands = {{"label"}, {"polish"}, {"judge"}, {"judge", "--verdict-from", "logits"}};
        for (String[] command : commands) {
            List<String> a = new ArrayList<>(List.of(command));
            a.addAll(List.of("--model", notModel.toString(), "-i", documents.toString(), "-o", dir.resolve("o.jsonl").toString()));
            Captured c = Captured.kun(a.toArray(String[]::new));
            assertEquals(ExitCodes.BACKEND, c.code(), a + ": " + c.stderr());
            assertEquals(1, c.stderr().lines().count(), c.stderr());
        }
    }
}
