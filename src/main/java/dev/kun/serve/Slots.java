package dev.kun.serve;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Admission: at most {@code slots} requests run on the engine at once (its decode slots, so the engine
 * never queues on its own) and at most {@code queue} more wait for one, first come first served. A
 * request that finds both full is refused at once (503); nothing waits without bound.
 */
final class Slots {
    private final int slots;
    private final int queue;
    private final Deque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int running;

    Slots(int slots, int queue) {
        if (slots < 1) throw new IllegalArgumentException("slots must be >= 1: " + slots);
        if (queue < 0) throw new IllegalArgumentException("queue must be >= 0: " + queue);
        this.slots = slots;
        this.queue = queue;
    }

    /** A place in line: {@link #await} blocks until it holds a slot; {@link #close} gives it up. */
    final class Ticket implements AutoCloseable {
        private final CompletableFuture<Void> granted;
        private boolean closed;

        private Ticket(CompletableFuture<Void> granted) {
            this.granted = granted;
        }

        /** Blocks until this ticket holds a slot; throws CancellationException if it was {@linkplain #leave left}. */
        void await() throws InterruptedException {
            try {
                granted.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }

        /** Gives up waiting (the client left), from any thread; a no-op once the slot was granted. */
        void leave() {
            synchronized (Slots.this) {
                if (waiting.remove(granted)) granted.cancel(false);
            }
        }

        /** Frees the slot (or the place in the queue) for the next request in line. */
        @Override
        public void close() {
            synchronized (Slots.this) {
                if (closed) return;
                closed = true;
                if (waiting.remove(granted)) {
                    granted.cancel(false);
                    return;
                }
                if (granted.isCancelled()) return;
                CompletableFuture<Void> next = waiting.poll();
                if (next != null) {
                    next.complete(null); // the slot passes straight to the next in line
                } else {
                    running--;
                }
            }
        }
    }

    /** A ticket, holding a slot already or waiting in the queue; throws a 503 when both are full. */
    synchronized Ticket enter() {
        CompletableFuture<Void> granted = new CompletableFuture<>();
        if (running < slots) {
            running++;
            granted.complete(null);
        } else if (waiting.size() < queue) {
            waiting.add(granted);
        } else {
            throw ApiError.overloaded(running, waiting.size());
        }
        return new Ticket(granted);
    }

    synchronized int running() {
        return running;
    }

    synchronized int waiting() {
        return waiting.size();
    }

    int slots() {
        return slots;
    }

    int queue() {
        return queue;
    }
}
