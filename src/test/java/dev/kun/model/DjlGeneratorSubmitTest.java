package dev.kun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.GenerationStream;
import dev.kun.generate.SamplingParams;
import dev.kun.model.generation.Scheduler;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's thread: requests submitted from any thread share the slots, stream their text, can be
 * cancelled, fail cleanly on close; streams of groups decode the same bits whatever the producer's
 * timing; shared prompt prefixes are prefilled once without changing the output.
 */
class DjlGeneratorSubmitTest {
    @TempDir static Path tmp;
    static Path dir;
    static DjlGenerator engine; // 3 slots, shared prefixes reused
    static DjlGenerator whole; // 3 slots, every prompt prefilled whole
    static DjlGenerator alone; // 1 slot

    /** Prompts of 40+ tokens sharing their first 33 (the tiny tokenizer has one token per ASCII letter or so). */
    static final String SHARED = "<|im_start|>user Judge the instruction below, answer good or bad.\n";
    static final List<String> PROMPTS = List.of(
            SHARED + "write a poem", SHARED + "你好，世界", SHARED + "sum 2 and 3", SHARED + "x",
            SHARED + "translate this sentence", "an unrelated prompt without the prefix", SHARED + "why is the sky blue");

    @BeforeAll
    static void load() {
        dir = TinyCheckpoint.builder().seed(21).gqa(4, 2).write(tmp.resolve("model"));
        engine = DjlGenerator.open(dir, DjlGenerator.Options.defaults().withMaxBatch(3).withThreads(1).withPrefixReuse(true));
        whole = DjlGenerator.open(dir, DjlGenerator.Options.defaults().withMaxBatch(3).withThreads(1).withPrefixReuse(false));
        alone = DjlGenerator.open(dir, DjlGenerator.Options.defaults().withMaxBatch(1).withThreads(1).withPrefixReuse(false));
    }

    @AfterAll
    static void close() {
        engine.close();
        whole.close();
        alone.close();
    }

    static GenerationRequest greedy(String prompt, int maxTokens) {
        return new GenerationRequest(prompt, SamplingParams.greedy(maxTokens), 0);
    }

    static GenerationRequest sampled(String prompt, int maxTokens, long seed) {
        return new GenerationRequest(prompt, new SamplingParams(0.8, 0.95, 0, 1.2, maxTokens, List.of(), List.of()), seed);
    }

    @Test
    void requestsFromManyThreadsShareTheSlotsAndStreamTheirText() throws Exception {
        int n = PROMPTS.size();
        List<CompletableFuture<Generation>> futures = new ArrayList<>();
        List<StringBuilder> streamed = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(null);
            streamed.add(new StringBuilder());
        }
        for (int i = 0; i < n; i++) {
            int k = i;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                CompletableFuture<Generation> f = whole.submit(greedy(PROMPTS.get(k), 6 + 3 * k), streamed.get(k)::append);
                synchronized (futures) {
                    futures.set(k, f);
                }
            });
            threads.add(t);
            t.start();
        }
        start.countDown();
        for (Thread t : threads) t.join();
        for (int i = 0; i < n; i++) {
            Generation g = futures.get(i).get(60, TimeUnit.SECONDS);
            Generation single = alone.generate(List.of(greedy(PROMPTS.get(i), 6 + 3 * i))).get(0);
            assertArrayEquals(single.tokenIds(), g.tokenIds(), "request " + i);
            assertEquals(g.text(), streamed.get(i).toString(), "the streamed pieces add up to the text");
        }
    }

    @Test
    void streamedTextHoldsBackWhatAStopStringMayStillClaim() throws Exception {
        Generation free = alone.generate(List.of(greedy(PROMPTS.get(0), 24))).get(0);
        assertTrue(free.text().length() >= 6, free.text());
        String stop = free.text().substring(4, 6);
        SamplingParams withStop = new SamplingParams(0, 1, 0, 1, 24, List.of(stop + "never", stop), List.of());
        List<String> pieces = new ArrayList<>();
        Generation g = engine.submit(new GenerationRequest(PROMPTS.get(0), withStop, 0), pieces::add).get(60, TimeUnit.SECONDS);
        assertEquals(free.text().substring(0, free.text().indexOf(stop)), g.text());
        assertEquals(g.text(), String.join("", pieces), "no piece of the stop string was streamed");
    }

    @Test
    void cancellingFreesTheSlotAndTheQueue() throws Exception {
        Scheduler.Counters before = alone.counters();
        CountDownLatch twoPieces = new CountDownLatch(2);
        // The long request gives itself up after its second text piece; the queued one never runs.
        CompletableFuture<Generation>[] longOne = new CompletableFuture[1];
        longOne[0] = alone.submit(greedy(PROMPTS.get(2), 200), piece -> twoPieces.countDown());
        CompletableFuture<Generation> queued = alone.submit(greedy(PROMPTS.get(3), 200), null);
        queued.cancel(false);
        assertTrue(twoPieces.await(60, TimeUnit.SECONDS));
        longOne[0].cancel(false);
        Generation after = alone.submit(greedy(PROMPTS.get(4), 3), null).get(60, TimeUnit.SECONDS);
        assertEquals(3, after.generatedTokens());
        assertThrows(CancellationException.class, () -> longOne[0].join());
        assertThrows(CancellationException.class, queued::join);
        Scheduler.Counters spent = alone.counters().since(before);
        assertTrue(spent.generatedTokens() < 200, "the cancelled sequence stopped early: " + spent);
        assertEquals(2, spent.prefillPasses(), "the cancelled queued request was never prefilled: " + spent);
    }

    @Test
    void closeFailsWhatIsStillPending() throws Exception {
        DjlGenerator g = DjlGenerator.open(dir, DjlGenerator.Options.defaults().withMaxBatch(1).withThreads(1));
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Generation> running = g.submit(greedy(PROMPTS.get(0), 10_000), piece -> started.countDown());
        CompletableFuture<Generation> waiting = g.submit(greedy(PROMPTS.get(1), 10), null);
        assertTrue(started.await(60, TimeUnit.SECONDS));
        g.close();
        CompletionException e = assertThrows(CompletionException.class, running::join);
        assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().getMessage());
        assertThrows(CompletionException.class, waiting::join);
        g.close(); // twice is harmless
    }

    /**
     * A producer that keeps two groups in flight and dawdles a random while before each submission
     * decodes the same bits as one that never waits: no step runs before the group it owes has come.
     */
    @Test
    void aStreamDecodesTheSameBitsWhateverTheProducersTiming() throws Exception {
        List<List<GenerationRequest>> groups = new ArrayList<>();
        int id = 0;
        for (int g = 0; g < 5; g++) {
            List<GenerationRequest> group = new ArrayList<>();
            for (int i = 0; i < 4; i++, id++) group.add(sampled(PROMPTS.get(id % PROMPTS.size()), 2 + (id * 7) % 13, id));
            groups.add(group);
        }
        List<Generation> eager = runStream(groups, null);
        List<Generation> slow = runStream(groups, new Random(7));
        long stallsBefore = engine.streamStalls();
        List<Generation> slower = runStream(groups, new Random(8));
        for (int i = 0; i < eager.size(); i++) {
            assertArrayEquals(eager.get(i).tokenIds(), slow.get(i).tokenIds(), "request " + i);
            assertArrayEquals(eager.get(i).tokenLogprobs(), slow.get(i).tokenLogprobs(), "request " + i + ", bit for bit");
            assertArrayEquals(eager.get(i).tokenLogprobs(), slower.get(i).tokenLogprobs(), "request " + i + ", bit for bit");
        }
        assertTrue(engine.streamStalls() > stallsBefore, "the engine waited for the producer at least once");
    }

    /** Submits the groups two deep, waiting on each in order as a stage does; sleeps up to 30 ms before each submission. */
    private static List<Generation> runStream(List<List<GenerationRequest>> groups, Random dawdle) throws Exception {
        List<Generation> out = new ArrayList<>();
        try (GenerationStream stream = engine.stream(2)) {
            List<List<CompletableFuture<Generation>>> inFlight = new ArrayList<>();
            inFlight.add(stream.submit(groups.get(0)));
            for (int g = 0; g < groups.size(); g++) {
                if (dawdle != null) Thread.sleep(dawdle.nextInt(30));
                if (g + 1 < groups.size()) inFlight.add(stream.submit(groups.get(g + 1)));
                else stream.drain();
                for (CompletableFuture<Generation> f : inFlight.get(g)) out.add(f.get(60, TimeUnit.SECONDS));
            }
        }
        return out;
    }

    @Test
    void aProducerMayScoreWhileItsStreamOwesAGroup() throws Exception {
        try (GenerationStream stream = engine.stream(2)) {
            List<CompletableFuture<Generation>> first = stream.submit(List.of(greedy(PROMPTS.get(0), 3)));
            List<CompletableFuture<Generation>> second = stream.submit(List.of(greedy(PROMPTS.get(1), 40), greedy(PROMPTS.get(2), 40)));
            first.get(0).get(60, TimeUnit.SECONDS);
            // The stream now owes its third group; scoring first must not wait for it (the engine
            // finishes the second group's sequences, admitting nothing, then scores).
            int[] ids = engine.tokenizer().encode(PROMPTS.get(3));
            float[] scored = CompletableFuture.supplyAsync(() -> engine.tokenLogprobs(List.of(ids)).get(0)).get(60, TimeUnit.SECONDS);
            assertEquals(ids.length - 1, scored.length);
            stream.drain();
            for (CompletableFuture<Generation> f : second) assertTrue(f.get(60, TimeUnit.SECONDS).generatedTokens() >= 1);
        }
    }

    @Test
    void nextTokenScoresRunTheSharedPrefixOnce() {
        List<int[]> prefixes = new ArrayList<>();
        for (String p : List.of(PROMPTS.get(0), PROMPTS.get(1), PROMPTS.get(2), PROMPTS.get(4))) {
            prefixes.add(engine.tokenizer().encode(p));
        }
        int[] candidates = {300, 301, 400};
        int shared = engine.tokenizer().encode(SHARED).length - 1; // the last token may merge with what follows
        try (DjlGenerator reusing = DjlGenerator.open(dir, DjlGenerator.Options.defaults().withMaxBatch(3).withThreads(1).withPrefixReuse(true));
             DjlGenerator plain = DjlGenerator.open(dir, DjlGenerator.Options.defaults().withMaxBatch(3).withThreads(1).withPrefixReuse(false))) {
            List<float[]> a = reusing.nextTokenLogprobs(prefixes, candidates);
            List<float[]> b = plain.nextTokenLogprobs(prefixes, candidates);
            for (int i = 0; i < prefixes.size(); i++) assertArrayEquals(b.get(i), a.get(i), 1e-4f, "prefix " + i);
            // The shared positions were written once more, into the spare slot; the rows hold what they would.
            var c = reusing.config();
            long perPosition = 2L * c.layers() * c.kvDim() * 4;
            long extra = reusing.kvCacheBytesHeld() - plain.kvCacheBytesHeld();
            assertTrue(extra >= shared * perPosition, "the spare slot holds the shared prefix: " + extra / perPosition + " positions");
        }
    }

    @Test
    void aSharedPrefixIsPrefilledOnceAndChangesNoToken() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) requests.add(greedy(PROMPTS.get(i), 8));
        Scheduler.Counters before = engine.counters();
        List<Generation> reused = engine.generate(requests);
        Scheduler.Counters spent = engine.counters().since(before);
        List<Generation> plain = whole.generate(requests);
        int shared = engine.tokenizer().encode(SHARED).length;
        assertTrue(spent.prefixBuilds() >= 1, spent.toString());
        // Six prompts start with the shared part; the one whose prefix was built reuses it too.
        assertTrue(spent.reusedPromptTokens() >= 6L * (shared - 2), spent + ", shared " + shared);
        double worst = 0;
        for (int i = 0; i < requests.size(); i++) {
            assertArrayEquals(plain.get(i).tokenIds(), reused.get(i).tokenIds(), "request " + i);
            assertEquals(plain.get(i).text(), reused.get(i).text());
            for (int k = 0; k < plain.get(i).tokenLogprobs().length; k++) {
                worst = Math.max(worst, Math.abs(plain.get(i).tokenLogprobs()[k] - reused.get(i).tokenLogprobs()[k]));
            }
        }
        assertTrue(worst < 1e-4, "log-probabilities within float rounding: " + worst);
        assertFalse(whole.counters().reusedPromptTokens() > 0, "prefix reuse off reuses nothing");
    }
}
