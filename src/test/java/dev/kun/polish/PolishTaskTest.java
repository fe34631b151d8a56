package dev.kun.polish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.backend.Backends;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.PromptStage;
import dev.kun.generate.Provenance;
import dev.kun.generate.Seeds;
import dev.kun.generate.Tokenizer;
import dev.kun.pipeline.Outcome;
import dev.kun.prompt.AnswerPrompt;
import dev.kun.prompt.ChatFormat;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import dev.kun.testing.FakeGenerator;
import dev.kun.testing.ForwardingGenerator;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Polish's prompt and budget in the tokens of a real BPE tokenizer with byte fallback (TinyCheckpoint's:
 * some characters are one token, most CJK ones three), where token counts are not character counts.
 */
class PolishTaskTest {
    static final String DOC = "教育具有促进个体发展和社会发展的功能。";
    static final String INSTRUCTION = "教育具有哪些社会发展功能？请详细回答 the question";
    @TempDir static Path shared;
    static Tokenizer tokenizer;

    @BeforeAll
    static void open() {
        tokenizer = Backends.openTokenizer(TinyCheckpoint.builder().vocab(600).write(shared.resolve("tiny")));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static KunRecord record(String json) throws Exception {
        return new KunRecord((ObjectNode) Json.MAPPER.readTree(json));
    }

    private static KunRecord pair(String document, String instruction) throws Exception {
        return record("{\"id\":\"p\",\"instruction\":" + Json.MAPPER.writeValueAsString(instruction) + ",\"output\":"
                + Json.MAPPER.writeValueAsString(document) + ",\"kun\":{\"label\":{\"model\":\"L\"}}}");
    }

    /** A fake answer model that counts in the tiny tokenizer and answers {@code reply}. */
    private static final class Model extends ForwardingGenerator {
        final FakeGenerator fake;

        Model(String reply) {
            this(new FakeGenerator().replying(r -> reply));
        }

        private Model(FakeGenerator fake) {
            super(fake);
            this.fake = fake;
        }

        @Override
        public Tokenizer tokenizer() {
            return tokenizer;
        }

        @Override
        public int countTokens(String text) {
            return tokenizer.count(text);
        }
    }

    private static PolishConfig budget(int tokens, boolean keepTruncated) {
        return new PolishConfig("output", tokens, AnswerPrompt.TEMPLATE, ChatFormat.kun(), keepTruncated, Provenance.of("Answer", "f"));
    }

    private static Outcome polish(Model model, PolishConfig config, KunRecord record) {
        return new PromptStage(model, new PolishTask(config), config.defaultSampling(), 1, 4).process(List.of(record)).get(0);
    }

    @Test
    void theAnswerReplacesOutputAndTheDocumentIsKept() throws Exception {
        Model model = new Model("这是答案。<|im_end|>");
        Outcome o = polish(model, PolishConfig.method(Provenance.of("Answer", "f")), pair(DOC, INSTRUCTION));
        assertTrue(o.isKept());
        GenerationRequest sent = model.fake.requests.get(0);
        assertEquals(AnswerPrompt.render(DOC, INSTRUCTION), sent.prompt(), "the method's answer prompt, byte for byte");
        String expected = "{\"id\":\"p\",\"instruction\":\"" + INSTRUCTION + "\",\"output\":\"这是答案。\",\"kun\":{\"label\":"
                + "{\"model\":\"L\"},\"polish\":{\"model\":\"Answer\",\"model_fingerprint\":\"" + Provenance.of("", "f").modelFingerprint()
                + "\",\"sampling\":" + PromptStage.samplingJson(sent.sampling()) + ",\"seed\":" + Seeds.forRecord(1, "p")
                + ",\"finish_reason\":\"stop\",\"prompt_tokens\":" + sent.prompt().length() + ",\"generated_tokens\":"
                + "这是答案。<|im_end|>".length() + "}},\"document\":\"" + DOC + "\"}";
        assertEquals(expected, o.record().toString());
    }

    @Test
    void theInstructionIsCutToTheLongestPrefixWhosePromptFitsTheTokenBudget() throws Exception {
        int full = tokenizer.count(AnswerPrompt.render(DOC, INSTRUCTION));
        int bare = tokenizer.count(AnswerPrompt.render(DOC, ""));
        assertTrue(full - bare > INSTRUCTION.codePointCount(0, INSTRUCTION.length()), "several tokens per character here");
        int cuts = 0;
        for (int budget = bare + 1; budget <= full; budget++) {
            Model model = new Model("答");
            Outcome o = polish(model, budget(budget, false), pair(DOC, INSTRUCTION));
            if (tokenizer.count(AnswerPrompt.render(DOC, INSTRUCTION.substring(0, 1))) > budget) {
                // Not even the first character's bytes fit: a token or two of it would be half a character.
                assertEquals(PolishTask.DOCUMENT_TOO_LONG, o.dropReason(), "budget " + budget);
                continue;
            }
            assertTrue(o.isKept(), budget + ": " + o.dropReason());
            String kept = o.record().string("instruction");
            String prompt = model.fake.requests.get(0).prompt();
            assertEquals(AnswerPrompt.render(DOC, kept), prompt, "the record keeps the instruction the answer answers");
            assertTrue(tokenizer.count(prompt) <= budget, budget + ": " + tokenizer.count(prompt));
            assertTrue(INSTRUCTION.startsWith(kept) && !kept.isEmpty(), "a prefix, with no half character: " + kept);
            if (budget == full) {
                assertEquals(INSTRUCTION, kept);
                assertFalse(o.record().json().at("/kun/polish").has("original_instruction"));
                continue;
            }
            cuts++;
            String oneMore = INSTRUCTION.substring(0, INSTRUCTION.offsetByCodePoints(kept.length(), 1));
            assertTrue(tokenizer.count(AnswerPrompt.render(DOC, oneMore)) > budget, "one more character would not fit: " + oneMore);
            assertEquals(INSTRUCTION, o.record().json().at("/kun/polish/original_instruction").asText());
        }
        assertTrue(cuts > 10, "the budgets between exercise many cuts, mid-character ones too");
    }

    @Test
    void aDocumentThatLeavesNoRoomIsRejectedNeverSliced() throws Exception {
        int bare = tokenizer.count(AnswerPrompt.render(DOC, ""));
        for (int budget : new int[] {bare, bare - 1, 3}) {
            Model model = new Model("答");
            Outcome o = polish(model, budget(budget, false), pair(DOC, INSTRUCTION));
            assertEquals(PolishTask.DOCUMENT_TOO_LONG, o.dropReason(), "budget " + budget);
            assertFalse(o.isBadInput());
            assertTrue(o.record().string("error").contains("budget of " + budget), o.record().string("error"));
            assertEquals(INSTRUCTION, o.record().string("instruction"), "the reject is the record as it came");
            assertTrue(model.fake.requests.isEmpty(), "nothing generated");
        }
    }

    @Test
    void missingFieldsAreBadInputAndTruncatedAnswersRejectsUnlessKept() throws Exception {
        Model model = new Model("答");
        PromptStage stage = new PromptStage(model, new PolishTask(budget(512, false)), budget(512, false).defaultSampling(), 0, 4);
        List<Outcome> out = stage.process(List.of(record("{\"output\":\"文\"}"), record("{\"instruction\":\"问\"}"),
                record("{\"instruction\":\"问\",\"output\":1}")));
        for (Outcome o : out) {
            assertEquals("missing_field", o.dropReason());
            assertTrue(o.isBadInput());
        }
        String longAnswer = "很".repeat(1100);
        Outcome truncated = polish(new Model(longAnswer), budget(512, false), pair(DOC, "问"));
        assertEquals(PolishTask.TRUNCATED, truncated.dropReason());
        assertEquals(DOC, truncated.record().string("document"));
        assertTrue(polish(new Model(longAnswer), budget(512, true), pair(DOC, "问")).isKept());
    }
}
