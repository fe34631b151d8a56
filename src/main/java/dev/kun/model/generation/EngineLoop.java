package dev.kun.model.generation;

import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one thread that owns the model: any thread submits requests, and this thread runs the
 * {@link Scheduler}'s steps over everything submitted, so requests from every caller (a stage's
 * batches, a server's clients) share the decode slots. Other work on the model (scoring) runs here
 * too, between steps, once no sequence holds a slot.
 *
 * <p>Streams of groups (see {@link dev.kun.generate.GenerationStream}) keep the steps independent of
 * timing: once a stream's group g has completed, no step runs before its group g + window has been
 * submitted or the stream drained, so every step sees the same queue whenever the producer gets
 * there. The wait is the producer's turnaround (writing one batch's records and reading the next),
 * not a generation.
 */
public final class EngineLoop implements AutoCloseable {
    private final Scheduler scheduler;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    /** Submitted, not yet handed to the scheduler (which only the engine thread touches). */
    private final Deque<Request> inbox = new ArrayDeque<>();
    /** Work that needs the whole cache: runs once no sequence is active. */
    private final Deque<Task<?>> tasks = new ArrayDeque<>();
    private final List<Stream> streams = new ArrayList<>();
    /** Requests between submit and completion, to fail on close. */
    private final java.util.Set<Request> pending = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final Thread thread;
    private boolean closed;
    private long stalls;

    /** Starts the engine thread over {@code scheduler}, which from now on only that thread touches. */
    public EngineLoop(Scheduler scheduler, String name) {
        this.scheduler = scheduler;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true); // an unclosed generator must not keep the JVM alive
        thread.start();
    }

    /**
     * Queues one request (its prompt already encoded and checked to fit); the future completes with its
     * generation, or exceptionally when its pass failed or the engine closed. Cancelling the future
     * takes it out of the queue, or frees its slot, at the next step.
     */
    public CompletableFuture<Generation> submit(GenerationRequest request, int[] prompt, Consumer<String> onText) {
        Request r = new Request(request, prompt, onText, null);
        lock.lock();
        try {
            enqueue(r);
        } finally {
            lock.unlock();
        }
        return r.future;
    }

    /** Queues several requests at once, so that they reach the scheduler together, in order. */
    public List<CompletableFuture<Generation>> submitAll(List<GenerationRequest> requests, List<int[]> prompts) {
        List<CompletableFuture<Generation>> futures = new ArrayList<>(requests.size());
        lock.lock();
        try {
            for (int i = 0; i < requests.size(); i++) {
                Request r = new Request(requests.get(i), prompts.get(i), null, null);
                enqueue(r);
                futures.add(r.future);
            }
        } finally {
            lock.unlock();
        }
        return futures;
    }

    private void enqueue(Request r) {
        if (closed) throw new IllegalStateException("the model is closed");
        inbox.add(r);
        pending.add(r);
        wake.signalAll();
    }

    /**
     * Runs {@code work} on the engine thread once no sequence holds a slot (queued prompts wait
     * meanwhile) and returns its result; its exception is rethrown here.
     */
    public <T> T call(Supplier<T> work) {
        if (Thread.currentThread() == thread) return work.get();
        Task<T> task = new Task<>(work);
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("the model is closed");
            tasks.add(task);
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            return task.future.join();
        } catch (CompletionException e) {
            throw rethrow(e.getCause());
        }
    }

    /** Opens a stream of groups kept {@code window} deep (see {@link dev.kun.generate.GenerationStream}). */
    public Stream stream(int window) {
        if (window < 1) throw new IllegalArgumentException("window " + window);
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("the model is closed");
            Stream s = new Stream(window);
            streams.add(s);
            return s;
        } finally {
            lock.unlock();
        }
    }

    /** The scheduler's counters (safe from any thread). */
    public Scheduler.Counters counters() {
        return scheduler.counters();
    }

    /** Times the engine had work but waited for a stream's next group (see the class comment). */
    public long stalls() {
        lock.lock();
        try {
            return stalls;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the engine: every request not yet finished fails ("the model was closed"), the step in
     * progress (if any) ends first.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        try {
            run();
        } catch (Throwable e) {
            // A bug, not a failed pass (the scheduler fails those itself): nothing must wait forever.
            lock.lock();
            try {
                closed = true;
                failEverything(e);
            } finally {
                lock.unlock();
            }
            throw e;
        }
    }

    private void run() {
        while (true) {
            Task<?> task = null;
            boolean admit;
            lock.lock();
            try {
                boolean counted = false;
                while (true) {
                    if (closed) {
                        failEverything(new IllegalStateException("the model was closed"));
                        return;
                    }
                    if (!tasks.isEmpty()) {
                        if (!scheduler.decoding()) {
                            task = tasks.poll();
                            break;
                        }
                        // Active sequences run out, admitting nothing, even while a stream owes a group:
                        // its producer may be the caller waiting for this task. Such a caller arrives
                        // while the engine waits for it, at the step where its group completed, so what
                        // runs meanwhile still depends on the groups alone.
                        break;
                    }
                    boolean work = scheduler.busy() || !inbox.isEmpty();
                    if (work && !gated()) break;
                    if (work && !counted) {
                        stalls++;
                        counted = true;
                    }
                    wake.awaitUninterruptibly();
                }
                admit = tasks.isEmpty();
                if (task == null) {
                    Request r;
                    while ((r = inbox.poll()) != null) scheduler.add(r.request, r.prompt, r);
                }
            } finally {
                lock.unlock();
            }
            if (task != null) {
                task.run();
                // The task may have written any slot, the prefix slot included.
                scheduler.forgetPrefix();
            } else {
                scheduler.step(admit);
            }
        }
    }

    /** True while a stream owes its next group: the engine must not step before it comes. */
    private boolean gated() {
        for (Stream s : streams) {
            if (s.owesGroup()) return true;
        }
        return false;
    }

    /** Fails every request not yet finished and every waiting task with {@code error}. Called under the lock. */
    private void failEverything(Throwable error) {
        for (Request r : new ArrayList<>(pending)) r.future.completeExceptionally(error);
        pending.clear();
        inbox.clear();
        for (Task<?> t : tasks) t.future.completeExceptionally(error);
        tasks.clear();
    }

    /** {@code cause} (a failed request's or task's) as the exception to throw to the caller; an Error is thrown as is. */
    public static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException e) return e;
        if (cause instanceof Error e) throw e;
        return new IllegalStateException(cause);
    }

    /** One request between submit and completion; the scheduler's listener for it. */
    private final class Request implements Scheduler.Listener {
        final GenerationRequest request;
        final int[] prompt;
        final Consumer<String> onText;
        final Stream.Group group;
        final CompletableFuture<Generation> future = new CompletableFuture<>();

        Request(GenerationRequest request, int[] prompt, Consumer<String> onText, Stream.Group group) {
            this.request = request;
            this.prompt = prompt;
            this.onText = onText;
            this.group = group;
        }

        @Override
        public void text(String piece) {
            if (onText == null || future.isDone()) return;
            try {
                onText.accept(piece);
            } catch (RuntimeException e) {
                // The consumer is gone (a client hung up): give the request up rather than the batch.
                future.completeExceptionally(e);
            }
        }

        @Override
        public void finished(Generation generation) {
            done();
            future.complete(generation);
        }

        @Override
        public void failed(Throwable error) {
            done();
            future.completeExceptionally(error);
        }

        @Override
        public boolean cancelled() {
            return future.isDone();
        }

        /** Bookkeeping first, so a producer woken by the future finds its stream's counts up to date. */
        private void done() {
            lock.lock();
            try {
                pending.remove(this);
                if (group != null) group.requestDone();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Work that needs the whole cache, and its result. */
    private static final class Task<T> {
        final Supplier<T> work;
        final CompletableFuture<T> future = new CompletableFuture<>();

        Task(Supplier<T> work) {
            this.work = work;
        }

        void run() {
            try {
                future.complete(work.get());
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        }
    }

    /**
     * One producer's groups. It owes a group when, since its last drain, fewer than {@code completed +
     * window} groups have come, where {@code completed} counts the groups that completed in order.
     */
    public final class Stream {
        private final int window;
        private final Deque<Group> open = new ArrayDeque<>();
        private int submitted;
        private int completed;
        private boolean draining = true; // nothing is owed before the first group
        private boolean closed;

        private Stream(int window) {
            this.window = window;
        }

        /** Queues {@code requests} as the stream's next group (see {@link #submit(GenerationRequest, int[], Consumer)}). */
        public List<CompletableFuture<Generation>> submit(List<GenerationRequest> requests, List<int[]> prompts) {
            List<CompletableFuture<Generation>> futures = new ArrayList<>(requests.size());
            lock.lock();
            try {
                if (closed) throw new IllegalStateException("the stream is closed");
                if (draining && open.isEmpty()) {
                    // Everything before the drain has completed: the groups start afresh.
                    submitted = 0;
                    completed = 0;
                    draining = false;
                }
                Group group = new Group(requests.size());
                open.add(group);
                submitted++;
                for (int i = 0; i < requests.size(); i++) {
                    Request r = new Request(requests.get(i), prompts.get(i), null, group);
                    enqueue(r);
                    futures.add(r.future);
                }
                advance();
                wake.signalAll();
            } finally {
                lock.unlock();
            }
            return futures;
        }

        /** No group follows until every group submitted so far has completed. */
        public void drain() {
            lock.lock();
            try {
                draining = true;
                wake.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Cancels what has not completed; the stream owes nothing from now on. */
        public void close() {
            List<Request> giveUp = new ArrayList<>();
            lock.lock();
            try {
                if (closed) return;
                closed = true;
                streams.remove(this);
                for (Request r : pending) {
                    if (r.group != null && r.group.stream() == this) giveUp.add(r);
                }
                wake.signalAll();
            } finally {
                lock.unlock();
            }
            // Outside the lock: a cancelled request leaves the scheduler at its next step.
            for (Request r : giveUp) r.future.cancel(false);
        }

        /** Called under the lock. */
        boolean owesGroup() {
            return !closed && !draining && submitted < completed + window;
        }

        /** Counts the groups that completed in order. Called under the lock. */
        private void advance() {
            while (!open.isEmpty() && open.peek().outstanding == 0) {
                open.poll();
                completed++;
            }
        }

        /** The requests of one group still to complete. */
        final class Group {
            int outstanding;

            Group(int outstanding) {
                this.outstanding = outstanding;
            }

            Stream stream() {
                return Stream.this;
            }

            /** Called under the lock. */
            void requestDone() {
                // No signal needed: the engine thread, which completes requests, checks the gate next.
                outstanding--;
                advance();
            }
        }
    }
}
