package dev.kun.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.Tokenizer;
import dev.kun.prompt.ChatMlPrompt;
import dev.kun.record.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every sampling field on every request, in each server's spelling. */
class ServerProfileTest {
    static final SamplingParams KUN = SamplingParams.kun();

    private static JsonNode body(ServerProfile profile, SamplingParams s, EndpointApi api) {
        CompletionRequests requests = new CompletionRequests(api, profile, "m", null, null, Integer.MAX_VALUE, List.of(7));
        return requests.body(new GenerationRequest("<|im_start|>user 已知：\n文档<|im_end|>\n<|im_start|>assistant\n", s, -5L), -1);
    }

    @Test
    void vllmGetsEveryFieldIncludingTheOffOnes() {
        JsonNode b = body(ServerProfile.VLLM, KUN, EndpointApi.COMPLETIONS);
        assertEquals("m", b.get("model").asText());
        assertEquals("<|im_start|>user 已知：\n文档<|im_end|>\n<|im_start|>assistant\n", b.get("prompt").asText(),
                "the exact prompt bytes");
        assertEquals(1024, b.get("max_tokens").asInt());
        assertEquals(0.5, b.get("temperature").asDouble());
        assertEquals(0.95, b.get("top_p").asDouble());
        assertEquals(-1, b.get("top_k").asInt(), "vLLM's 'off' for every version");
        assertEquals(0.0, b.get("min_p").asDouble(), "else generation_config.json may set one");
        assertEquals(1.2, b.get("repetition_penalty").asDouble());
        assertEquals(0.0, b.get("presence_penalty").asDouble());
        assertEquals(0.0, b.get("frequency_penalty").asDouble());
        assertEquals(1, b.get("n").asInt());
        assertEquals(-5L & Long.MAX_VALUE, b.get("seed").asLong(), "a non-negative seed");
        assertTrue(b.get("stop").isArray());
        assertEquals("[7]", b.get("stop_token_ids").toString(), "the model's end-of-turn token, as the engine stops there");
        assertEquals(ServerProfile.VLLM.unsent(KUN), List.of());
    }

    @Test
    void llamaCppGetsItsOwnSpellingAndItsSamplersOff() {
        SamplingParams s = new SamplingParams(0.7, 0.9, 40, 1.1, 64, List.of("</s>"), List.of());
        JsonNode b = body(ServerProfile.LLAMACPP, s, EndpointApi.COMPLETIONS);
        assertEquals(1.1, b.get("repeat_penalty").asDouble());
        assertNull(b.get("repetition_penalty"));
        assertEquals(-1, b.get("repeat_last_n").asInt(), "the whole context, as Hugging Face's penalty");
        assertEquals(40, b.get("top_k").asInt());
        assertEquals(0.0, b.get("min_p").asDouble(), "llama.cpp's default is 0.05");
        assertEquals(1.0, b.get("typical_p").asDouble());
        assertEquals(0.0, b.get("dry_multiplier").asDouble());
        assertEquals(0, b.get("mirostat").asInt());
        assertTrue(b.get("seed").asLong() >= 0 && b.get("seed").asLong() < 0x7FFFFFFFL + 1);
        assertEquals("[\"</s>\"]", b.get("stop").toString());
        assertNull(b.get("stop_token_ids"));
    }

    @Test
    void tgiDropsTopKAndTopPOfOne() {
        SamplingParams off = new SamplingParams(0.5, 1.0, 0, 1.2, 32, List.of(), List.of());
        JsonNode b = body(ServerProfile.TGI, off, EndpointApi.COMPLETIONS);
        assertNull(b.get("top_p"), "TGI refuses top_p 1; leaving it out is the same");
        assertNull(b.get("top_k"));
        assertEquals(1.2, b.get("repetition_penalty").asDouble());
        assertEquals(0.8, body(ServerProfile.TGI, new SamplingParams(0.5, 0.8, 0, 1, 32, List.of(), List.of()),
                EndpointApi.COMPLETIONS).get("top_p").asDouble());
        assertEquals(List.of("top_k 5"), ServerProfile.TGI.unsent(new SamplingParams(0.5, 0.8, 5, 1, 32, List.of(), List.of())));
    }

    @Test
    void openAiTakesOnlyItsOwnFields() {
        JsonNode b = body(ServerProfile.OPENAI, KUN, EndpointApi.CHAT);
        assertNull(b.get("repetition_penalty"));
        assertNull(b.get("top_k"));
        assertNull(b.get("stop_token_ids"));
        assertEquals(1024, b.get("max_completion_tokens").asInt(), "the chat route's name for it");
        assertEquals(List.of("repetition_penalty 1.2"), ServerProfile.OPENAI.unsent(KUN));
    }

    @Test
    void chatSendsTheContentOfAChatMlTurnAsOneUserMessage() {
        JsonNode b = body(ServerProfile.VLLM, KUN, EndpointApi.CHAT);
        assertNull(b.get("prompt"));
        assertEquals("[{\"role\":\"user\",\"content\":\"已知：\\n文档\"}]", b.get("messages").toString());
        ObjectNode plain = Json.MAPPER.createObjectNode();
        EndpointApi.CHAT.putPrompt(plain, "plain text");
        assertEquals("plain text", plain.path("messages").path(0).path("content").asText());
        ObjectNode label = Json.MAPPER.createObjectNode();
        EndpointApi.CHAT.putPrompt(label, ChatMlPrompt.userTurn("请写指令\n文档"));
        assertEquals("请写指令\n文档", label.path("messages").path(0).path("content").asText());
    }

    @Test
    void withATokenizerMaxTokensIsCutToWhatTheContextLeaves() {
        Tokenizer perCodePoint = new Tokenizer() {
            @Override
            public int[] encode(String text) {
                return text.codePoints().toArray();
            }

            @Override
            public String decode(int[] ids) {
                return new String(ids, 0, ids.length);
            }
        };
        CompletionRequests requests = new CompletionRequests(EndpointApi.COMPLETIONS, ServerProfile.VLLM, "m",
                perCodePoint, "tok", 100, List.of());
        String prompt = "x".repeat(90);
        assertEquals(90, requests.countTokens(prompt));
        int tokens = requests.promptTokens(prompt);
        assertEquals(10, requests.body(new GenerationRequest(prompt, KUN, 1), tokens).get("max_tokens").asInt());
        assertEquals(95, requests.body(new GenerationRequest("short", KUN, 1), requests.promptTokens("short"))
                .get("max_tokens").asInt());
        SamplingParams brief = new SamplingParams(0.5, 0.95, 0, 1.2, 8, List.of(), List.of());
        assertEquals(8, requests.body(new GenerationRequest("short", brief, 1), 5).get("max_tokens").asInt(),
                "never more than asked");
        CompletionRequests none = new CompletionRequests(EndpointApi.COMPLETIONS, ServerProfile.VLLM, "m", null, null,
                Integer.MAX_VALUE, List.of());
        assertEquals(1, none.countTokens(prompt), "no tokenizer: nothing is counted, nothing refused");
        assertEquals(-1, none.promptTokens(prompt));
        assertFalse(none.body(new GenerationRequest(prompt, KUN, 1), -1).get("max_tokens").asInt() < 1024);
    }
}
