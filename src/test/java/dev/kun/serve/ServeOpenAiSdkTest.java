package dev.kun.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client no one here wrote: the official OpenAI Java SDK (com.openai:openai-java) against kun serve on
 * a tiny real checkpoint, with an API key. At temperature 0 every answer, streamed or not, is the
 * in-process generation, parsed by the SDK's own models.
 */
class ServeOpenAiSdkTest {
    private static final String KEY = "sk-kun-test";
    @TempDir static Path dir;
    static TextGenerator generator;
    static KunServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        Path model = TinyCheckpoint.builder().gqa(4, 2).vocab(600).maxPositions(128).seed(5).write(dir.resolve("tiny"));
        generator = Backends.openGenerator(BackendSpec.of(model).withDevice("cpu", null));
        server = KunServer.start(generator, ChatTemplate.of(model), ServeConfig.loopback("tiny", 4, 8).withApiKey(KEY));
        client = OpenAIOkHttpClient.builder().baseUrl(server.uri() + "/v1").apiKey(KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
        if (generator != null) generator.close();
    }

    private static Generation inProcess(String prompt, int maxTokens) {
        return generator.generate(List.of(new GenerationRequest(prompt, SamplingParams.greedy(maxTokens), 0))).get(0);
    }

    private static String chatMl(String system, String user) {
        return "<|im_start|>system\n" + system + "<|im_end|>\n<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
    }

    private static CompletionCreateParams completion(String prompt, long maxTokens) {
        return CompletionCreateParams.builder().model("tiny").prompt(prompt).maxTokens(maxTokens).temperature(0.0).build();
    }

    private static ChatCompletionCreateParams chat(String user, long maxTokens) {
        return ChatCompletionCreateParams.builder().model("tiny").addSystemMessage("you label documents")
                .addUserMessage(user).maxCompletionTokens(maxTokens).temperature(0.0).build();
    }

    @Test
    void completions() {
        Completion c = client.completions().create(completion("the cat", 12));
        Generation expected = inProcess("the cat", 12);
        CompletionChoice choice = c.choices().get(0);
        assertEquals(expected.text(), choice.text());
        assertEquals(expected.finishReason().wireName(), choice.finishReason().asString());
        assertEquals("tiny", c.model());
        assertTrue(c.id().startsWith("cmpl-"));
        assertEquals(expected.promptTokens(), c.usage().orElseThrow().promptTokens());
        assertEquals(expected.generatedTokens(), c.usage().orElseThrow().completionTokens());
    }

    @Test
    void chat() {
        ChatCompletion c = client.chat().completions().create(chat("新闻 材料 图片", 10));
        Generation expected = inProcess(chatMl("you label documents", "新闻 材料 图片"), 10);
        ChatCompletion.Choice choice = c.choices().get(0);
        assertEquals(expected.text(), choice.message().content().orElseThrow());
        assertEquals(expected.finishReason().wireName(), choice.finishReason().asString());
        assertEquals(expected.generatedTokens(), c.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamedCompletions() {
        StringBuilder text = new StringBuilder();
        List<String> finishes = new ArrayList<>();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(completion("longer prompt about", 20))) {
            stream.stream().forEach(chunk -> {
                CompletionChoice choice = chunk.choices().get(0);
                text.append(choice.text());
                choice._finishReason().asKnown().ifPresent(f -> finishes.add(f.asString()));
            });
        }
        Generation expected = inProcess("longer prompt about", 20);
        assertEquals(expected.text(), text.toString());
        assertEquals(List.of(expected.finishReason().wireName()), finishes, "one finish reason, on the last chunk");
    }

    @Test
    void streamedChatWithUsage() {
        ChatCompletionCreateParams params = chat("回答 指令", 16).toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder text = new StringBuilder();
        long[] completionTokens = {-1};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                for (ChatCompletionChunk.Choice choice : chunk.choices()) choice.delta().content().ifPresent(text::append);
                chunk.usage().ifPresent(u -> completionTokens[0] = u.completionTokens());
            });
        }
        Generation expected = inProcess(chatMl("you label documents", "回答 指令"), 16);
        assertEquals(expected.text(), text.toString());
        assertEquals(expected.generatedTokens(), completionTokens[0]);
    }

    @Test
    void modelsAndErrorsAsTheSdkSeesThem() {
        List<Model> models = client.models().list().data();
        assertEquals(List.of("tiny"), models.stream().map(Model::id).toList());

        NotFoundException unknown = assertThrows(NotFoundException.class, () -> client.completions().create(
                CompletionCreateParams.builder().model("gpt-4").prompt("x").build()));
        assertEquals("model_not_found", unknown.code().orElseThrow());
        BadRequestException n = assertThrows(BadRequestException.class, () -> client.completions().create(
                completion("x", 4).toBuilder().n(2L).build()));
        assertEquals("n", n.param().orElseThrow());
        BadRequestException tooLong = assertThrows(BadRequestException.class, () -> client.completions().create(
                completion("x", 500)));
        assertEquals("context_length_exceeded", tooLong.code().orElseThrow());

        OpenAIClient anonymous = OpenAIOkHttpClient.builder().baseUrl(server.uri() + "/v1").apiKey("wrong")
                .maxRetries(0).build();
        try {
            assertThrows(UnauthorizedException.class, () -> anonymous.completions().create(completion("x", 4)));
        } finally {
            anonymous.close();
        }
    }
}
