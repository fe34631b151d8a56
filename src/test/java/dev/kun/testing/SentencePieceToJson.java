package dev.kun.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.model.tokenizer.SentencePieceModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the tokenizer.json that Hugging Face's LlamaConverter makes of a SentencePiece BPE model (as
 * transformers' {@code convert_slow_tokenizer} does): the pieces as the BPE vocabulary, merges from
 * every split of a piece into two pieces ordered by the merged piece's score, byte fallback, the
 * dummy prefix as a Prepend normalizer, and the matching decoder. The "fast" tokenizer a model ships
 * beside its tokenizer.model; used to compare the two paths and time them.
 */
public final class SentencePieceToJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SPACE = "\u2581";

    private SentencePieceToJson() {}

    /** Writes {@code model} as a tokenizer.json to {@code file}; control and unknown pieces become special added tokens. */
    public static Path write(SentencePieceModel model, Path file) {
        int n = model.size();
        Map<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < n; i++) vocab.put(model.piece(i), i);
        record Merge(String left, String right, float score, int leftId, int rightId) {}
        List<Merge> merges = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = model.piece(i);
            List<Merge> local = new ArrayList<>();
            for (int cut = 1; cut < p.length(); cut++) {
                if (Character.isLowSurrogate(p.charAt(cut))) continue;
                Integer l = vocab.get(p.substring(0, cut));
                Integer r = vocab.get(p.substring(cut));
                if (l != null && r != null) local.add(new Merge(p.substring(0, cut), p.substring(cut), model.score(i), l, r));
            }
            local.sort(Comparator.comparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
            merges.addAll(local);
        }
        // Stable: merges of one piece keep their order by (left id, right id).
        merges.sort(Comparator.comparingDouble((Merge m) -> m.score()).reversed());
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < n; i++) {
            String p = model.piece(i);
            if (model.isControl(i) || model.isUnknown(i)) {
                added.addObject().put("id", i).put("content", p).put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", false).put("special", true);
            }
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode norms = norm.putArray("normalizers");
        if (model.addDummyPrefix()) norms.addObject().put("type", "Prepend").put("prepend", SPACE);
        ObjectNode replace = norms.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", SPACE);
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Sequence");
        ArrayNode decs = dec.putArray("decoders");
        ObjectNode space = decs.addObject().put("type", "Replace");
        space.putObject("pattern").put("String", SPACE);
        space.put("content", " ");
        decs.addObject().put("type", "ByteFallback");
        decs.addObject().put("type", "Fuse");
        if (model.addDummyPrefix()) decs.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE");
        bpe.putNull("dropout");
        bpe.put("unk_token", model.piece(model.unkId()));
        bpe.putNull("continuing_subword_prefix");
        bpe.putNull("end_of_word_suffix");
        bpe.put("fuse_unk", true);
        bpe.put("byte_fallback", true);
        ObjectNode v = bpe.putObject("vocab");
        for (int i = 0; i < n; i++) v.put(model.piece(i), i);
        ArrayNode m = bpe.putArray("merges");
        for (Merge x : merges) m.add(x.left() + " " + x.right());
        try {
            Files.writeString(file, JSON.writeValueAsString(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
