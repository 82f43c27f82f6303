package dev.weft;

import dev.weft.internal.cancel.Park;

/**
 * Runs a call that would hold a loop's carrier thread (file I/O, native calls, libraries that block in
 * {@code synchronized} code) on a separate bounded pool of platform threads, while the task waits,
 * cancellably.
 *
 * {@snippet class=dev.weft.snippets.RuntimeSnippets region=blocking}
 *
 * <h2>Cancellation</h2>
 * A cancellation point. If the task is cancelled while the call runs, the pool thread is interrupted
 * and the task waits for the call to return (so nothing outlives its scope), then raises
 * {@link Cancelled}. A call that ignores interrupts delays the cancellation until it returns.
 *
 * <h2>Exceptions</h2>
 * The call's exception is rethrown as it is.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code call} happen-before the call runs; actions in the call happen-before
 * {@code call} returns.
 */
public final class Blocking {
    private Blocking() {}

    /** Runs {@code body} on the blocking pool and returns its result. */
    public static <T, X extends Throwable> T call(ThrowingCallable<T, X> body) throws X {
        if (body == null) {
            throw new NullPointerException("body is null");
        }
        TaskImpl<?> me = TaskImpl.currentOrThrow("Blocking.call");
        BlockingPool pool = me.runtime().blocking();
        pool.acquire(me);
        BlockingPool.Job<T> job = new BlockingPool.Job<>(body);
        try {
            pool.submit(job);
            try {
                Park.await(me, job.waiter, Park.NO_DEADLINE, Park.CANCELLABLE);
            } catch (Cancelled c) {
                job.cancel(); // interrupts the call; the task waits for it to return, not as a cancellation point
                Park.await(me, job.waiter, Park.NO_DEADLINE, Park.SHIELDED);
                throw c;
            }
        } finally {
            pool.release();
        }
        assert job.done : "blocking job returned before it was done";
        if (job.failure != null) {
            throw Blocking.<RuntimeException>sneaky(job.failure);
        }
        return job.result;
    }

    /** Runs {@code body} on the blocking pool. */
    public static <X extends Throwable> void run(ThrowingRunnable<X> body) throws X {
        call(() -> {
            body.run();
            return null;
        });
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }
}
