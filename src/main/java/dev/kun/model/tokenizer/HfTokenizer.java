package dev.kun.model.tokenizer;

import dev.kun.model.checkpoint.CheckpointFiles;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A checkpoint's tokenizer.json run by DJL's Hugging Face tokenizers, offline. Encoding never adds
 * BOS/EOS (prompts are rendered in full by kun), but special tokens written in the text, such as
 * {@code <|im_start|>}, become their single ids. BOS and EOS ids come from generation_config.json,
 * config.json or tokenizer_config.json beside tokenizer.json, in that order of precedence.
 */
public final class HfTokenizer implements EngineTokenizer {
    private static final Pattern BYTE_PIECE = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final Map<String, Integer> specialIds;
    private final Set<Integer> specialIdSet;
    private final int vocabSize;
    private final OptionalInt bosTokenId;
    private final List<Integer> eosTokenIds;
    private final BitSet byteTokens;
    private final boolean addBos;
    private final boolean addEos;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Path file, Map<String, Integer> specialIds, int vocabSize,
            OptionalInt bosTokenId, List<Integer> eosTokenIds, BitSet byteTokens, boolean addBos, boolean addEos) {
        this.byteTokens = byteTokens;
        this.addBos = addBos;
        this.addEos = addEos;
        this.tokenizer = tokenizer;
        this.file = file;
        this.specialIds = Map.copyOf(specialIds);
        this.specialIdSet = Set.copyOf(specialIds.values());
        this.vocabSize = vocabSize;
        this.bosTokenId = bosTokenId;
        this.eosTokenIds = List.copyOf(eosTokenIds);
    }

    /**
     * Loads {@code dir/tokenizer.json} (or {@code dir} itself when it is a file). Missing or unreadable
     * files raise KunException(BACKEND) naming the file.
     */
    public static HfTokenizer load(Path dir) {
        Path file = Files.isDirectory(dir) ? dir.resolve("tokenizer.json") : dir;
        Path home = file.toAbsolutePath().getParent();
        if (!Files.isRegularFile(file)) {
            throw new KunException(ExitCodes.BACKEND, "tokenizer not found: " + file + " (a Hugging Face checkpoint needs tokenizer.json)");
        }
        JsonNode json = CheckpointFiles.readJson(file);
        Map<String, Integer> specials = new HashMap<>();
        int maxId = -1;
        for (JsonNode t : json.path("added_tokens")) {
            int id = t.path("id").asInt();
            maxId = Math.max(maxId, id);
            if (t.path("special").asBoolean(false)) specials.put(t.path("content").asText(), id);
        }
        JsonNode vocab = json.path("model").path("vocab");
        Map<String, Integer> pieces = new HashMap<>();
        BitSet byteTokens = new BitSet();
        boolean byteFallback = json.path("model").path("byte_fallback").asBoolean(false);
        if (vocab.isObject()) {
            var it = vocab.fields();
            while (it.hasNext()) {
                var e = it.next();
                int id = e.getValue().asInt();
                pieces.put(e.getKey(), id);
                maxId = Math.max(maxId, id);
                if (byteFallback && BYTE_PIECE.matcher(e.getKey()).matches()) byteTokens.set(id);
            }
        } else if (vocab.isArray()) {
            // Unigram models store [piece, score] pairs; the id is the position.
            maxId = Math.max(maxId, vocab.size() - 1);
        }
        HuggingFaceTokenizer hf;
        try (InputStream in = Files.newInputStream(file)) {
            // Truncation and padding off: kun measures and limits lengths itself, and silently cut
            // prompts would corrupt results. addSpecialTokens off: prompts carry their own specials.
            hf = HuggingFaceTokenizer.newInstance(in, Map.of(
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false",
                    "maxLength", String.valueOf(Integer.MAX_VALUE / 2)));
        } catch (IOException | RuntimeException e) {
            throw new KunException(ExitCodes.BACKEND, "cannot load tokenizer " + file + ": " + CheckpointFiles.oneLine(e), e);
        }
        Map<String, Integer> byName = new HashMap<>(pieces);
        byName.putAll(specials);
        TokenizerConfig config = TokenizerConfig.read(home);
        TokenizerConfig.Ends ends = config.ends(home, byName::get);
        // Without add_bos_token, whether tokenizer.json's post-processor puts a special token first.
        JsonNode single = json.path("post_processor").path("single");
        boolean addBos = config.addBosToken() != null ? config.addBosToken()
                : single.isArray() && single.size() > 0 && single.get(0).has("SpecialToken");
        boolean addEos = config.addEosToken() != null ? config.addEosToken()
                : single.isArray() && single.size() > 1 && single.get(single.size() - 1).has("SpecialToken");
        return new HfTokenizer(hf, file, specials, maxId + 1, ends.bos(), ends.eos(), byteTokens, addBos, addEos);
    }

    /** Token ids of {@code text}, with no BOS/EOS added; special tokens in the text map to their ids. */
    @Override
    public int[] encode(String text) {
        return toInts(tokenizer.encode(text, false, false).getIds());
    }

    /** Encodes many texts in one native call (parallel inside the tokenizer library). */
    @Override
    public List<int[]> encodeAll(List<String> texts) {
        if (texts.isEmpty()) return List.of();
        var encodings = tokenizer.batchEncode(texts, false, false);
        List<int[]> out = new ArrayList<>(encodings.length);
        for (var e : encodings) out.add(toInts(e.getIds()));
        return out;
    }

    /** Number of tokens {@code text} encodes to, with no special tokens added. */
    @Override
    public int count(String text) {
        return countTokens(text);
    }

    /** Number of tokens {@code text} encodes to, with no special tokens added. */
    public int countTokens(String text) {
        return tokenizer.encode(text, false, false).getIds().length;
    }

    /** Text of {@code ids[from, to)}. */
    @Override
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        long[] l = new long[to - from];
        for (int i = from; i < to; i++) l[i - from] = ids[i];
        return tokenizer.decode(l, skipSpecialTokens);
    }

    @Override
    public OptionalInt specialTokenId(String content) {
        Integer id = specialIds.get(content);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * Whether {@code id} is a SentencePiece byte-fallback token ({@code <0xE4>}). Hugging Face's
     * ByteFallback decoder turns a whole run of such tokens into U+FFFD when any byte of the run is
     * invalid, so a run's text is only final once a non-byte token ends it.
     */
    @Override
    public boolean isByteToken(int id) {
        return id >= 0 && byteTokens.get(id);
    }

    @Override
    public boolean isSpecial(int id) {
        return specialIdSet.contains(id);
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return Collections.unmodifiableMap(specialIds);
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public OptionalInt bosTokenId() {
        return bosTokenId;
    }

    @Override
    public List<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    @Override
    public boolean addsBosToken() {
        return addBos;
    }

    @Override
    public boolean addsEosToken() {
        return addEos;
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        tokenizer.close();
    }



    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return out;
    }



}
