package dev.weft;

import java.time.Duration;
import java.util.ArrayList;

/**
 * A contextlib-style exit stack: resources and callbacks registered while the stack is open are closed
 * in reverse order when it closes, also when the block ends by failure or cancellation.
 *
 * {@snippet class=dev.weft.snippets.RuntimeSnippets region=exit-stack}
 *
 * <h2>Cancellation</h2>
 * A plain stack closes its entries in the current cancel state: in a cancelled scope, an entry whose
 * close blocks raises {@link Cancelled} (level-triggered) and the remaining entries still close. A
 * {@link #shielded(Duration)} stack closes its entries in a shield under their own deadline, so cleanup
 * that must block can finish.
 *
 * <h2>Exceptions</h2>
 * Every entry is closed even if some fail; the first failure is thrown with later ones suppressed.
 * Registering more than {@code entriesMax} entries throws {@link IllegalStateException}.
 *
 * <h2>Thread safety</h2>
 * Not thread-safe: one task owns a stack.
 */
@SuppressWarnings("try") // close() throws what its entries throw (Exception), InterruptedException included
public final class ExitStack implements AutoCloseable {
    /** Default bound on registered entries. */
    public static final int ENTRIES_MAX_DEFAULT = 4096;

    /** A cleanup action that may throw. */
    @FunctionalInterface
    public interface Callback {
        /** Runs the cleanup. */
        void run() throws Exception;
    }

    private final ArrayList<AutoCloseable> entries = new ArrayList<>();
    private final Duration shieldTimeout;
    private final int entriesMax;
    /** Written by the owner only. */
    private boolean closed;

    private ExitStack(Duration shieldTimeout, int entriesMax) {
        this.shieldTimeout = shieldTimeout;
        this.entriesMax = entriesMax;
    }

    /** A stack that closes its entries in the current cancel state. */
    public static ExitStack create() {
        return new ExitStack(null, ENTRIES_MAX_DEFAULT);
    }

    /** A stack that closes its entries shielded from cancellation, under a deadline of {@code timeout}. */
    public static ExitStack shielded(Duration timeout) {
        CancelScopeImpl.checkTimeout(timeout);
        return new ExitStack(timeout, ENTRIES_MAX_DEFAULT);
    }

    /** Registers {@code resource} and returns it. */
    public <R extends AutoCloseable> R push(R resource) {
        if (resource == null) {
            throw new NullPointerException("resource is null");
        }
        add(resource);
        return resource;
    }

    /** Registers a cleanup callback. */
    public void callback(Callback callback) {
        if (callback == null) {
            throw new NullPointerException("callback is null");
        }
        add(callback::run);
    }

    private void add(AutoCloseable c) {
        if (closed) {
            throw new IllegalStateException("exit stack already closed; register resources before it closes");
        }
        if (entries.size() >= entriesMax) {
            throw new IllegalStateException("exit stack holds " + entriesMax + " entries (its limit); close"
                    + " resources as you go or use a nested ExitStack per batch");
        }
        entries.add(c);
    }

    /** Entries registered and not yet closed. */
    public int size() {
        return entries.size();
    }

    /** Closes every entry in reverse order of registration. Idempotent. */
    @Override
    public void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        if (shieldTimeout != null && TaskImpl.current() != null) {
            Exception[] failure = new Exception[1];
            CancelScope.shielded(shieldTimeout, () -> failure[0] = closeAll());
            if (failure[0] != null) {
                throw failure[0];
            }
            return;
        }
        Exception f = closeAll();
        if (f != null) {
            throw f;
        }
    }

    private Exception closeAll() {
        Throwable first = null;
        for (int i = entries.size() - 1; i >= 0; i--) {
            try {
                entries.get(i).close();
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                } else {
                    first.addSuppressed(t);
                }
            }
        }
        entries.clear();
        if (first instanceof Error e) {
            throw e;
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        return (Exception) first;
    }
}
