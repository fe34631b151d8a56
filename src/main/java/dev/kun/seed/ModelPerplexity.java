package dev.kun.seed;

import dev.kun.generate.TextScorer;
import dev.kun.generate.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Perplexity of documents under a Hugging Face checkpoint run in-process (the method's preliminary
 * cleansing). For a document of N tokens t_1..t_N (encoded without special tokens):
 * {@code ppl = exp(-(1/N) * sum_i log p(t_i | BOS, t_1..t_{i-1}))}, with BOS prepended as context when
 * the tokenizer defines one (as Hugging Face's perplexity recipe with add_bos); without BOS the first
 * token has no context and is not scored (N - 1 terms). A document longer than the model's context is
 * scored on its first tokens only (BOS included, up to the context). {@code tokens} is N, the
 * document's full token count. A document with no scored token gets NaN, which no maximum accepts.
 * The value is rounded to 3 decimals. Padding makes a batched value differ from a lone one in
 * the last float bits; a resumed run still writes the same bytes because the runner forms the same
 * batches (they restart at checkpoints) and the stage scores the same records in them.
 */
public final class ModelPerplexity implements PerplexityScorer {
    private final TextScorer model;

    /** Takes ownership of {@code model} (closed with this scorer). */
    public ModelPerplexity(TextScorer model) {
        this.model = model;
    }

    /** The model's tokenizer, for --max-tokens when no other tokenizer is given. */
    public Tokenizer tokenizer() {
        return model.tokenizer();
    }

    @Override
    public List<Perplexity> score(List<String> texts) {
        Tokenizer tokenizer = model.tokenizer();
        List<int[]> ids = tokenizer.encodeAll(texts);
        OptionalInt bos = tokenizer.bosTokenId();
        int context = model.contextLength();
        List<int[]> sequences = new ArrayList<>(ids.size());
        for (int[] t : ids) {
            int offset = bos.isPresent() ? 1 : 0;
            int length = Math.min(t.length + offset, context);
            int[] s = new int[length];
            if (offset == 1) {
                s[0] = bos.getAsInt();
            }
            System.arraycopy(t, 0, s, offset, length - offset);
            sequences.add(s);
        }
        List<float[]> logprobs = model.tokenLogprobs(sequences);
        List<Perplexity> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            out.add(new Perplexity(ids.get(i).length, perplexity(logprobs.get(i))));
        }
        return out;
    }

    /** exp of the negative mean log-probability, rounded to 3 decimals; NaN without any value. */
    static double perplexity(float[] logprobs) {
        if (logprobs.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (float lp : logprobs) {
            sum += lp;
        }
        double ppl = Math.exp(-sum / logprobs.length);
        return Double.isFinite(ppl) ? Math.rint(ppl * 1000) / 1000 : ppl;
    }

    @Override
    public void close() {
        model.close();
    }
}
