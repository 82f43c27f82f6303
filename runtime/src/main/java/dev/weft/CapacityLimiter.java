package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import java.util.IdentityHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fair semaphore whose tokens belong to the task that took them: Trio's {@code CapacityLimiter}, the limit on
 * how many tasks do something at once (open connections, run a heavy query).
 *
 * {@snippet class=dev.weft.snippets.PrimitiveSnippets region=limiter}
 *
 * <p>Each task holds at most one token, and only the task that acquired a token can release it, so a token is
 * never released twice or by the wrong task (a {@link java.util.concurrent.Semaphore} allows both). Waiters get
 * tokens in FIFO order: a released token is handed to the oldest waiter.
 *
 * <h2>Cancellation</h2>
 * {@link #acquire()} (and so {@link #run} and {@link #call}) is a cancellation point, always; a cancelled acquire
 * took no token. {@link #tryAcquire()} and {@link #release()} never wait and are not cancellation points.
 *
 * <h2>Exceptions</h2>
 * {@link IllegalStateException} for a task that acquires a second token, or releases one it does not hold.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code release()} happen-before the {@code acquire()} that gets the token.
 *
 * <h2>Thread safety</h2>
 * Safe from any thread; a thread that is not a Weft task is a borrower too.
 *
 * @implNote A lock, a count and a {@link WaitQueue} in Weft's one wait primitive. A release with waiters does not
 * free the token: it counts a hand-off and signals the oldest waiter, which takes it when it wakes. A waiter that
 * leaves cancelled while a hand-off it raced on found no one else to wake turns that hand-off back into a free
 * token, so no token is lost. Bounds: one queued node per waiting thread; the borrower table holds at most the
 * tokens out.
 */
public final class CapacityLimiter {
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    /** Tokens in all. Guarded by lock. */
    private int total;
    /** Tokens out: held, or handed to a woken waiter that has not taken it yet. Guarded by lock. */
    private int borrowed;
    /** Tokens handed to woken waiters not yet awake (part of borrowed). Guarded by lock. */
    private int handoffs;
    /** The threads (tasks) that hold a token. Guarded by lock. */
    private final IdentityHashMap<Thread, Boolean> holders;
    /** Waiters, oldest first; one node per waiting thread. Guarded by lock. */
    private final WaitQueue waiters = new WaitQueue(lock);

    private CapacityLimiter(String name, int total) {
        this.name = name;
        this.total = total;
        this.holders = new IdentityHashMap<>(Math.min(total, 1024));
    }

    /**
     * A limiter with {@code totalTokens} tokens.
     *
     * @throws IllegalArgumentException if {@code totalTokens} is below 1 or above 2^24
     */
    public static CapacityLimiter create(String name, int totalTokens) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must be non-blank; it names the limiter in error messages");
        }
        return new CapacityLimiter(name, checkTotal(name, totalTokens));
    }

    private static int checkTotal(String name, int totalTokens) {
        if (totalTokens < 1 || totalTokens > (1 << 24)) {
            throw new IllegalArgumentException("limiter '" + name + "': totalTokens must be between 1 and 16777216,"
                    + " got " + totalTokens + "; pick how many tasks may hold a token at once");
        }
        return totalTokens;
    }

    /** The limiter's name. */
    public String name() {
        return name;
    }

    /** Waits for a token and takes it for the current task. A cancellation point. */
    public void acquire() {
        TaskImpl<?> me = TaskImpl.current();
        if (me != null) {
            me.checkpoint();
        }
        Thread self = Thread.currentThread();
        WaitQueue.Node node;
        lock.lock();
        try {
            checkNotHolder(self);
            if (borrowed < total && handoffs == 0 && waiters.isEmpty()) {
                take(self);
                return;
            }
            node = me != null ? me.reusableNode() : new WaitQueue.Node();
            waiters.add(node);
        } finally {
            lock.unlock();
        }
        boolean got = false;
        try {
            while (true) {
                Park.await(me, node, Park.NO_DEADLINE, Park.CANCELLABLE); // returns signalled, or throws
                lock.lock();
                try {
                    if (handoffs > 0) {
                        handoffs--;
                        holders.put(self, Boolean.TRUE); // the hand-off's token, already counted in borrowed
                        got = true;
                        return;
                    }
                    if (borrowed < total) {
                        take(self);
                        got = true;
                        return;
                    }
                    node.reset(); // our hand-off was reclaimed by a waiter that left: queue again, at the end
                    waiters.add(node);
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            if (!got) {
                reclaimLostHandoff();
            }
        }
    }

    /** Takes a token without waiting; false if none is free. Not a cancellation point. */
    public boolean tryAcquire() {
        Thread self = Thread.currentThread();
        lock.lock();
        try {
            checkNotHolder(self);
            if (borrowed < total && handoffs == 0 && waiters.isEmpty()) {
                take(self);
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Releases the current task's token; hands it to the oldest waiter, if any. Never waits. */
    public void release() {
        Thread self = Thread.currentThread();
        WaitQueue.Node wake = null;
        lock.lock();
        try {
            if (holders.remove(self) == null) {
                throw new IllegalStateException("limiter '" + name + "': " + borrowerName()
                        + " releases a token it does not hold; release from the task that acquired it, once"
                        + " (use run(...) or try/finally)");
            }
            if (borrowed > total) {
                borrowed--; // the total was lowered: this token retires
            } else {
                wake = waiters.signalOne();
                if (wake != null) {
                    handoffs++; // the token stays borrowed, now for the woken waiter
                } else {
                    borrowed--;
                }
            }
            assert borrowed >= holders.size() && handoffs <= borrowed : "limiter '" + name + "' count broken";
        } finally {
            lock.unlock();
        }
        WaitQueue.wake(wake);
    }

    /** Runs {@code body} holding a token: acquires, runs, releases (also on failure and cancellation). */
    public <X extends Throwable> void run(ThrowingRunnable<X> body) throws X {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: limiter.run(() -> query())");
        }
        acquire();
        try {
            body.run();
        } finally {
            release();
        }
    }

    /** Returns {@code body}'s result, computed holding a token (released also on failure and cancellation). */
    public <T, X extends Throwable> T call(ThrowingCallable<T, X> body) throws X {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: limiter.call(() -> query())");
        }
        acquire();
        try {
            return body.call();
        } finally {
            release();
        }
    }

    /**
     * Changes the number of tokens. Raising it hands the new tokens to waiters at once; lowering it retires
     * tokens as their holders release them. Any thread.
     */
    public void setTotalTokens(int totalTokens) {
        checkTotal(name, totalTokens);
        WaitQueue.Node[] wake;
        lock.lock();
        try {
            total = totalTokens;
            int free = total - borrowed;
            int n = Math.max(0, Math.min(free, waiters.size()));
            wake = new WaitQueue.Node[n];
            for (int i = 0; i < n; i++) {
                wake[i] = waiters.signalOne();
                borrowed++;
                handoffs++;
            }
        } finally {
            lock.unlock();
        }
        WaitQueue.wakeAll(wake);
    }

    /** Tokens in all. */
    public int totalTokens() {
        lock.lock();
        try {
            return total;
        } finally {
            lock.unlock();
        }
    }

    /** Tokens held now (including those handed to a waiter that is waking up). */
    public int borrowedTokens() {
        lock.lock();
        try {
            return borrowed;
        } finally {
            lock.unlock();
        }
    }

    /** Tokens free now. */
    public int availableTokens() {
        lock.lock();
        try {
            return Math.max(0, total - borrowed);
        } finally {
            lock.unlock();
        }
    }

    /** Whether the current task holds a token of this limiter. */
    public boolean heldByCurrentTask() {
        lock.lock();
        try {
            return holders.containsKey(Thread.currentThread());
        } finally {
            lock.unlock();
        }
    }

    /** Tasks waiting for a token now. */
    public int waiting() {
        return waiters.size();
    }

    private void take(Thread self) {
        assert lock.isHeldByCurrentThread() && borrowed < total;
        borrowed++;
        holders.put(self, Boolean.TRUE);
    }

    private void checkNotHolder(Thread self) {
        if (holders.containsKey(self)) {
            throw new IllegalStateException("limiter '" + name + "': " + borrowerName() + " already holds one of its"
                    + " tokens; a task holds at most one: release it first, or spawn a task per token");
        }
    }

    private static String borrowerName() {
        TaskImpl<?> me = TaskImpl.current();
        return me != null ? "task '" + me.name() + "'" : "thread '" + Thread.currentThread().getName() + "'";
    }

    /**
     * A waiter leaving without a token (cancelled): if a hand-off is outstanding and nobody is left in the queue
     * to take it (the signal it raced on found no one to pass to), the token becomes free again.
     */
    private void reclaimLostHandoff() {
        WaitQueue.Node wake = null;
        lock.lock();
        try {
            if (handoffs > 0 && waiters.isEmpty()) {
                handoffs--;
                borrowed--;
            } else if (handoffs > 0) {
                // a waiter is still queued: give it the hand-off (a woken waiter takes whichever it finds)
                wake = waiters.signalOne();
                if (wake == null) {
                    handoffs--;
                    borrowed--;
                }
            }
        } finally {
            lock.unlock();
        }
        WaitQueue.wake(wake);
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "CapacityLimiter[" + name + ", " + borrowed + "/" + total + " borrowed, " + waiters.size()
                    + " waiting]";
        } finally {
            lock.unlock();
        }
    }
}
