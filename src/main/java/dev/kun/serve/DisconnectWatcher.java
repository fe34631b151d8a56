package dev.kun.serve;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a client that hung up while its request waits or generates, so its slot is freed at once
 * rather than when the generation would have ended. An HTTP/1.1 server reads nothing from a connection
 * while it handles the request on it (Jetty registers no read interest then), so a closed socket shows
 * only on the next write, and a request that is not streamed writes nothing until its end. This
 * registers each such connection's socket, read-only, with a selector of its own: once the request body
 * is read, the socket becomes readable only when the client closes or resets it.
 *
 * <p>It never reads: the bytes, or the end of the stream, stay for Jetty. The one case it misreads is a
 * client that pipelines its next request on the same connection before the answer to this one (HTTP/1.1
 * allows it; no current client does it): that request is then taken for a hang-up.
 */
final class DisconnectWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DisconnectWatcher.class);

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Watch> added = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    DisconnectWatcher() throws IOException {
        this.selector = Selector.open();
        this.thread = new Thread(this::run, "kun-serve-disconnects");
        thread.setDaemon(true);
        thread.start();
    }

    /** One watched request: {@code onHangup} runs once, on the watcher's thread, if the client goes. */
    final class Watch implements AutoCloseable {
        private final SelectableChannel channel;
        private final Runnable onHangup;
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile SelectionKey key;

        private Watch(SelectableChannel channel, Runnable onHangup) {
            this.channel = channel;
            this.onHangup = onHangup;
        }

        /** Stops watching (the request is answered); after this {@code onHangup} never runs. */
        @Override
        public void close() {
            if (!done.compareAndSet(false, true)) return;
            SelectionKey k = key;
            if (k != null) {
                k.cancel();
                selector.wakeup(); // deregister now, so Jetty's close of the socket is not deferred
            }
        }

        private void fire() {
            if (!done.compareAndSet(false, true)) return;
            try {
                onHangup.run();
            } catch (RuntimeException e) {
                log.warn("disconnect handler failed", e);
            }
        }
    }

    /**
     * Watches {@code transport} (Jetty's {@code EndPoint.getTransport()}) for a hang-up; a transport that is
     * not a socket channel is not watched, and its hang-up shows only when a write fails.
     */
    Watch watch(Object transport, Runnable onHangup) {
        Watch w = new Watch(transport instanceof SocketChannel c ? c : null, onHangup);
        if (w.channel != null && !closed) {
            added.add(w);
            selector.wakeup();
        }
        return w;
    }

    private void run() {
        try {
            while (!closed) {
                for (Watch w; (w = added.poll()) != null; ) {
                    if (w.done.get()) continue;
                    try {
                        w.key = w.channel.register(selector, SelectionKey.OP_READ, w);
                        if (w.done.get()) w.key.cancel(); // closed while registering
                    } catch (ClosedChannelException e) {
                        w.fire(); // Jetty closed it already: the connection is gone
                    } catch (RuntimeException e) {
                        log.debug("cannot watch {}", w.channel, e);
                    }
                }
                // A timeout, so that keys cancelled by a channel's close (which does not wake this
                // selector) are flushed within a second and the socket's close is not held back longer.
                selector.select(1000);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    k.cancel();
                    ((Watch) k.attachment()).fire();
                }
            }
        } catch (ClosedSelectorException e) {
            // closed: nothing left to watch
        } catch (IOException | RuntimeException e) {
            log.warn("the disconnect watcher stopped; hang-ups now show only when a write fails", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            selector.close();
        } catch (IOException e) {
            log.debug("closing the disconnect selector", e);
        }
    }
}
