package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import java.time.Duration;

/**
 * A flag that is set once and waited for: Trio's {@code Event}, Kotlin's {@code CompletableDeferred<Unit>}, a
 * {@code CountDownLatch(1)} that is a cancellation point.
 *
 * {@snippet class=dev.weft.snippets.PrimitiveSnippets region=event}
 *
 * <p>States: <em>unset</em> (the start) and <em>set</em>; {@link #set()} moves unset to set and wakes every
 * waiter; nothing moves it back (create a new event per occurrence, as Trio advises).
 *
 * <h2>Cancellation</h2>
 * {@link #await()} and {@link #await(Duration)} are cancellation points, always (also when the event is already
 * set); a cancelled wait raises {@link Cancelled} and the event is unchanged. {@link #set()} and {@link #isSet()}
 * never wait and are not cancellation points.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code set()} happen-before an {@code await} returns because the event is set.
 *
 * <h2>Thread safety</h2>
 * Safe from any thread, tasks or not; a thread that is not a Weft task waits uninterruptibly by Weft's rules
 * (its interrupt status is kept for it).
 *
 * @implNote A volatile flag and a {@link WaitQueue} in Weft's one wait primitive. A waiter adds itself, then
 * re-reads the flag; {@code set} writes the flag, then reads the queue's head: a Dekker pair of volatile accesses,
 * so a waiter that raced {@code set} either sees the flag or is woken. Bound: one queued node per waiting thread.
 */
public final class Event {
    /** Whether the event is set. Written once (false to true) by any thread; read by any thread. */
    private volatile boolean set;
    /** Threads waiting for the event; guarded by its own monitor, one node per waiting thread. */
    private final WaitQueue waiters = new WaitQueue();

    private Event() {}

    /** A new event, not set. */
    public static Event create() {
        return new Event();
    }

    /** Sets the event and wakes every waiter. Idempotent; never waits; any thread. */
    public void set() {
        if (set) {
            return;
        }
        set = true;
        WaitQueue.wakeAll(waiters.signalAll());
    }

    /** Whether the event is set. Never waits; not a cancellation point. */
    public boolean isSet() {
        return set;
    }

    /** Waits until the event is set. A cancellation point. */
    public void await() {
        awaitUntil(Park.NO_DEADLINE, false);
    }

    /**
     * Waits until the event is set or {@code timeout} passes on the runtime clock. A cancellation point.
     *
     * @return true if the event is set, false if the timeout passed first
     */
    public boolean await(Duration timeout) {
        long timeoutNs = CancelScopeImpl.checkTimeout(timeout);
        return awaitUntil(timeoutNs, true);
    }

    private boolean awaitUntil(long timeoutNs, boolean timed) {
        TaskImpl<?> me = TaskImpl.current();
        if (me != null) {
            me.checkpoint();
        }
        if (set) {
            return true;
        }
        long deadlineNs = Park.NO_DEADLINE;
        if (timed) {
            long nowNs = me != null ? me.nanoTime() : System.nanoTime();
            deadlineNs = nowNs + timeoutNs;
        }
        WaitQueue.Node node = me != null ? me.reusableNode() : new WaitQueue.Node();
        while (true) {
            waiters.add(node);
            if (set) { // after the add: a set() that saw no waiter left the flag for us to read
                Park.abandon(node);
                return true;
            }
            if (Park.await(me, node, deadlineNs, Park.CANCELLABLE) == Park.TIMED_OUT) {
                return set;
            }
            if (set) {
                return true;
            }
            node.reset(); // woken for another reason than set(): cannot happen today, but re-wait rather than lie
        }
    }

    @Override
    public String toString() {
        return "Event[" + (set ? "set" : "unset, " + waiters.size() + " waiting") + "]";
    }
}
