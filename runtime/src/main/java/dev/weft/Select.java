package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Waits for the first of several channels to have an element, receives it and runs that channel's handler:
 * Kotlin's {@code select { ch.onReceive { } }}, Go's {@code select}.
 *
 * {@snippet class=dev.weft.snippets.PrimitiveSnippets region=select}
 *
 * <p>The clauses are tried in the order they were added, so when several channels have an element the first
 * clause wins (Kotlin's select is biased the same way): put the urgent channel first. A channel that is closed and
 * drained is skipped; when every channel is, {@link #await()} throws {@link ChannelClosedException} (the fan-in is
 * over). A select is built and awaited by one task, and may be awaited again (a loop over one select).
 *
 * <h2>Cancellation</h2>
 * {@link #await()} is a cancellation point, always; a cancelled select received nothing.
 *
 * <h2>Exceptions</h2>
 * A handler's exception propagates from {@code await} unchanged (the element was received).
 * {@link IllegalArgumentException} for a channel added twice or more than {@value #CLAUSES_MAX} clauses.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before a {@code send} happen-before the handler that receives its element runs.
 *
 * <h2>Thread safety</h2>
 * Not thread-safe: build and await it in one task. The channels may be shared with any senders and receivers.
 *
 * @implNote The select registers one node with every channel; a send to any of them, or its close, signals the
 * node (without dequeuing it: it is in no wait queue) and the select re-checks its channels in clause order, then
 * parks again in Weft's one wait primitive. A plain receiver and a select woken for the same element race for it
 * under the channel's lock; the loser waits again. Bounds: {@value #CLAUSES_MAX} clauses; one node per selecting
 * thread in each channel.
 *
 * @param <R> what the handlers return
 */
public final class Select<R> {
    /** Most clauses one select takes. */
    public static final int CLAUSES_MAX = 256;

    /** The clauses' channels, in order. Owner task only. */
    private final ArrayList<Channel<?>> channels = new ArrayList<>();
    /** The clauses' handlers, parallel to channels. Owner task only. */
    private final ArrayList<Function<Object, ? extends R>> handlers = new ArrayList<>();
    /** The timeout in nanoseconds, or -1 for none. Owner task only. */
    private long timeoutNs = -1;
    /** What runs when the timeout passes first. Owner task only. */
    private Supplier<? extends R> onTimeout;

    private Select() {}

    /** A select with no clauses yet. */
    public static <R> Select<R> create() {
        return new Select<>();
    }

    /** Adds a clause: when {@code channel} has an element, receive it and return {@code handler}'s result. */
    @SuppressWarnings("unchecked")
    public <E> Select<R> onReceive(Channel<E> channel, Function<? super E, ? extends R> handler) {
        if (channel == null || handler == null) {
            throw new NullPointerException("onReceive needs a channel and a handler: onReceive(jobs, job -> run(job))");
        }
        if (channels.contains(channel)) {
            throw new IllegalArgumentException("channel " + channel + " is already a clause of this select; add"
                    + " each channel once (one handler per channel)");
        }
        if (channels.size() == CLAUSES_MAX) {
            throw new IllegalArgumentException("a select takes at most " + CLAUSES_MAX + " clauses; fan the channels"
                    + " in with a task per group, each sending to one channel");
        }
        channels.add(channel);
        handlers.add((Function<Object, ? extends R>) handler);
        return this;
    }

    /**
     * Adds the timeout clause: if no channel has an element within {@code timeout} on the runtime clock, return
     * {@code handler}'s result (Kotlin's {@code onTimeout}). Replaces an earlier timeout clause.
     */
    public Select<R> onTimeout(Duration timeout, Supplier<? extends R> handler) {
        long ns = CancelScopeImpl.checkTimeout(timeout);
        if (handler == null) {
            throw new NullPointerException("handler is null; pass what the select returns on timeout: () -> idle()");
        }
        this.timeoutNs = ns;
        this.onTimeout = handler;
        return this;
    }

    /**
     * Waits until one channel has an element (or the timeout clause fires), receives it, and returns its handler's
     * result. A cancellation point.
     *
     * @throws ChannelClosedException if every channel is closed and drained
     * @throws IllegalStateException  if the select has no receive clause
     */
    public R await() {
        int n = channels.size();
        if (n == 0) {
            throw new IllegalStateException("a select needs at least one onReceive clause before await()");
        }
        TaskImpl<?> me = TaskImpl.current();
        if (me != null) {
            me.checkpoint();
        }
        long deadlineNs = Park.NO_DEADLINE;
        if (timeoutNs >= 0) {
            long nowNs = me != null ? me.nanoTime() : System.nanoTime();
            deadlineNs = nowNs + Math.min(timeoutNs, Long.MAX_VALUE / 4);
        }
        // fast path: an element is there already, no registration needed
        Object[] item = new Object[1];
        int index = pollAll(item);
        if (index == NONE_READY) {
            // a node of its own, not the task's reusable one: channels may still signal it as the select leaves
            WaitQueue.Node node = new WaitQueue.Node();
            int registered = 0;
            try {
                for (; registered < n; registered++) {
                    channels.get(registered).addSelector(node);
                }
                boolean timedOut = false;
                while (true) {
                    node.reset(); // before the re-check: a send after it either is seen or signals again
                    index = pollAll(item);
                    if (index != NONE_READY || timedOut) {
                        break;
                    }
                    timedOut = Park.await(me, node, deadlineNs, Park.CANCELLABLE) == Park.TIMED_OUT;
                    // timed out: one last look at the channels (above), then the timeout clause
                }
            } finally {
                for (int i = 0; i < registered; i++) {
                    channels.get(i).removeSelector(node);
                }
            }
        }
        if (index >= 0) {
            return handlers.get(index).apply(item[0]);
        }
        if (index == ALL_DRAINED) {
            throw new ChannelClosedException("every channel of the select is closed and drained (" + n
                    + " clauses); the fan-in is over");
        }
        assert onTimeout != null : "a select without a timeout clause woke without an element";
        return onTimeout.get();
    }

    /** {@link #pollAll}: no channel has an element, and at least one is open or not yet drained. */
    private static final int NONE_READY = -1;
    /** {@link #pollAll}: every channel is closed and drained. */
    private static final int ALL_DRAINED = -2;

    /**
     * Takes an element from the first clause's channel that has one, in clause order, into {@code item[0]}.
     * Returns that clause's index, or {@link #NONE_READY}, or {@link #ALL_DRAINED}. The awaiting thread.
     */
    private int pollAll(Object[] item) {
        boolean allDrained = true;
        for (int i = 0; i < channels.size(); i++) {
            Object got = channels.get(i).pollForSelect();
            if (got == Channel.DRAINED) {
                continue;
            }
            if (got != null) {
                item[0] = got;
                return i;
            }
            allDrained = false;
        }
        return allDrained ? ALL_DRAINED : NONE_READY;
    }

    @Override
    public String toString() {
        return "Select[" + channels.size() + " clauses" + (timeoutNs >= 0 ? ", timeout " + timeoutNs + " ns" : "")
                + "]";
    }
}
