package dev.kun.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What servers' answers and errors mean, in the words several servers and versions use. */
class RepliesTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void overContextMessagesAreRecognisedByMeaning() {
        String[] tooLong = {
            // vLLM, older and newer wordings
            "This model's maximum context length is 4096 tokens. However, you requested 5120 tokens (4096 in the"
                    + " messages, 1024 in the completion). Please reduce the length of the messages or completion.",
            "This model's maximum context length is 2048 tokens. However, your request has 3000 input tokens."
                    + " Please reduce the length of the input messages.",
            "'max_tokens' or 'max_completion_tokens' is too large: 1024. This model's maximum context length is 4096"
                    + " tokens and your request has 3500 input tokens (1024 > 4096 - 3500).",
            "The decoder prompt (length 5000) is longer than the maximum model length of 4096. Make sure that"
                    + " `max_model_len` is no smaller than the number of text tokens.",
            "prompt is too long",
            "Prompt too long",
            // TGI
            "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3900 `inputs` tokens"
                    + " and 1024 `max_new_tokens`",
            "Input validation error: `inputs` must have less than 4095 tokens. Given: 5000",
            // llama.cpp
            "the request exceeds the available context size, try increasing it",
            "request (5000 tokens) exceeds the available context size (4096 tokens), try increasing it",
            // SGLang
            "The input (5000 tokens) is longer than the model's context length (4096 tokens).",
            "Requested token count exceeds the model's maximum context length of 4096 tokens. You requested a total"
                    + " of 5120 tokens",
            // OpenAI, by its code alone
            "Bad request (context_length_exceeded)",
        };
        for (String m : tooLong) assertTrue(Replies.promptTooLong(m), m);
        String[] other = {
            "top_p must be in (0, 1], got 1.5.",
            "temperature must be non-negative, got -1.0.",
            "The model `foo` does not exist.",
            "Input validation error: `stop` supports up to 4 stop sequences. Given: 5",
            "max_tokens must be at least 1, got 0.",
            "Internal server error",
        };
        for (String m : other) assertFalse(Replies.promptTooLong(m), m);
    }

    @Test
    void aPermanentErrorIsARejectWithTheServersMessage() {
        String vllm = "{\"object\":\"error\",\"message\":\"This model's maximum context length is 4096 tokens. However,"
                + " you requested 5000 tokens\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}";
        Generation g = Replies.rejection(400, Replies.errorMessage(utf8(vllm)), 12);
        assertEquals("prompt_too_long", g.failure().reason());
        assertTrue(g.failure().message().startsWith("This model's maximum context length is 4096"), g.failure().message());
        assertEquals(12, g.promptTokens());

        String llamacpp = "{\"error\":{\"code\":400,\"message\":\"the request exceeds the available context size, try"
                + " increasing it\",\"type\":\"exceed_context_size_error\"}}";
        assertEquals("prompt_too_long", Replies.rejection(400, Replies.errorMessage(utf8(llamacpp)), -1).failure().reason());
        String tgi = "{\"error\":\"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 2048. Given: 2000"
                + " `inputs` tokens and 100 `max_new_tokens`\",\"error_type\":\"validation\"}";
        assertEquals("prompt_too_long", Replies.rejection(422, Replies.errorMessage(utf8(tgi)), -1).failure().reason());
        String openai = "{\"error\":{\"message\":\"Your request was too big.\",\"type\":\"invalid_request_error\","
                + "\"code\":\"context_length_exceeded\"}}";
        assertEquals("prompt_too_long", Replies.rejection(400, Replies.errorMessage(utf8(openai)), -1).failure().reason());

        Generation other = Replies.rejection(400, Replies.errorMessage(utf8("{\"detail\":\"top_p must be in (0, 1]\"}")), -1);
        assertEquals("server_rejected", other.failure().reason());
        assertEquals("HTTP 400: top_p must be in (0, 1]", other.failure().message());
        assertEquals("HTTP 400: not json at all", Replies.rejection(400, Replies.errorMessage(utf8("not json at all\n")), -1)
                .failure().message());
        String huge = "x".repeat(10_000);
        assertTrue(Replies.errorMessage(utf8(huge)).length() <= Replies.MESSAGE_CHARS + 3);
    }

    @Test
    void aCompletionGivesTextFinishReasonAndUsage() {
        Generation g = Replies.generation(Replies.parse(utf8("{\"choices\":[{\"index\":0,\"text\":\"答案 😀\","
                + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}")),
                EndpointApi.COMPLETIONS, -1);
        assertEquals("答案 😀", g.text());
        assertEquals(FinishReason.LENGTH, g.finishReason());
        assertEquals(7, g.promptTokens());
        assertEquals(3, g.generatedTokens());

        Generation chat = Replies.generation(Replies.parse(utf8("{\"choices\":[{\"message\":{\"role\":\"assistant\","
                + "\"content\":\"hi\"},\"finish_reason\":\"eos_token\"}]}")), EndpointApi.CHAT, 5);
        assertEquals("hi", chat.text());
        assertEquals(FinishReason.STOP, chat.finishReason(), "TGI's eos_token is a stop");
        assertEquals(5, chat.promptTokens(), "without usage, the count made here");
        assertEquals(0, chat.generatedTokens());

        assertThrows(IllegalArgumentException.class, () -> Replies.parse(utf8("{\"choices\":[")));
        assertThrows(IllegalArgumentException.class, () -> Replies.generation(Replies.parse(utf8("{\"choices\":[]}")),
                EndpointApi.COMPLETIONS, -1));
        assertThrows(IllegalArgumentException.class, () -> Replies.generation(Replies.parse(utf8(
                "{\"choices\":[{\"text\":\"x\",\"finish_reason\":\"content_filter\"}]}")), EndpointApi.COMPLETIONS, -1));
    }
}
