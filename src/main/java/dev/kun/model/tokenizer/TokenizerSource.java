package dev.kun.model.tokenizer;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which of a checkpoint's tokenizer files kun runs ({@code --tokenizer-source}): by default
 * tokenizer.json when it is there, else tokenizer.model; or one of them by name. Yi's "fast"
 * tokenizer.json is known to disagree with its SentencePiece original on some text, and the ids the
 * model was trained on are SentencePiece's: {@code sentencepiece} runs tokenizer.model even when a
 * tokenizer.json is present.
 */
public enum TokenizerSource {
    AUTO("auto"),
    TOKENIZER_JSON("tokenizer.json"),
    SENTENCEPIECE("sentencepiece");

    private final String spelling;

    TokenizerSource(String spelling) {
        this.spelling = spelling;
    }

    /** As the option spells it. */
    @Override
    public String toString() {
        return spelling;
    }

    /** {@code auto}, {@code tokenizer.json} (or {@code json}), {@code sentencepiece}; anything else is a usage error. */
    public static TokenizerSource parse(String s) {
        return switch (s) {
            case "auto" -> AUTO;
            case "tokenizer.json", "json" -> TOKENIZER_JSON;
            case "sentencepiece", "tokenizer.model" -> SENTENCEPIECE;
            default -> throw KunException.usage("--tokenizer-source must be auto, tokenizer.json or sentencepiece: " + s);
        };
    }

    /**
     * The tokenizer of the checkpoint or tokenizer folder {@code dir} (or a tokenizer.json or
     * tokenizer.model file itself), from the file this source names. A missing file is a one-line
     * KunException(BACKEND) naming what was looked for.
     */
    public EngineTokenizer open(Path dir) {
        if (Files.isRegularFile(dir)) {
            return dir.getFileName().toString().endsWith(".json") ? HfTokenizer.load(dir) : SentencePieceTokenizer.load(dir);
        }
        boolean json = Files.isRegularFile(dir.resolve("tokenizer.json"));
        boolean model = Files.isRegularFile(dir.resolve("tokenizer.model"));
        switch (this) {
            case TOKENIZER_JSON -> {
                if (!json) throw new KunException(ExitCodes.BACKEND, "tokenizer.json is missing in " + dir + " (--tokenizer-source tokenizer.json)");
                return HfTokenizer.load(dir);
            }
            case SENTENCEPIECE -> {
                if (!model) throw new KunException(ExitCodes.BACKEND, "tokenizer.model is missing in " + dir + " (--tokenizer-source sentencepiece)");
                return SentencePieceTokenizer.load(dir);
            }
            default -> {
                if (json) return HfTokenizer.load(dir);
                if (model) return SentencePieceTokenizer.load(dir);
                throw new KunException(ExitCodes.BACKEND, "no tokenizer in " + dir + " (expected tokenizer.json or tokenizer.model)");
            }
        }
    }
}
