package dev.kun.serve;

import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.Tokenizer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A generator whose submitted requests wait for the test: each {@link #submit} returns at once, as the
 * engine's continuous batching does, and the test takes the request ({@link #next}), streams text into
 * it and finishes it, or sees it cancelled. One token per code point.
 */
final class GatedGenerator implements TextGenerator {
    private final LinkedBlockingQueue<Pending> submitted = new LinkedBlockingQueue<>();
    private final int context;

    GatedGenerator(int context) {
        this.context = context;
    }

    /** One submitted request, held until the test finishes it. */
    static final class Pending {
        final GenerationRequest request;
        final CompletableFuture<Generation> future = new CompletableFuture<>();
        private final Consumer<String> onText;
        private final StringBuilder text = new StringBuilder();

        Pending(GenerationRequest request, Consumer<String> onText) {
            this.request = request;
            this.onText = onText;
        }

        /** Decodes {@code piece}: the server streams it if the client asked. */
        void emit(String piece) {
            text.append(piece);
            if (onText != null) onText.accept(piece);
        }

        /** Ends the generation with the text emitted so far. */
        void finish(FinishReason reason) {
            int tokens = text.codePointCount(0, text.length());
            future.complete(new Generation(text.toString(), reason, request.prompt().codePointCount(0, request.prompt().length()),
                    tokens, new int[0], null));
        }

        /** True once the server cancelled it, within {@code millis}. */
        boolean cancelledWithin(long millis) throws InterruptedException {
            long end = System.currentTimeMillis() + millis;
            while (!future.isCancelled() && System.currentTimeMillis() < end) Thread.sleep(10);
            return future.isCancelled();
        }
    }

    @Override
    public CompletableFuture<Generation> submit(GenerationRequest request, Consumer<String> onText) {
        Pending p = new Pending(request, onText);
        submitted.add(p);
        return p.future;
    }

    /** The next request the server submitted, waiting up to 10 s for it (null if none came). */
    Pending next() throws InterruptedException {
        return submitted.poll(10, TimeUnit.SECONDS);
    }

    /** The next request if one comes within {@code millis}, else null. */
    Pending next(long millis) throws InterruptedException {
        return submitted.poll(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public List<Generation> generate(List<GenerationRequest> requests) {
        throw new UnsupportedOperationException("the server submits");
    }

    @Override
    public int contextLength() {
        return context;
    }

    @Override
    public String fingerprint() {
        return "gated";
    }

    @Override
    public Tokenizer tokenizer() {
        return new Tokenizer() {
            @Override
            public int[] encode(String text) {
                return text.codePoints().toArray();
            }

            @Override
            public String decode(int[] ids) {
                return new String(ids, 0, ids.length);
            }
        };
    }

    @Override
    public void close() {}
}
