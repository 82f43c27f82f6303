package dev.weft.memory;

/**
 * {@link ObjectPool#acquire(java.time.Duration)} found no free object before its deadline.
 *
 * {@snippet :
 * try {
 *     Handler h = handlers.acquire(Duration.ofMillis(50));
 *     // ...
 * } catch (PoolExhaustedException e) {
 *     reply.status(503).send();   // bounded: every handler is busy
 * }
 * }
 */
public final class PoolExhaustedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PoolExhaustedException(String message) {
        super(message);
    }
}
