package dev.kun.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic test text for tokenizers: lines mixing Chinese (common characters, and rare ones
 * outside any small vocabulary, which SentencePiece spells in bytes), English, digits, emoji (skin
 * tones, ZWJ sequences, flags, variation selectors), other scripts, full-width and compatibility
 * characters (which NFKC rewrites), runs of spaces, tabs and other whitespace, and a few control
 * characters. {@link java.util.Random} is specified exactly, so the same seed gives the same lines on
 * every JVM; scripts/make-sentencepiece-fixtures.sh writes them (main) for spm_encode.
 */
public final class SyntheticLines {
    private SyntheticLines() {}

    static final String COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所"
            + "民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样"
            + "与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品"
            + "式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热"
            + "领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名"
            + "确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列"
            + "习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县"
            + "局照参红细引听该铁价严龙飞，。！？、：；“”‘’（）《》【】…—";
    /** Characters from CJK Extension A and B, and rare Unified ones: outside a vocabulary trained on common text. */
    static final String RARE = "㐀㐁㐂㑇㒳㓁㔾㕛㖈㗊㘝㙁㚒㛟㜑㝈㞢㟃㠭" + "𠀀𠀁𠀂𠀃𠀋𠂇𠃌𠃍𠃎𠃏𠄌𠆢𠈌𠊛𠍱𠎝𠏹𠑊𠔻𠖥𠘑" + "龘龗齉靐爨癵驫鱻麤䨻";
    static final String[] WORDS = {"the", "model", "tokenizer", "SentencePiece", "Hello", "world", "Yi", "Llama", "data",
        "instruction", "answer", "GPU", "CUDA", "Java", "byte", "fallback", "pre-trained", "don't", "it's", "e.g.",
        "https://example.com/a?b=c", "user@example.com", "C++", "#hashtag", "@mention", "snake_case", "CamelCase"};
    static final String[] EMOJI = {"😀", "🎉", "👍", "👍🏽", "👨‍👩‍👧", "🇨🇳", "❤️", "🚀", "🤖", "✅", "🙏🏻", "🏳️‍🌈", "☕", "🧑‍💻"};
    static final String[] OTHER = {"こんにちは", "カタカナ", "한국어", "Привет", "مرحبا", "שלום", "Ελληνικά", "ไทย", "हिन्दी",
        "café", "cafe\u0301", "naïve", "Straße", "ﬁnance", "①②③", "㍻", "ｶﾀｶﾅ", "ＡＢＣ１２３", "™", "½", "x²", "Å"};
    static final String[] SPACES = {" ", "  ", "   ", "\t", " \t ", "\u3000", "\u00a0", "\u2003", "    ", "\u200b", "\ufeff"};

    /** {@code count} lines from {@code seed}; none contains a line break. */
    public static List<String> generate(long seed, int count) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(line(r));
        return out;
    }

    private static String line(Random r) {
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(20) == 0) sb.append(pick(r, SPACES)); // leading whitespace
        int parts = 1 + r.nextInt(3);
        for (int p = 0; p < parts; p++) {
            int kind = r.nextInt(100);
            if (kind < 45) {
                int n = 1 + r.nextInt(12);
                for (int i = 0; i < n; i++) {
                    sb.appendCodePoint(r.nextInt(30) == 0 ? pickCodePoint(r, RARE) : pickCodePoint(r, COMMON));
                }
            } else if (kind < 60) {
                int n = 1 + r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    String w = pick(r, WORDS);
                    if (r.nextInt(8) == 0) w = w.toUpperCase(java.util.Locale.ROOT);
                    sb.append(i == 0 ? "" : " ").append(w);
                }
                if (r.nextInt(3) == 0) sb.append(r.nextBoolean() ? "." : ",");
            } else if (kind < 72) {
                switch (r.nextInt(5)) {
                    case 0 -> sb.append(r.nextInt(100000));
                    case 1 -> sb.append(1900 + r.nextInt(200)).append("年").append(1 + r.nextInt(12)).append("月");
                    case 2 -> sb.append(r.nextInt(1000)).append('.').append(r.nextInt(100)).append('%');
                    case 3 -> sb.append(Math.abs(r.nextLong()));
                    default -> sb.append("v").append(r.nextInt(4)).append('.').append(r.nextInt(20)).append('.').append(r.nextInt(9));
                }
            } else if (kind < 80) {
                sb.append(pick(r, EMOJI));
                if (r.nextInt(3) == 0) sb.append(pick(r, EMOJI));
            } else if (kind < 88) {
                sb.append(pick(r, OTHER));
            } else if (kind < 97) {
                sb.append(pick(r, SPACES));
            } else {
                sb.append(r.nextBoolean() ? "\u0001" : "\u007f");
            }
            if (p + 1 < parts && r.nextInt(3) == 0) sb.append(r.nextInt(4) == 0 ? pick(r, SPACES) : " ");
        }
        if (r.nextInt(20) == 0) sb.append(pick(r, SPACES)); // trailing whitespace
        return sb.toString();
    }

    private static String pick(Random r, String[] from) {
        return from[r.nextInt(from.length)];
    }

    private static int pickCodePoint(Random r, String from) {
        int[] cps = from.codePoints().toArray();
        return cps[r.nextInt(cps.length)];
    }

    /** Writes {@code generate(seed, count)} to {@code out}, one per line: {@code SyntheticLines SEED COUNT OUT}. */
    public static void main(String[] args) throws IOException {
        List<String> lines = generate(Long.parseLong(args[0]), Integer.parseInt(args[1]));
        Files.write(Path.of(args[2]), lines, StandardCharsets.UTF_8);
    }
}
