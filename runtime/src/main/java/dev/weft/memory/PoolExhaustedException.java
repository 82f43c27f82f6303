package dev.weft.memory;

/**
 * {@link ObjectPool#acquire(java.time.Duration)} found no free object before its deadline.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=pool-exhausted}
 */
public final class PoolExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PoolExhaustedException(String message) {
        super(message);
    }
}
