package dev.kun.model.tokenizer;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.model.checkpoint.CheckpointFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A SentencePiece {@code tokenizer.model} of type BPE, as Llama and Yi ship it, encoding exactly as
 * SentencePiece's own encoder (release 0.1.97, the reference for every rule here) does:
 *
 * <ol>
 *   <li>Normalization ({@code normalizer_spec}): the precompiled character map, when the model has
 *       one (spm_train's default nmt_nfkc does; Llama's and Yi's "identity" does not), rewrites the
 *       longest matching prefix at each position; user-defined pieces pass through untouched; invalid
 *       UTF-8 becomes U+FFFD one byte at a time. {@code remove_extra_whitespaces} drops leading,
 *       trailing and repeated spaces; {@code add_dummy_prefix} puts one space in front (Llama: yes, Yi:
 *       no); {@code escape_whitespaces} writes every space as U+2581.
 *   <li>BPE: the normalized text is split into characters (a user-defined piece is one symbol that
 *       never merges), then the adjacent pair whose concatenation is a piece with the highest score is
 *       merged, the leftmost on ties, until no pair is a piece. A piece of type UNUSED is split back
 *       into the pair that made it.
 *   <li>Ids: a symbol that is no piece is unknown: with {@code byte_fallback} it becomes its UTF-8
 *       bytes as {@code <0xXX>} pieces; without, a run of unknown symbols becomes one unknown id.
 * </ol>
 *
 * <p>The model file is protobuf; it is read here field by field (no protobuf library). Unigram
 * models are refused in one line. Thread-safe: encoding keeps its scratch arrays per thread.
 */
public final class SentencePieceModel {
    /** Piece types of {@code ModelProto.SentencePiece.Type}. */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final byte[] SPACE_SYMBOL = "\u2581".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);

    private final Path file;
    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final int unkId;
    private final int bosId;
    private final int eosId;
    private final boolean byteFallback;
    /** Id of {@code <0xXX>} for each byte, or -1 without byte fallback. */
    private final int[] byteIds = new int[256];
    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;
    private final boolean whitespaceAsSuffix;
    private final String normalizerName;
    /** The precompiled character map's double-array trie and the normalized strings it points into, or null. */
    private final int[] charsmapTrie;
    private final byte[] charsmapStrings;
    /** NORMAL, USER_DEFINED and UNUSED pieces: what merges may produce (SentencePiece's pieces_). */
    private final PieceTable mergeable;
    /** CONTROL, UNKNOWN and BYTE pieces (SentencePiece's reserved_id_map_), looked up first. */
    private final PieceTable reserved;
    /** User-defined pieces by first byte, longest first: matched whole before anything else. */
    private final byte[][][] userDefined = new byte[256][][];

    private SentencePieceModel(Path file, String[] pieces, float[] scores, int[] types, Spec spec) {
        this.file = file;
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.byteFallback = spec.byteFallback;
        this.addDummyPrefix = spec.addDummyPrefix;
        this.removeExtraWhitespaces = spec.removeExtraWhitespaces;
        this.escapeWhitespaces = spec.escapeWhitespaces;
        this.whitespaceAsSuffix = spec.whitespaceAsSuffix;
        this.normalizerName = spec.normalizerName;
        if (spec.charsmap != null && spec.charsmap.length > 0) {
            long trieBytes = (spec.charsmap[0] & 0xffL) | (spec.charsmap[1] & 0xffL) << 8 | (spec.charsmap[2] & 0xffL) << 16
                    | (spec.charsmap[3] & 0xffL) << 24;
            if (spec.charsmap.length <= 4 || trieBytes >= spec.charsmap.length - 4 || trieBytes % 4 != 0) {
                throw bad(file, "its precompiled_charsmap is broken");
            }
            charsmapTrie = new int[(int) trieBytes / 4];
            for (int i = 0; i < charsmapTrie.length; i++) {
                int o = 4 + 4 * i;
                charsmapTrie[i] = (spec.charsmap[o] & 0xff) | (spec.charsmap[o + 1] & 0xff) << 8
                        | (spec.charsmap[o + 2] & 0xff) << 16 | (spec.charsmap[o + 3] & 0xff) << 24;
            }
            charsmapStrings = Arrays.copyOfRange(spec.charsmap, 4 + (int) trieBytes, spec.charsmap.length);
        } else {
            charsmapTrie = null;
            charsmapStrings = null;
        }
        Arrays.fill(byteIds, -1);
        int unk = -1;
        List<byte[]> mergeKeys = new ArrayList<>();
        List<Integer> mergeIds = new ArrayList<>();
        List<byte[]> reservedKeys = new ArrayList<>();
        List<Integer> reservedIds = new ArrayList<>();
        List<List<byte[]>> user = new ArrayList<>();
        for (int i = 0; i < 256; i++) user.add(new ArrayList<>());
        for (int id = 0; id < pieces.length; id++) {
            byte[] b = pieces[id].getBytes(StandardCharsets.UTF_8);
            if (b.length == 0) throw bad(file, "piece " + id + " is empty");
            int type = types[id];
            boolean normal = type == NORMAL || type == USER_DEFINED || type == UNUSED;
            (normal ? mergeKeys : reservedKeys).add(b);
            (normal ? mergeIds : reservedIds).add(id);
            if (type == USER_DEFINED) user.get(b[0] & 0xff).add(b);
            if (type == UNKNOWN) {
                if (unk >= 0) throw bad(file, "it defines two unknown pieces");
                unk = id;
            }
            if (type == BYTE) {
                int v = bytePiece(pieces[id]);
                if (!byteFallback || v < 0) throw bad(file, "byte piece " + pieces[id] + " without byte_fallback, or malformed");
                byteIds[v] = id;
            }
        }
        if (unk < 0) throw bad(file, "it has no unknown piece");
        if (byteFallback) {
            for (int b = 0; b < 256; b++) if (byteIds[b] < 0) throw bad(file, "byte_fallback is on but piece <0x%02X> is missing".formatted(b));
        }
        this.unkId = unk;
        this.bosId = spec.bosId;
        this.eosId = spec.eosId;
        this.mergeable = new PieceTable(mergeKeys, mergeIds, file);
        this.reserved = new PieceTable(reservedKeys, reservedIds, file);
        for (int i = 0; i < 256; i++) {
            List<byte[]> u = user.get(i);
            if (u.isEmpty()) continue;
            u.sort((x, y) -> y.length - x.length);
            userDefined[i] = u.toArray(new byte[0][]);
        }
    }

    /** The parts of the trainer and normalizer specs that encoding reads, with protobuf's defaults. */
    private static final class Spec {
        int modelType = 1;
        boolean byteFallback;
        boolean whitespaceAsSuffix;
        int bosId = 1;
        int eosId = 2;
        String normalizerName = "";
        byte[] charsmap;
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        boolean escapeWhitespaces = true;
    }

    /** Reads {@code file}; anything it cannot run is a one-line KunException(BACKEND) naming it. */
    public static SentencePieceModel load(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KunException(ExitCodes.BACKEND, "cannot read " + file + ": " + CheckpointFiles.oneLine(e), e);
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        Spec spec = new Spec();
        try {
            Proto p = new Proto(data, 0, data.length);
            while (p.more()) {
                int tag = p.tag();
                switch (tag) {
                    case 1 << 3 | 2 -> { // pieces
                        Proto s = p.message();
                        String piece = "";
                        float score = 0;
                        int type = NORMAL;
                        while (s.more()) {
                            int t = s.tag();
                            switch (t) {
                                case 1 << 3 | 2 -> piece = s.string();
                                case 2 << 3 | 5 -> score = Float.intBitsToFloat(s.fixed32());
                                case 3 << 3 -> type = (int) s.varint();
                                default -> s.skip(t);
                            }
                        }
                        pieces.add(piece);
                        scores.add(score);
                        types.add(type);
                    }
                    case 2 << 3 | 2 -> { // trainer_spec
                        Proto s = p.message();
                        while (s.more()) {
                            int t = s.tag();
                            switch (t) {
                                case 3 << 3 -> spec.modelType = (int) s.varint();
                                case 24 << 3 -> spec.whitespaceAsSuffix = s.varint() != 0;
                                case 35 << 3 -> spec.byteFallback = s.varint() != 0;
                                case 41 << 3 -> spec.bosId = (int) s.varint();
                                case 42 << 3 -> spec.eosId = (int) s.varint();
                                default -> s.skip(t);
                            }
                        }
                    }
                    case 3 << 3 | 2 -> { // normalizer_spec
                        Proto s = p.message();
                        while (s.more()) {
                            int t = s.tag();
                            switch (t) {
                                case 1 << 3 | 2 -> spec.normalizerName = s.string();
                                case 2 << 3 | 2 -> spec.charsmap = s.bytes();
                                case 3 << 3 -> spec.addDummyPrefix = s.varint() != 0;
                                case 4 << 3 -> spec.removeExtraWhitespaces = s.varint() != 0;
                                case 5 << 3 -> spec.escapeWhitespaces = s.varint() != 0;
                                default -> s.skip(t);
                            }
                        }
                    }
                    default -> p.skip(tag);
                }
            }
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            throw bad(file, "it is not a SentencePiece model (malformed protobuf: " + e.getMessage() + ")");
        }
        if (pieces.isEmpty()) throw bad(file, "it is not a SentencePiece model (no pieces)");
        if (spec.modelType != 2) {
            String kind = switch (spec.modelType) {
                case 1 -> "Unigram";
                case 3 -> "word";
                case 4 -> "char";
                default -> "type " + spec.modelType;
            };
            throw new KunException(ExitCodes.BACKEND, file + " is a SentencePiece " + kind
                    + " model; kun runs SentencePiece BPE (Llama, Yi) only: use the checkpoint's tokenizer.json");
        }
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            t[i] = types.get(i);
        }
        return new SentencePieceModel(file, pieces.toArray(new String[0]), s, t, spec);
    }

    // ---------------------------------------------------------------- encoding

    /** Per-thread scratch: the normalized text, the symbols and the merge heap, grown as needed. */
    private static final class Scratch {
        byte[] text = new byte[256];
        int textLength;
        int[] start = new int[64];
        int[] length = new int[64];
        int[] prev = new int[64];
        int[] next = new int[64];
        boolean[] frozen = new boolean[64];
        long[] heapKey = new long[64];
        int[] heapSize = new int[64];
        int heapCount;
        int[] out = new int[64];
        int outCount;
        /** UNUSED piece id to the length of the left part it was queued from; null until one is. */
        java.util.Map<Integer, Integer> revMerge;

        void symbols(int n) {
            if (start.length < n) {
                int c = Math.max(n, start.length * 2);
                start = new int[c];
                length = new int[c];
                prev = new int[c];
                next = new int[c];
                frozen = new boolean[c];
            }
        }

        void text(int n) {
            if (text.length < n) text = Arrays.copyOf(text, Math.max(n, text.length * 2));
        }

        void add(int id) {
            if (outCount == out.length) out = Arrays.copyOf(out, out.length * 2);
            out[outCount++] = id;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The ids SentencePiece gives {@code text} (what {@code spm_encode --output_format=id} prints for one line). */
    public int[] encode(String text) {
        return encode(text.getBytes(StandardCharsets.UTF_8), true);
    }

    /**
     * The ids of the UTF-8 text {@code utf8}; {@code dummyPrefix} false encodes as if the model's
     * {@code add_dummy_prefix} were off (Hugging Face's non-legacy Llama tokenizer does that after a
     * special token).
     */
    public int[] encode(byte[] utf8, boolean dummyPrefix) {
        Scratch k = SCRATCH.get();
        k.outCount = 0;
        normalize(utf8, dummyPrefix && addDummyPrefix, k);
        bpe(k);
        return Arrays.copyOf(k.out, k.outCount);
    }

    /** SentencePiece's Normalizer::Normalize into {@code k.text}. */
    private void normalize(byte[] in, boolean dummyPrefix, Scratch k) {
        k.textLength = 0;
        int n = in.length;
        int p = 0;
        if (n == 0) return;
        // Room for the worst case: every byte rewritten into a few, every space escaped to three bytes.
        k.text(3 * n + 8);
        long r;
        if (removeExtraWhitespaces) {
            while (p < n) {
                r = prefix(in, p);
                if (!isSingleSpace(r, in)) break;
                p += consumed(r);
            }
        }
        if (p >= n) return;
        if (!whitespaceAsSuffix && dummyPrefix) space(k);
        boolean prevSpace = removeExtraWhitespaces;
        while (p < n) {
            r = prefix(in, p);
            byte[] src = source(r, in);
            int from = from(r);
            int to = from + producedLength(r, in);
            while (prevSpace && from < to && src[from] == ' ') from++;
            if (from < to) {
                int need = k.textLength + 3 * (to - from);
                if (need > k.text.length) k.text(need * 2);
                for (int i = from; i < to; i++) {
                    byte b = src[i];
                    if (escapeWhitespaces && b == ' ') {
                        space(k);
                    } else {
                        k.text[k.textLength++] = b;
                    }
                }
                prevSpace = src[to - 1] == ' ';
            }
            p += consumed(r);
            if (!removeExtraWhitespaces) prevSpace = false;
        }
        if (removeExtraWhitespaces) {
            byte[] sp = escapeWhitespaces ? SPACE_SYMBOL : new byte[] {' '};
            while (k.textLength >= sp.length && Arrays.equals(k.text, k.textLength - sp.length, k.textLength, sp, 0, sp.length)) {
                k.textLength -= sp.length;
            }
        }
        if (whitespaceAsSuffix && dummyPrefix) space(k);
    }

    private void space(Scratch k) {
        k.text(k.textLength + 3);
        if (escapeWhitespaces) {
            k.text[k.textLength++] = SPACE_SYMBOL[0];
            k.text[k.textLength++] = SPACE_SYMBOL[1];
            k.text[k.textLength++] = SPACE_SYMBOL[2];
        } else {
            k.text[k.textLength++] = ' ';
        }
    }

    /*
     * NormalizePrefix's result packed in a long, to allocate nothing per character:
     * bits 0-23 bytes consumed, bit 24-25 the source (0: the input itself, 1: charsmap string,
     * 2: U+FFFD), bits 32-63 the offset of the produced bytes in that source.
     */
    private static final int FROM_INPUT = 0, FROM_CHARSMAP = 1, FROM_REPLACEMENT = 2;

    private static long pack(int consumed, int source, int offset) {
        return (long) offset << 32 | (long) source << 24 | consumed;
    }

    private static int consumed(long r) {
        return (int) (r & 0xffffff);
    }

    private static int from(long r) {
        return (int) (r >>> 32);
    }

    private byte[] source(long r, byte[] in) {
        return switch ((int) (r >>> 24) & 3) {
            case FROM_CHARSMAP -> charsmapStrings;
            case FROM_REPLACEMENT -> REPLACEMENT;
            default -> in;
        };
    }

    /** Bytes the prefix produces: a charsmap string runs to its NUL. */
    private int producedLength(long r, byte[] in) {
        int source = (int) (r >>> 24) & 3;
        if (source == FROM_CHARSMAP) {
            int o = from(r);
            int e = o;
            while (e < charsmapStrings.length && charsmapStrings[e] != 0) e++;
            return e - o;
        }
        return source == FROM_REPLACEMENT ? REPLACEMENT.length : consumed(r);
    }

    /** Whether the prefix produces exactly one ASCII space (SentencePiece compares it with " "). */
    private boolean isSingleSpace(long r, byte[] in) {
        return producedLength(r, in) == 1 && source(r, in)[from(r)] == ' ';
    }

    /** SentencePiece's Normalizer::NormalizePrefix at {@code p}. */
    private long prefix(byte[] in, int p) {
        int user = userDefinedMatch(in, p, in.length);
        if (user > 0) return pack(user, FROM_INPUT, p);
        if (charsmapTrie != null) {
            long hit = charsmapMatch(in, p);
            if (hit != 0) return hit;
        }
        int len = validUtf8Length(in, p, in.length);
        if (len == 0) return pack(1, FROM_REPLACEMENT, 0);
        return pack(len, FROM_INPUT, p);
    }

    /** The longest user-defined piece at {@code p}, or 0. */
    private int userDefinedMatch(byte[] in, int p, int end) {
        byte[][] candidates = userDefined[in[p] & 0xff];
        if (candidates == null) return 0;
        for (byte[] c : candidates) {
            if (c.length <= end - p && Arrays.equals(in, p, p + c.length, c, 0, c.length)) return c.length;
        }
        return 0;
    }

    /** Darts-clone's commonPrefixSearch over the charsmap trie, keeping the longest match. */
    private long charsmapMatch(byte[] in, int p) {
        int[] a = charsmapTrie;
        int id = 0;
        int unit = a[0];
        id ^= offset(unit);
        int longest = 0;
        int value = 0;
        for (int i = p; i < in.length; i++) {
            int c = in[i] & 0xff;
            id ^= c;
            if (id < 0 || id >= a.length) break;
            unit = a[id];
            if ((unit & (0x80000000 | 0xff)) != c) break;
            id ^= offset(unit);
            if (((unit >>> 8) & 1) == 1) {
                if (id < 0 || id >= a.length) break;
                longest = i + 1 - p;
                value = a[id] & 0x7fffffff;
            }
        }
        return longest == 0 ? 0 : pack(longest, FROM_CHARSMAP, value);
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }

    /** Length of the valid UTF-8 character at {@code p} (SentencePiece's DecodeUTF8), or 0 when invalid. */
    static int validUtf8Length(byte[] s, int p, int end) {
        int b0 = s[p] & 0xff;
        int len = end - p;
        if (b0 < 0x80) return 1;
        if (len >= 2 && (b0 & 0xe0) == 0xc0) {
            int cp = (b0 & 0x1f) << 6 | (s[p + 1] & 0x3f);
            if (trail(s[p + 1]) && cp >= 0x80) return 2;
        } else if (len >= 3 && (b0 & 0xf0) == 0xe0) {
            int cp = (b0 & 0x0f) << 12 | (s[p + 1] & 0x3f) << 6 | (s[p + 2] & 0x3f);
            if (trail(s[p + 1]) && trail(s[p + 2]) && cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff)) return 3;
        } else if (len >= 4 && (b0 & 0xf8) == 0xf0) {
            int cp = (b0 & 0x07) << 18 | (s[p + 1] & 0x3f) << 12 | (s[p + 2] & 0x3f) << 6 | (s[p + 3] & 0x3f);
            if (trail(s[p + 1]) && trail(s[p + 2]) && trail(s[p + 3]) && cp >= 0x10000 && cp <= 0x10ffff) return 4;
        }
        return 0;
    }

    private static boolean trail(byte b) {
        return (b & 0xc0) == 0x80;
    }

    /** SentencePiece's OneCharLen: the length a lead byte announces. */
    private static int oneCharLength(byte b) {
        int hi = (b & 0xff) >>> 4;
        return hi < 0xc ? 1 : hi < 0xe ? 2 : hi == 0xe ? 3 : 4;
    }

    /** bpe::Model::Encode and the id assignment of SentencePieceProcessor::PopulateSentencePieceText. */
    private void bpe(Scratch k) {
        byte[] t = k.text;
        int n = k.textLength;
        if (n == 0) return;
        k.symbols(n);
        int count = 0;
        for (int p = 0; p < n; ) {
            int user = userDefinedMatch(t, p, n);
            int len = user > 0 ? user : Math.min(n - p, oneCharLength(t[p]));
            k.start[count] = p;
            k.length[count] = len;
            k.frozen[count] = user > 0;
            k.prev[count] = count - 1;
            p += len;
            k.next[count] = p < n ? count + 1 : -1;
            count++;
        }
        k.heapCount = 0;
        k.revMerge = null;
        for (int i = 1; i < count; i++) pair(k, i - 1, i);
        while (k.heapCount > 0) {
            long key = k.heapKey[0];
            int size = k.heapSize[0];
            pop(k);
            int left = ~(int) key;
            int right = k.next[left];
            if (k.length[left] == 0 || right < 0 || k.length[right] == 0 || k.length[left] + k.length[right] != size) continue;
            k.length[left] += k.length[right];
            k.next[left] = k.next[right];
            if (k.next[right] >= 0) k.prev[k.next[right]] = left;
            k.length[right] = 0;
            pair(k, k.prev[left], left);
            pair(k, left, k.next[left]);
        }
        boolean prevUnknown = false;
        for (int i = 0; i >= 0; i = k.next[i]) {
            prevUnknown = emit(k, k.start[i], k.length[i], prevUnknown);
        }
    }

    /** MaybeAddNewSymbolPair: queues the merge of {@code left} and {@code right} when it makes a piece. */
    private void pair(Scratch k, int left, int right) {
        if (left < 0 || right < 0 || k.frozen[left] || k.frozen[right]) return;
        int size = k.length[left] + k.length[right];
        int id = mergeable.find(k.text, k.start[left], size);
        if (id < 0) return;
        // Highest score first, then lowest left index: both in one signed key (scores are never NaN).
        int s = Float.floatToIntBits(scores[id] + 0.0f);
        s ^= (s >> 31) & 0x7fffffff;
        push(k, (long) s << 32 | (~left & 0xffffffffL), size);
        if (types[id] == UNUSED) {
            // Every queued pair records its split, the last one winning, as SentencePiece's rev_merge does.
            if (k.revMerge == null) k.revMerge = new java.util.HashMap<>();
            k.revMerge.put(id, k.length[left]);
        }
    }

    /**
     * Emits the ids of the symbol at {@code [start, start + length)}: resegments an UNUSED piece into
     * the pair recorded when it was queued (SentencePiece's rev_merge), spells an unknown one in bytes
     * (byte fallback) or merges it into a preceding unknown. Returns whether the symbol ended unknown.
     */
    private boolean emit(Scratch k, int start, int length, boolean prevUnknown) {
        int id = reserved.find(k.text, start, length);
        if (id < 0) id = mergeable.find(k.text, start, length);
        if (id >= 0 && types[id] == UNUSED && k.revMerge != null && k.revMerge.containsKey(id)) {
            int cut = k.revMerge.get(id);
            boolean unknown = emit(k, start, cut, prevUnknown);
            return emit(k, start + cut, length - cut, unknown);
        }
        if (id < 0) id = unkId;
        if (id == unkId) {
            if (byteFallback) {
                for (int i = start; i < start + length; i++) k.add(byteIds[k.text[i] & 0xff]);
            } else if (!prevUnknown) {
                k.add(unkId);
            }
            return true;
        }
        k.add(id);
        return false;
    }

    private static void push(Scratch k, long key, int size) {
        if (k.heapCount == k.heapKey.length) {
            k.heapKey = Arrays.copyOf(k.heapKey, k.heapCount * 2);
            k.heapSize = Arrays.copyOf(k.heapSize, k.heapCount * 2);
        }
        int i = k.heapCount++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (k.heapKey[parent] >= key) break;
            k.heapKey[i] = k.heapKey[parent];
            k.heapSize[i] = k.heapSize[parent];
            i = parent;
        }
        k.heapKey[i] = key;
        k.heapSize[i] = size;
    }

    private static void pop(Scratch k) {
        int n = --k.heapCount;
        if (n == 0) return;
        long key = k.heapKey[n];
        int size = k.heapSize[n];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && k.heapKey[c + 1] > k.heapKey[c]) c++;
            if (k.heapKey[c] <= key) break;
            k.heapKey[i] = k.heapKey[c];
            k.heapSize[i] = k.heapSize[c];
            i = c;
        }
        k.heapKey[i] = key;
        k.heapSize[i] = size;
    }

    // ---------------------------------------------------------------- pieces

    public int size() {
        return pieces.length;
    }

    /** The piece of {@code id} as stored (U+2581 for a space, {@code <0xE4>} for a byte). */
    public String piece(int id) {
        return pieces[id];
    }

    public float score(int id) {
        return scores[id];
    }

    /** A control piece ({@code <s>}, {@code </s>}, ...): never produced from text by SentencePiece. */
    public boolean isControl(int id) {
        return types[id] == CONTROL;
    }

    /** A user-defined piece: matched whole in text, never merged. */
    public boolean isUserDefined(int id) {
        return types[id] == USER_DEFINED;
    }

    public boolean isUnknown(int id) {
        return types[id] == UNKNOWN;
    }

    /** A byte-fallback piece {@code <0xXX>}. */
    public boolean isByte(int id) {
        return id >= 0 && id < types.length && types[id] == BYTE;
    }

    /** The byte a {@code <0xXX>} piece stands for. */
    int byteOf(int id) {
        return bytePiece(pieces[id]);
    }

    /** Id of {@code piece} as the model spells it (reserved pieces first), or -1. */
    public int id(String piece) {
        byte[] b = piece.getBytes(StandardCharsets.UTF_8);
        int id = reserved.find(b, 0, b.length);
        return id >= 0 ? id : mergeable.find(b, 0, b.length);
    }

    public int unkId() {
        return unkId;
    }

    /** trainer_spec's bos_id (-1 when the model has none). */
    public int bosId() {
        return bosId;
    }

    /** trainer_spec's eos_id (-1 when the model has none). */
    public int eosId() {
        return eosId;
    }

    public boolean addDummyPrefix() {
        return addDummyPrefix;
    }

    public boolean removeExtraWhitespaces() {
        return removeExtraWhitespaces;
    }

    /** normalizer_spec's name ("identity", "nmt_nfkc", ...), for messages. */
    public String normalizerName() {
        return normalizerName;
    }

    public Path file() {
        return file;
    }

    private static int bytePiece(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        try {
            String hex = piece.substring(3, 5);
            if (!hex.equals(hex.toUpperCase(java.util.Locale.ROOT))) return -1;
            return Integer.parseInt(hex, 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static KunException bad(Path file, String why) {
        return new KunException(ExitCodes.BACKEND, "cannot load SentencePiece model " + file + ": " + why);
    }

    /** Pieces as UTF-8 byte strings in an open-addressed table: lookups of a text range allocate nothing. */
    private static final class PieceTable {
        private final byte[] pool;
        private final int[] offsets;
        private final int[] lengths;
        private final int[] ids;
        private final int[] slots;
        private final int mask;
        private final int longest;

        PieceTable(List<byte[]> keys, List<Integer> keyIds, Path file) {
            int total = 0;
            int max = 0;
            for (byte[] k : keys) {
                total += k.length;
                max = Math.max(max, k.length);
            }
            longest = max;
            pool = new byte[total];
            offsets = new int[keys.size()];
            lengths = new int[keys.size()];
            ids = new int[keys.size()];
            int cap = Integer.highestOneBit(Math.max(4, keys.size() * 2 + 1)) << 1;
            slots = new int[cap];
            Arrays.fill(slots, -1);
            mask = cap - 1;
            int at = 0;
            for (int i = 0; i < keys.size(); i++) {
                byte[] k = keys.get(i);
                System.arraycopy(k, 0, pool, at, k.length);
                offsets[i] = at;
                lengths[i] = k.length;
                ids[i] = keyIds.get(i);
                at += k.length;
                if (find(k, 0, k.length) >= 0) throw bad(file, "piece " + new String(k, StandardCharsets.UTF_8) + " is defined twice");
                int h = hash(k, 0, k.length) & mask;
                while (slots[h] >= 0) h = (h + 1) & mask;
                slots[h] = i;
            }
        }

        /** The id of bytes {@code [from, from + length)} of {@code s}, or -1. */
        int find(byte[] s, int from, int length) {
            if (length > longest || length == 0) return -1;
            int h = hash(s, from, length) & mask;
            while (true) {
                int e = slots[h];
                if (e < 0) return -1;
                if (lengths[e] == length && Arrays.equals(pool, offsets[e], offsets[e] + length, s, from, from + length)) {
                    return ids[e];
                }
                h = (h + 1) & mask;
            }
        }

        private static int hash(byte[] s, int from, int length) {
            int h = 0x9747b28c ^ length;
            for (int i = from; i < from + length; i++) h = (h ^ (s[i] & 0xff)) * 0x01000193;
            return h ^ (h >>> 15);
        }
    }

    /** A protobuf reader over a byte range: tags, varints, fixed32, length-delimited fields. */
    private static final class Proto {
        private final byte[] b;
        private int p;
        private final int end;

        Proto(byte[] b, int from, int end) {
            this.b = b;
            this.p = from;
            this.end = end;
        }

        boolean more() {
            return p < end;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (p >= end) throw new IllegalStateException("varint past the end");
                byte x = b[p++];
                v |= (long) (x & 0x7f) << shift;
                if (x >= 0) return v;
            }
            throw new IllegalStateException("varint too long");
        }

        int fixed32() {
            if (p + 4 > end) throw new IllegalStateException("fixed32 past the end");
            int v = (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
            p += 4;
            return v;
        }

        private int length() {
            long n = varint();
            if (n < 0 || n > end - p) throw new IllegalStateException("length past the end");
            return (int) n;
        }

        Proto message() {
            int n = length();
            Proto m = new Proto(b, p, p + n);
            p += n;
            return m;
        }

        byte[] bytes() {
            int n = length();
            byte[] out = Arrays.copyOfRange(b, p, p + n);
            p += n;
            return out;
        }

        String string() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> p += 8;
                case 2 -> {
                    int n = length(); // read first: "p += length()" would add to p's value before the length
                    p += n;
                }
                case 5 -> p += 4;
                default -> throw new IllegalStateException("wire type " + (tag & 7));
            }
            if (p > end) throw new IllegalStateException("field past the end");
        }
    }
}
