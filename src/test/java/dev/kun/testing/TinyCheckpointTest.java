package dev.kun.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyCheckpointTest {
    @TempDir Path dir;

    private static HuggingFaceTokenizer load(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return HuggingFaceTokenizer.newInstance(in, Map.of("addSpecialTokens", "false"));
        }
    }

    @Test
    void tokenizerIsRealAndHasYiSpecialIds() throws Exception {
        Path file = TinyCheckpoint.writeTokenizer(dir.resolve("tokenizer.json"));
        try (HuggingFaceTokenizer tok = load(file)) {
            long[] ids = tok.encode("<|im_start|>user\nhi<|im_end|>\n<|im_sep|><|endoftext|>", false, false).getIds();
            assertEquals(TinyCheckpoint.IM_START, ids[0]);
            Set<Long> all = new HashSet<>();
            for (long id : ids) all.add(id);
            assertTrue(all.contains((long) TinyCheckpoint.IM_END));
            assertTrue(all.contains((long) TinyCheckpoint.IM_SEP));
            assertEquals(TinyCheckpoint.ENDOFTEXT, ids[ids.length - 1]);
            // Byte fallback: an emoji outside the vocabulary becomes its four UTF-8 bytes.
            long[] emoji = tok.encode("😀", false, false).getIds();
            assertArrayEquals(new long[] {265, 9 + 0xF0, 9 + 0x9F, 9 + 0x98, 9 + 0x80}, emoji);
            String text = "the 新闻 and 😀 émigré\tend";
            assertEquals(text, tok.decode(tok.encode(text, false, false).getIds(), false));
            // The merges are live: "the" after a space is one token.
            assertEquals(2, tok.encode(" the", false, false).getIds().length);
        }
    }

    @Test
    void shardedCheckpointHasIndexCoveringEveryTensorOnce() throws Exception {
        TinyCheckpoint ck = TinyCheckpoint.builder().gqa(4, 2).dtype("BF16").sharded(3).tied(true).build();
        ck.write(dir);
        JsonNode index = new ObjectMapper().readTree(dir.resolve("model.safetensors.index.json").toFile());
        JsonNode map = index.get("weight_map");
        assertEquals(ck.tensors().size(), map.size());
        Set<String> files = new HashSet<>();
        map.fields().forEachRemaining(e -> files.add(e.getValue().asText()));
        assertEquals(Set.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors"), files);
        for (String f : files) assertTrue(Files.exists(dir.resolve(f)));
        assertTrue(!map.has("lm_head.weight"));
        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals(2, config.get("num_key_value_heads").asInt());
        assertEquals(true, config.get("tie_word_embeddings").asBoolean());
    }
}
