package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.Tokenizer;
import dev.kun.error.KunException;
import dev.kun.pipeline.Stage;
import dev.kun.pipeline.StageRunner;
import dev.kun.run.ClosingStage;
import dev.kun.run.Step;
import dev.kun.record.KunRecord;
import dev.kun.seed.InvertStage;
import dev.kun.seed.ModelPerplexity;
import dev.kun.seed.SeedConfig;
import dev.kun.seed.SeedStage;
import dev.kun.seed.TokenCounter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kun seed}: loads a corpus into cleaned, deduplicated records, or a seed set into label-model training pairs. */
@Command(
        name = "seed",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Load a corpus (JSONL, a JSON array, plain text) into cleaned, deduplicated records with a stable id,"
                    + " or, with --invert, a seed-instruction set into label-model training pairs.",
            "",
            "Per record: clean the document (read from --text-field), apply the length rules, drop exact then"
                    + " near duplicates (the first occurrence wins), then write the cleaned document to `text`"
                    + " (moved from --text-field, in its place) and an `id` when the record has none; every other"
                    + " field is unchanged.",
        },
        footerHeading = "%nDetails:%n",
        footer = {
            "Cleaning: a line break is \\n (\\r\\n, \\r, VT, FF, NEL, U+2028/9 converted); other C0/C1 controls,"
                    + " U+200B, U+2060, U+FEFF and U+00AD are removed (ZWJ/ZWNJ kept); runs of spaces, tabs and"
                    + " other space separators become one space; lines are trimmed; 3+ line breaks become 2;"
                    + " a lone surrogate becomes U+FFFD. --nfkc adds Unicode NFKC.",
            "Drop reasons: empty, too_short, too_long, too_many_tokens, duplicate_exact, duplicate_near,"
                    + " perplexity; --invert: empty_output, empty_instruction; bad input: missing_field.",
            "id: kun- + 32 hex digits of MurmurHash3_x64_128 (seed 0; h1 then h2) of the cleaned text's UTF-8"
                    + " bytes; exact duplicates are the same 128-bit hash.",
            "Near duplicates: MinHash over character (code point) n-grams, LSH with bands x rows derived from"
                    + " the threshold (0.8 and 128 permutations: 9 x 13; a pair of Jaccard similarity s is caught with"
                    + " probability 1-(1-s^rows)^bands: 0.93 at 0.9, 0.40 at 0.8, 0.08 at 0.7). Memory: about 200"
                    + " bytes per kept record, whatever its length.",
            "--invert: reads instruction, input (optional) and output; writes {\"id\",\"prompt\",\"completion\"}"
                    + " (TRL's prompt-completion format): prompt = <|im_start|>user + label prompt + \\n + output"
                    + " + <|im_end|>\\n<|im_start|>assistant\\n, completion = instruction [+ \\n + input] + <|im_end|>."
                    + " --sft-format messages writes {\"id\",\"messages\":[user, assistant]} instead.",
            "Perplexity (--ppl-model): for a document of N tokens (no special tokens), ppl = exp(-(1/N) sum_i"
                    + " log p(t_i | BOS, t_1..t_i-1)), BOS prepended as context when the tokenizer has one (without"
                    + " BOS the first token is not scored); a document longer than the model's context (capped at"
                    + " 4096) is scored on its first tokens. Adds `tokens` (N) and `ppl` (3 decimals) to kept records;"
                    + " computed after the duplicate checks, so duplicates cost no model time.",
        })
public final class SeedCommand implements Callable<Integer> {

    @Mixin IoOptions io;

    @Mixin InputFormatOptions format;

    @Option(names = "--text-field", paramLabel = "FIELD",
            description = "Field holding the document; plain-text input is read into it. (default: text; output with --invert)")
    String textField;

    @Option(names = "--nfkc", description = "Apply Unicode NFKC normalisation (full-width forms, ligatures) before cleaning.")
    boolean nfkc;

    @Option(names = "--min-chars", paramLabel = "N",
            description = "Drop documents shorter than N characters (code points) after cleaning; 0 = no minimum. (default: ${DEFAULT-VALUE})")
    int minChars;

    @Option(names = "--max-chars", paramLabel = "N",
            description = "Drop documents longer than N characters (code points) after cleaning; 0 = no maximum. (default: ${DEFAULT-VALUE})")
    int maxChars;

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "Hugging Face tokenizer.json or SentencePiece tokenizer.model (or the checkpoint directory holding"
                    + " it, or ORG/NAME from the Hugging Face cache) for --max-tokens.")
    Path tokenizer;

    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Drop documents of more than N tokens of --tokenizer (or of --ppl-model's tokenizer), counted"
                    + " without special tokens (no BOS/EOS). (default: 512 with --tokenizer, the method's limit)")
    Integer maxTokens;

    @Option(names = "--dedup", paramLabel = "near|exact|none",
            description = "Remove exact and near duplicates (near), exact duplicates only, or none. (default: near)")
    SeedConfig.Dedup dedup = SeedConfig.Dedup.NEAR;

    @Option(names = "--near-dup-threshold", paramLabel = "J",
            description = "Jaccard similarity of character n-gram sets from which two texts are near duplicates."
                    + " (default: ${DEFAULT-VALUE})")
    double threshold = SeedConfig.DEFAULT_THRESHOLD;

    @Option(names = "--ngram", paramLabel = "N", description = "Characters per n-gram (shingle). (default: ${DEFAULT-VALUE})")
    int ngram = SeedConfig.DEFAULT_NGRAM;

    @Option(names = "--num-perm", paramLabel = "N", description = "MinHash permutations. (default: ${DEFAULT-VALUE})")
    int numPerm = SeedConfig.DEFAULT_NUM_PERM;

    @Option(names = "--bands", paramLabel = "B",
            description = "LSH bands (rows = num-perm / B); 0 derives bands and rows from the threshold. (default: ${DEFAULT-VALUE})")
    int bands;

    @Option(names = "--invert",
            description = "Treat input as a seed-instruction set (instruction, input, output) and write label-model"
                    + " training pairs: the response in the label prompt, the instruction as the completion.")
    boolean invert;

    @Option(names = "--sft-format", paramLabel = "prompt-completion|messages",
            description = "Layout of --invert pairs. (default: prompt-completion)")
    String sftFormat;

    @Option(names = "--ppl-model", paramLabel = "DIR",
            description = "Hugging Face checkpoint (llama/Yi, mistral, qwen2) whose perplexity is added to every kept"
                    + " record as `tokens` and `ppl`; its tokenizer also serves --max-tokens when --tokenizer is absent.")
    Path pplModel;

    @Option(names = "--max-ppl", paramLabel = "X",
            description = "With --ppl-model: drop documents whose perplexity is above X (reason perplexity).")
    Double maxPpl;

    /** Where --ppl-model runs. */
    @Mixin DeviceOptions device;

    @Override
    public Integer call() {
        SeedConfig config = config();
        try (ModelPerplexity ppl = pplModel == null ? null : new ModelPerplexity(Backends.openScorer(pplSpec()));
                Tokenizer tok = tokenizer == null ? null : Backends.openTokenizer(tokenizer, device.tokenizerSource());
                Stage stage = config.invert()
                        ? new InvertStage(config, tokenCounter(tok, ppl), ppl)
                        : new SeedStage(config, tokenCounter(tok, ppl), ppl)) {
            StageRunner runner = new StageRunner(io.runConfig(format, null));
            if (!config.textField().equals(KunRecord.TEXT)) {
                runner = runner.plainTextField(config.textField());
            }
            return runner.run(stage);
        }
    }

    /**
     * This command's stage as the first stage of {@code kun run}. Its tokenizer and perplexity model are
     * opened when the stage starts and closed with it.
     */
    Step runStep() {
        SeedConfig config = config();
        return Step.rules("seed", () -> {
            ModelPerplexity ppl = pplModel == null ? null : new ModelPerplexity(Backends.openScorer(pplSpec()));
            Tokenizer tok = tokenizer == null ? null : Backends.openTokenizer(tokenizer);
            return new ClosingStage(new SeedStage(config, tokenCounter(tok, ppl), ppl), ppl, tok);
        });
    }

    private static TokenCounter tokenCounter(Tokenizer tok, ModelPerplexity ppl) {
        if (tok != null) {
            return tok::count;
        }
        return ppl == null ? null : ppl.tokenizer()::count;
    }

    /** The backend of --ppl-model. */
    private BackendSpec pplSpec() {
        return BackendSpec.of(pplModel).withDevice(device.device(), null).withDtype(device.dtype())
                .withTokenizerSource(device.tokenizerSource());
    }

    /** The stage configuration the options describe; a usage error for inconsistent ones. */
    SeedConfig config() {
        if (minChars < 0 || maxChars < 0) {
            throw KunException.usage("--min-chars and --max-chars must be >= 0");
        }
        if (maxChars > 0 && minChars > maxChars) {
            throw KunException.usage("--min-chars " + minChars + " exceeds --max-chars " + maxChars);
        }
        if (maxTokens != null && tokenizer == null && pplModel == null) {
            throw KunException.usage("--max-tokens needs --tokenizer DIR (a Hugging Face tokenizer.json) or --ppl-model");
        }
        if (maxPpl != null && pplModel == null) {
            throw KunException.usage("--max-ppl needs --ppl-model DIR");
        }
        if (maxPpl != null && !(maxPpl > 0)) {
            throw KunException.usage("--max-ppl must be > 0");
        }
        if (pplModel != null) {
            Backends.validate(pplSpec());
        }
        // A tokenizer alone means the method's limit; with only --ppl-model, no limit unless asked.
        int tokenLimit = maxTokens != null ? maxTokens : tokenizer != null ? 512 : 0;
        if (maxTokens != null && tokenLimit < 1) {
            throw KunException.usage("--max-tokens must be >= 1");
        }
        if (!(threshold > 0 && threshold < 1)) {
            throw KunException.usage("--near-dup-threshold must be between 0 and 1 (exclusive)");
        }
        if (ngram < 1 || numPerm < 1) {
            throw KunException.usage("--ngram and --num-perm must be >= 1");
        }
        if (bands < 0 || bands > numPerm) {
            throw KunException.usage("--bands must be between 0 and --num-perm (" + numPerm + ")");
        }
        SeedConfig.SftFormat sft = SeedConfig.SftFormat.PROMPT_COMPLETION;
        if (sftFormat != null) {
            if (!invert) {
                throw KunException.usage("--sft-format applies to --invert only");
            }
            sft = switch (sftFormat) {
                case "prompt-completion" -> SeedConfig.SftFormat.PROMPT_COMPLETION;
                case "messages" -> SeedConfig.SftFormat.MESSAGES;
                default -> throw KunException.usage("--sft-format must be prompt-completion or messages, not " + sftFormat);
            };
        }
        String field = textField != null ? textField : invert ? KunRecord.OUTPUT : KunRecord.TEXT;
        return new SeedConfig(field, nfkc, minChars, maxChars, tokenLimit,
                tokenizer != null ? tokenizer.toString() : pplModel != null && tokenLimit > 0 ? pplModel.toString() : null,
                dedup, ngram, numPerm, threshold, bands, invert, sft,
                pplModel == null ? null : pplModel.toString(),
                maxPpl == null ? Double.POSITIVE_INFINITY : maxPpl);
    }
}
