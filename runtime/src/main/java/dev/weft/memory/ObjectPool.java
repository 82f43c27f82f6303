package dev.weft.memory;

import dev.weft.Cancellation;
import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import dev.weft.internal.cancel.WaitingTask;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A bounded pool of objects, all created up front (typically from a committed {@link MemoryPlan}), so its
 * memory is known at startup and taking an object allocates nothing.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=object-pool}
 *
 * <h2>Cancellation</h2>
 * {@link #acquire} is a cancellation point: it raises {@link dev.weft.Cancelled} on entry and while waiting
 * if the task is cancelled. {@link #tryAcquire} and {@link #release} never are.
 *
 * <h2>Exceptions</h2>
 * {@link PoolExhaustedException} when {@link #acquire}'s deadline passes; {@link IllegalArgumentException}
 * when releasing an object that is not the pool's, {@link IllegalStateException} when releasing one twice.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@link #release} happen-before the {@code acquire} that returns the same object.
 *
 * <h2>Thread safety</h2>
 * Thread-safe and lock-free: a Treiber stack over preallocated indices with a tagged head (no ABA).
 *
 * @implNote Taking a free object allocates nothing. A waiter parks in Weft's one wait primitive, queued FIFO
 * in the pool's wait queue, with its deadline on the task's clock (a {@code VirtualClock} in tests); it never
 * polls. A release signals one waiter, only when someone waits (a volatile count read, no lock otherwise).
 */
public final class ObjectPool<T> {
    /**
     * Formerly the number of waiters with a slot of their own (others polled).
     *
     * @deprecated waiters are no longer limited: every waiter parks in the pool's wait queue, none polls
     */
    @Deprecated
    public static final int WAITERS_MAX = 64;

    private final String name;
    private final Object[] items;
    private final IdentityHashMap<Object, Integer> indexOf;
    /** next[i] = 1 + index of the free object below i, or 0. Written before the head CAS publishes it. */
    private final int[] next;
    /** (tag << 32) | (1 + index of the top free object), 0 index = empty. */
    private final AtomicLong head = new AtomicLong();
    /** 1 while the object at an index is out. */
    private final AtomicIntegerArray out;
    /** Threads waiting for a free object. */
    private final WaitQueue waiters = new WaitQueue();
    /** Threads inside the waiting part of acquire; read by release before it takes the queue's lock. */
    private final AtomicInteger waiting = new AtomicInteger();

    private ObjectPool(String name, int capacity, Supplier<? extends T> factory) {
        if (capacity < 0) {
            throw new IllegalArgumentException("pool '" + name + "': capacity must be non-negative, got " + capacity);
        }
        this.name = name;
        this.items = new Object[capacity];
        this.indexOf = new IdentityHashMap<>(capacity);
        this.next = new int[capacity];
        this.out = new AtomicIntegerArray(capacity);
        for (int i = 0; i < capacity; i++) {
            T item = factory.get();
            if (item == null || indexOf.put(item, i) != null) {
                throw new IllegalArgumentException("pool '" + name + "': the factory must return a new, non-null"
                        + " object each time; call " + (i + 1) + " returned " + (item == null ? "null" : "a repeat"));
            }
            items[i] = item;
            next[i] = i; // i.e. 1 + (i - 1): a stack 0 <- 1 <- ... <- capacity-1
        }
        head.set(capacity);
    }

    /** A pool of {@code capacity} objects made now by {@code factory}. */
    public static <T> ObjectPool<T> preallocate(String name, int capacity, Supplier<? extends T> factory) {
        return new ObjectPool<>(name, capacity, factory);
    }

    /** A pool with one object per count of {@code component} in a committed plan. */
    public static <T> ObjectPool<T> fromPlan(MemoryPlan.Commitment commitment, String component,
            Supplier<? extends T> factory) {
        long count = commitment.component(component).count();
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("component '" + component + "' has " + count
                    + " objects: too many for one pool; split it");
        }
        return new ObjectPool<>(component, (int) count, factory);
    }

    /** Takes a free object, or returns null if none is free. Never blocks; allocation-free. */
    @SuppressWarnings("unchecked")
    public T tryAcquire() {
        while (true) {
            long h = head.get();
            int top = (int) h - 1;
            if (top < 0) {
                return null;
            }
            long tag = (h >>> 32) + 1;
            if (head.compareAndSet(h, (tag << 32) | (next[top] & 0xFFFFFFFFL))) {
                boolean was = out.getAndSet(top, 1) == 0;
                assert was : "pool '" + name + "' handed out object " + top + " twice";
                return (T) items[top];
            }
        }
    }

    /**
     * Takes a free object, waiting up to {@code timeout}. A cancellation point.
     *
     * @throws PoolExhaustedException if none became free in time
     */
    public T acquire(Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new IllegalArgumentException("pool '" + name + "': timeout must be a non-negative Duration, got "
                    + timeout + "; use Duration.ZERO to fail at once when none is free");
        }
        long timeoutNs;
        try {
            timeoutNs = timeout.toNanos();
        } catch (ArithmeticException e) {
            timeoutNs = Long.MAX_VALUE / 2;
        }
        WaitingTask task = WaitingTask.ofCurrentThread();
        Cancellation.checkpoint();
        T item = tryAcquire();
        if (item != null) {
            return item;
        }
        long nowNs = task != null ? task.nanoTime() : System.nanoTime();
        long deadlineNs = nowNs + timeoutNs;
        WaitQueue.Node node = new WaitQueue.Node();
        waiting.incrementAndGet();
        try {
            while (true) {
                waiters.add(node);
                item = tryAcquire(); // after the add: a release that saw no waiter left this object for us
                if (item != null) {
                    Park.abandon(node);
                    return item;
                }
                if (Park.await(task, node, deadlineNs, Park.CANCELLABLE) == Park.TIMED_OUT) {
                    item = tryAcquire();
                    if (item != null) {
                        return item;
                    }
                    throw new PoolExhaustedException("object pool '" + name + "' had no free object within "
                            + timeout + " (capacity " + items.length + ", all in use); release objects sooner,"
                            + " raise the component's count in the memory plan, or wait longer");
                }
                node.reset();
            }
        } finally {
            waiting.decrementAndGet();
        }
    }

    /**
     * Returns {@code item} to the pool and wakes a waiter. Never blocks.
     *
     * @throws IllegalArgumentException if {@code item} is not from this pool
     * @throws IllegalStateException    if it is already in the pool
     */
    public void release(T item) {
        Integer index = indexOf.get(item);
        if (index == null) {
            throw new IllegalArgumentException("object " + item + " does not belong to pool '" + name
                    + "'; release objects to the pool they were acquired from");
        }
        int i = index;
        if (!out.compareAndSet(i, 1, 0)) {
            throw new IllegalStateException("object " + item + " was released to pool '" + name
                    + "' twice; release each acquired object once (use try/finally)");
        }
        while (true) {
            long h = head.get();
            next[i] = (int) h;
            long tag = (h >>> 32) + 1;
            if (head.compareAndSet(h, (tag << 32) | (i + 1))) {
                break;
            }
        }
        if (waiting.get() != 0) { // Dekker with acquire: its count increment, then its tryAcquire after the add
            WaitQueue.wake(waiters.signalOne());
        }
    }

    /** The pool's name. */
    public String name() {
        return name;
    }

    /** The number of objects (fixed). */
    public int capacity() {
        return items.length;
    }

    /** The number of objects out now (a snapshot). */
    public int inUse() {
        int n = 0;
        for (int i = 0; i < items.length; i++) {
            n += out.get(i);
        }
        return n;
    }
}
