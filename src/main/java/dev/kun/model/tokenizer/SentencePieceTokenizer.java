package dev.kun.model.tokenizer;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * A checkpoint's {@code tokenizer.model} run by {@link SentencePieceModel}, framed as Hugging Face's
 * slow Llama tokenizer frames it, which is how Yi's and Llama's first releases were tokenized:
 *
 * <ul>
 *   <li>Special and added tokens written in the text (the model's control pieces such as
 *       {@code <s>}, {@code <|im_start|>}; tokenizer_config.json's {@code added_tokens_decoder} and
 *       named tokens; added_tokens.json) become their own ids, the longest at the leftmost place
 *       first; the text between them is encoded by SentencePiece piece by piece, each piece with the
 *       model's dummy prefix ({@code legacy}, the default), or only the piece that starts the text
 *       ({@code "legacy": false}). Text without such tokens encodes exactly as {@code spm_encode}.
 *   <li>Encoding adds no BOS or EOS; {@link #addsBosToken()} reports tokenizer_config.json's
 *       {@code add_bos_token} (default true, as Llama's tokenizer class) for callers that want it.
 *   <li>Decoding as SentencePiece decodes (see {@link #decode(int[], int, int, boolean)}), special
 *       tokens appearing as their text unless skipped.
 * </ul>
 */
public final class SentencePieceTokenizer implements EngineTokenizer {
    private static final String SPACE = "\u2581";

    private final SentencePieceModel model;
    private final Path file;
    /** Content to id of every token matched whole in the text, and its strip flags. */
    private final Map<String, TokenizerConfig.AddedToken> whole;
    /** First characters of those tokens, to skip the lookup at most positions. */
    private final BitSet firstChars = new BitSet();
    private final int longestWhole;
    private final Map<String, Integer> specials;
    private final BitSet specialIds = new BitSet();
    /** Ids past the model's pieces (added tokens) and their text. */
    private final Map<Integer, String> addedText;
    private final int vocabSize;
    private final OptionalInt bosTokenId;
    private final List<Integer> eosTokenIds;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean legacy;

    private SentencePieceTokenizer(SentencePieceModel model, TokenizerConfig config, Path home) {
        this.model = model;
        this.file = model.file();
        this.legacy = config.legacy() == null || config.legacy();
        this.addBos = config.addBosToken() == null || config.addBosToken();
        this.addEos = config.addEosToken() != null && config.addEosToken();
        Map<String, TokenizerConfig.AddedToken> w = new LinkedHashMap<>();
        Map<String, Integer> sp = new LinkedHashMap<>();
        Map<Integer, String> extra = new HashMap<>();
        int maxId = model.size() - 1;
        for (int id = 0; id < model.size(); id++) {
            if (model.isControl(id) || model.isUnknown(id)) {
                w.put(model.piece(id), new TokenizerConfig.AddedToken(id, model.piece(id), true, false, false));
                sp.put(model.piece(id), id);
                specialIds.set(id);
            }
        }
        for (TokenizerConfig.AddedToken t : config.addedTokens().values()) {
            if (t.id() < model.size() && !model.piece(t.id()).equals(t.content())) {
                throw new KunException(ExitCodes.BACKEND, home + ": tokenizer_config.json gives id " + t.id() + " to "
                        + t.content() + ", but " + file.getFileName() + " has " + model.piece(t.id()) + " there");
            }
            w.put(t.content(), t);
            if (t.id() >= model.size()) extra.put(t.id(), t.content());
            maxId = Math.max(maxId, t.id());
            if (t.special()) {
                sp.put(t.content(), t.id());
                specialIds.set(t.id());
            }
        }
        // A named special token that is a piece of the model (such as a user-defined <|im_start|>).
        for (String name : config.namedSpecials()) {
            Integer id = idOf(name, w);
            if (id != null && !sp.containsKey(name)) {
                sp.put(name, id);
                specialIds.set(id);
                w.putIfAbsent(name, new TokenizerConfig.AddedToken(id, name, true, false, false));
            }
        }
        int longest = 0;
        for (String c : w.keySet()) {
            firstChars.set(c.charAt(0));
            longest = Math.max(longest, c.length());
        }
        this.whole = Collections.unmodifiableMap(w);
        this.longestWhole = longest;
        this.specials = Collections.unmodifiableMap(sp);
        this.addedText = extra;
        this.vocabSize = maxId + 1;
        TokenizerConfig.Ends ends = config.ends(home, name -> idOf(name, whole));
        OptionalInt bos = ends.bos();
        List<Integer> eos = ends.eos();
        // Without any file naming them, the model's own (trainer_spec bos_id/eos_id, control pieces).
        if (bos.isEmpty() && model.bosId() >= 0 && model.bosId() < model.size() && model.isControl(model.bosId())) {
            bos = OptionalInt.of(model.bosId());
        }
        if (eos.isEmpty() && model.eosId() >= 0 && model.eosId() < model.size() && model.isControl(model.eosId())) {
            eos = List.of(model.eosId());
        }
        this.bosTokenId = bos;
        this.eosTokenIds = List.copyOf(eos);
    }

    private Integer idOf(String content, Map<String, TokenizerConfig.AddedToken> w) {
        TokenizerConfig.AddedToken t = w.get(content);
        if (t != null) return t.id();
        int id = model.id(content);
        return id >= 0 ? id : null;
    }

    /**
     * Loads {@code dir/tokenizer.model} (or {@code dir} itself when it is a file) with the
     * tokenizer_config.json, special_tokens_map.json, added_tokens.json, config.json and
     * generation_config.json beside it. Problems are one-line KunException(BACKEND)s naming the file.
     */
    public static SentencePieceTokenizer load(Path dir) {
        Path file = Files.isDirectory(dir) ? dir.resolve("tokenizer.model") : dir;
        if (!Files.isRegularFile(file)) {
            throw new KunException(ExitCodes.BACKEND, "tokenizer not found: " + file);
        }
        Path home = file.toAbsolutePath().getParent();
        return new SentencePieceTokenizer(SentencePieceModel.load(file), TokenizerConfig.read(home), home);
    }

    /** Token ids of {@code text}, with no BOS/EOS added; special and added tokens in the text map to their ids. */
    @Override
    public int[] encode(String text) {
        List<int[]> parts = new ArrayList<>();
        int total = 0;
        int chunk = 0;
        boolean stripNext = false;
        int n = text.length();
        for (int i = 0; i < n; ) {
            TokenizerConfig.AddedToken t = firstChars.get(text.charAt(i)) ? match(text, i) : null;
            if (t == null) {
                i++;
                continue;
            }
            int end = i;
            if (t.lstrip()) {
                while (end > chunk && Character.isWhitespace(text.charAt(end - 1))) end--;
            }
            total += add(parts, text, chunk, end, stripNext);
            parts.add(new int[] {t.id()});
            total++;
            i += t.content().length();
            chunk = i;
            stripNext = t.rstrip();
        }
        total += add(parts, text, chunk, n, stripNext);
        int[] out = new int[total];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Encodes {@code text[from, to)}; returns the number of ids added. */
    private int add(List<int[]> parts, String text, int from, int to, boolean stripLeading) {
        if (stripLeading) {
            while (from < to && Character.isWhitespace(text.charAt(from))) from++;
        }
        if (from >= to) return 0;
        // Legacy framing gives every piece of text the dummy prefix; otherwise only the text's start.
        int[] ids = model.encode(text.substring(from, to).getBytes(StandardCharsets.UTF_8), legacy || from == 0);
        parts.add(ids);
        return ids.length;
    }

    /** The longest token matched whole that starts at {@code at}, or null. */
    private TokenizerConfig.AddedToken match(String text, int at) {
        int max = Math.min(longestWhole, text.length() - at);
        for (int len = max; len > 0; len--) {
            TokenizerConfig.AddedToken t = whole.get(text.substring(at, at + len));
            if (t != null) return t;
        }
        return null;
    }

    /** Encodes many texts, in parallel over the common pool when there are many. */
    @Override
    public List<int[]> encodeAll(List<String> texts) {
        int[][] out = new int[texts.size()][];
        IntStream range = IntStream.range(0, texts.size());
        (texts.size() >= 8 ? range.parallel() : range).forEach(i -> out[i] = encode(texts.get(i)));
        return Arrays.asList(out);
    }

    /**
     * SentencePiece's decoding (what Hugging Face's slow Llama tokenizer runs): pieces with U+2581 as a
     * space, runs of byte pieces as UTF-8 where each byte that does not start a valid character becomes
     * U+FFFD, and the dummy prefix's space dropped from the first piece of the text. Special tokens that
     * are not skipped appear as their text.
     */
    @Override
    public String decode(int[] ids, int from, int to, boolean skipSpecialTokens) {
        StringBuilder sb = new StringBuilder();
        byte[] run = new byte[16];
        int runLength = 0;
        boolean firstSpace = model.addDummyPrefix() || model.removeExtraWhitespaces();
        // SentencePiece's is_bos_ws and bos_ws_seen: the space dropped is the first piece's, at the text's start.
        boolean atStart = true;
        boolean spaceDropped = false;
        for (int i = from; i < to; i++) {
            int id = ids[i];
            boolean special = isSpecial(id);
            if (special && skipSpecialTokens) continue;
            if (model.isByte(id)) {
                if (runLength == run.length) run = Arrays.copyOf(run, runLength * 2);
                run[runLength++] = (byte) model.byteOf(id);
                continue;
            }
            if (runLength > 0) {
                appendBytes(run, runLength, sb);
                runLength = 0;
            }
            if (spaceDropped || sb.length() > 0) atStart = false;
            String piece = text(id);
            spaceDropped = false;
            if (!special && atStart && firstSpace && piece.startsWith(" ")) {
                piece = piece.substring(1);
                // With extra whitespace removed, every leading space goes, until text appears.
                spaceDropped = !model.removeExtraWhitespaces();
            }
            sb.append(piece);
        }
        if (runLength > 0) appendBytes(run, runLength, sb);
        return sb.toString();
    }

    private String text(int id) {
        if (id >= 0 && id < model.size()) return model.piece(id).replace(SPACE, " ");
        String added = addedText.get(id);
        if (added != null) return added;
        throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + file + " (" + vocabSize + " tokens)");
    }

    /** A run of byte pieces: each valid UTF-8 character, and U+FFFD for each byte that starts none. */
    private static void appendBytes(byte[] run, int length, StringBuilder sb) {
        int p = 0;
        while (p < length) {
            int n = SentencePieceModel.validUtf8Length(run, p, length);
            if (n == 0) {
                sb.append('\uFFFD');
                p++;
            } else {
                sb.append(new String(run, p, n, StandardCharsets.UTF_8));
                p += n;
            }
        }
    }

    /**
     * The special token {@code content}, or else a user-defined piece of the model spelled so: such a
     * piece is matched whole in text by SentencePiece itself, which is how a tokenizer.model may carry
     * chat markers such as {@code <|im_end|>} without any tokenizer_config.json naming them.
     */
    @Override
    public OptionalInt specialTokenId(String content) {
        Integer id = specials.get(content);
        if (id != null) return OptionalInt.of(id);
        int piece = model.id(content);
        return piece >= 0 && model.isUserDefined(piece) ? OptionalInt.of(piece) : OptionalInt.empty();
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specials;
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && specialIds.get(id);
    }

    @Override
    public boolean isByteToken(int id) {
        return model.isByte(id);
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

    /** The SentencePiece model underneath (for spm_encode-exact ids without special-token handling). */
    public SentencePieceModel model() {
        return model;
    }

    @Override
    public void close() {
        // Nothing native: the model is plain Java.
    }
}
