package dev.weft.internal.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loop's run queue: many producers (tasks on any loop, the JDK's timer and I/O poller threads), one
 * consumer (the loop's carrier).
 *
 * <p>A bounded ring of {@code capacity} slots (Vyukov's sequence-numbered array queue) takes every
 * submission without allocating. It can never legitimately fill up: each virtual thread has at most one
 * continuation queued at a time and the loop admits at most {@code capacity} tasks. Virtual threads that
 * user code creates inside a task inherit the task's scheduler without being admitted; if they push the
 * ring past capacity, the overflow goes to a linked queue and is counted ({@link #overflowCount()}),
 * because a submission a virtual-thread scheduler rejects is a thread stuck forever.
 */
final class RunQueue {
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Runnable[].class);
    private static final VarHandle TAIL;
    private static final VarHandle HEAD;

    static {
        try {
            var lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(RunQueue.class, "tail", long.class);
            HEAD = lookup.findVarHandle(RunQueue.class, "head", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int mask;
    private final long[] sequences;
    private final Runnable[] slots;
    private final ConcurrentLinkedQueue<Runnable> overflow = new ConcurrentLinkedQueue<>();
    private final AtomicLong overflowCount = new AtomicLong();

    /** Next slot to produce into. CAS by producers (any thread). */
    @SuppressWarnings("unused")
    private volatile long tail;
    /** Next slot to consume. Written by the consumer only. */
    @SuppressWarnings("unused")
    private volatile long head;

    RunQueue(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("run queue capacity must be a power of two, got " + capacity);
        }
        mask = capacity - 1;
        sequences = new long[capacity];
        slots = new Runnable[capacity];
        for (int i = 0; i < capacity; i++) {
            sequences[i] = i;
        }
    }

    int capacity() {
        return mask + 1;
    }

    /** Adds {@code r}; never fails. Any thread. */
    void offer(Runnable r) {
        long pos = (long) TAIL.getOpaque(this);
        for (int attempt = 0; attempt < 1_000_000; attempt++) {
            int index = (int) (pos & mask);
            long seq = (long) SEQ.getAcquire(sequences, index);
            long diff = seq - pos;
            if (diff == 0) {
                if (TAIL.compareAndSet(this, pos, pos + 1)) {
                    SLOT.setRelease(slots, index, r);
                    SEQ.setRelease(sequences, index, pos + 1);
                    return;
                }
                pos = (long) TAIL.getOpaque(this);
            } else if (diff < 0) {
                break; // full
            } else {
                pos = (long) TAIL.getOpaque(this);
            }
        }
        overflowCount.incrementAndGet();
        overflow.offer(r);
    }

    /** Removes the oldest entry, or returns null. Consumer thread only. */
    Runnable poll() {
        long pos = (long) HEAD.getOpaque(this);
        int index = (int) (pos & mask);
        long seq = (long) SEQ.getAcquire(sequences, index);
        if (seq == pos + 1) {
            Runnable r = (Runnable) SLOT.getAcquire(slots, index);
            SLOT.setRelease(slots, index, null);
            HEAD.setOpaque(this, pos + 1);
            SEQ.setRelease(sequences, index, pos + mask + 1);
            return r;
        }
        return overflow.poll();
    }

    /** Whether an entry may be available. Any thread; exact for the consumer. */
    boolean isEmpty() {
        long pos = (long) HEAD.getOpaque(this);
        long seq = (long) SEQ.getAcquire(sequences, (int) (pos & mask));
        return seq != pos + 1 && overflow.isEmpty();
    }

    /** Entries queued now, approximately (tail minus head, read one after the other). Any thread. */
    int size() {
        long n = tail - head;
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, n));
    }

    long overflowCount() {
        return overflowCount.get();
    }
}
