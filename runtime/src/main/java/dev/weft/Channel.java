package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded FIFO channel between tasks; the way to hand work across tasks and loops.
 *
 * {@snippet class=dev.weft.snippets.PrimitiveSnippets region=channel}
 *
 * <h2>Cancellation</h2>
 * {@link #send} and {@link #receive} are cancellation points, always (also when they would not wait); a
 * cancelled {@code send} did not enqueue its element, a cancelled {@code receive} took nothing. Their timed forms
 * {@link #send(Object, Duration)} and {@link #receive(Duration)} give up when the timeout passes on the runtime
 * clock (a {@link VirtualClock} in tests), and {@link Select} waits on several channels at once.
 * {@link #trySend} and {@link #tryReceive} never wait and are not cancellation points.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code send} happen-before the {@code receive} that returns the element.
 *
 * <h2>Thread safety</h2>
 * Safe for any number of senders and receivers on any loops.
 *
 * @implNote A lock and a ring buffer; waiters park in Weft's one wait primitive and are signalled one at a
 * time (a waiter that leaves cancelled passes a signal it raced on). Nothing spins, so ping-pong between two
 * tasks on one loop hands the carrier straight from one to the other.
 *
 * @param <T> element type
 */
public final class Channel<T> {
    private final ReentrantLock lock = new ReentrantLock();
    /** Ring buffer. Guarded by lock. */
    private final Object[] items;
    /** Guarded by lock. */
    private int head;
    /** Guarded by lock. */
    private int count;
    /** Guarded by lock. */
    private boolean closed;
    /** Parked senders / receivers; bounded by the number of threads. Added to under lock. */
    private final WaitQueue senders = new WaitQueue(lock);
    private final WaitQueue receivers = new WaitQueue(lock);
    /**
     * Nodes of the {@link Select}s waiting on this channel, woken (not dequeued) by every send and by close; one
     * per selecting thread. Guarded by lock; null until the first select.
     */
    private WaitQueue.Node[] selectors;
    /** Entries used in {@link #selectors}. Guarded by lock. */
    private int selectorCount;
    /** What {@link #pollForSelect()} returns for a channel that is closed and drained. */
    static final Object DRAINED = new Object();

    private Channel(int capacity) {
        items = new Object[capacity];
    }

    /**
     * A channel holding up to {@code capacity} elements.
     *
     * @throws IllegalArgumentException if capacity is below 1 or above 2^24
     */
    public static <T> Channel<T> create(int capacity) {
        if (capacity < 1 || capacity > (1 << 24)) {
            throw new IllegalArgumentException("channel capacity must be between 1 and 16777216, got " + capacity
                    + "; a channel is a bounded queue: pick the most elements you accept in flight");
        }
        return new Channel<>(capacity);
    }

    /** The capacity. */
    public int capacity() {
        return items.length;
    }

    /** Elements buffered now. */
    public int size() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    /** Sends {@code item}, waiting while the channel is full. A cancellation point. */
    public void send(T item) {
        boolean sent = sendUntil(item, Park.NO_DEADLINE);
        assert sent : "an untimed send returned without sending";
    }

    /**
     * Sends {@code item}, waiting while the channel is full, at most {@code timeout} on the runtime clock
     * ({@code BlockingQueue.offer(e, timeout)}). A cancellation point.
     *
     * @return true if sent, false if the timeout passed first (the element was not enqueued)
     */
    public boolean send(T item, Duration timeout) {
        long timeoutNs = CancelScopeImpl.checkTimeout(timeout);
        TaskImpl<?> me = TaskImpl.current();
        long nowNs = me != null ? me.nanoTime() : System.nanoTime();
        return sendUntil(item, saturatedAdd(nowNs, timeoutNs));
    }

    private boolean sendUntil(T item, long deadlineNs) {
        if (item == null) {
            throw new NullPointerException("channels do not carry null");
        }
        TaskImpl<?> me = TaskImpl.current();
        if (me != null) {
            me.checkpoint();
        }
        WaitQueue.Node node = null;
        while (true) {
            WaitQueue.Node wakeReceiver;
            WaitQueue.Node wakeSender = null;
            WaitQueue.Node[] wakeSelectors = null;
            lock.lock();
            try {
                if (closed) {
                    throw new ChannelClosedException("send on a closed channel");
                }
                if (count == items.length) {
                    node = nodeFor(me, node);
                    senders.add(node);
                    wakeReceiver = null;
                } else {
                    items[(head + count) % items.length] = item;
                    count++;
                    wakeReceiver = receivers.signalOne();
                    wakeSelectors = selectorsToWake();
                    if (count < items.length) {
                        wakeSender = senders.signalOne(); // room left: the next sender need not wait
                    }
                    node = null;
                }
            } finally {
                lock.unlock();
            }
            if (node == null) {
                // Wake outside the lock: the woken task must not find the lock held.
                WaitQueue.wake(wakeReceiver);
                WaitQueue.wake(wakeSender);
                signalSelectors(wakeSelectors);
                return true;
            }
            if (Park.await(me, node, deadlineNs, Park.CANCELLABLE) == Park.TIMED_OUT) {
                return false; // Park left the queue, passing on a signal that raced the timeout
            }
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Park.NO_DEADLINE - 1 : r;
    }

    /** Sends without waiting; returns false if full. Not a cancellation point. */
    public boolean trySend(T item) {
        if (item == null) {
            throw new NullPointerException("channels do not carry null");
        }
        WaitQueue.Node wake;
        WaitQueue.Node[] wakeSelectors;
        lock.lock();
        try {
            if (closed) {
                throw new ChannelClosedException("send on a closed channel");
            }
            if (count == items.length) {
                return false;
            }
            items[(head + count) % items.length] = item;
            count++;
            wake = receivers.signalOne();
            wakeSelectors = selectorsToWake();
        } finally {
            lock.unlock();
        }
        WaitQueue.wake(wake);
        signalSelectors(wakeSelectors);
        return true;
    }

    /**
     * Receives the oldest element, waiting while the channel is empty. A cancellation point.
     *
     * @throws ChannelClosedException once the channel is closed and drained
     */
    public T receive() {
        T item = receiveUntil(Park.NO_DEADLINE);
        assert item != null : "an untimed receive returned nothing";
        return item;
    }

    /**
     * Receives the oldest element, waiting while the channel is empty, at most {@code timeout} on the runtime
     * clock. A cancellation point.
     *
     * @return the element, or empty if the timeout passed first (nothing was taken)
     * @throws ChannelClosedException once the channel is closed and drained
     */
    public Optional<T> receive(Duration timeout) {
        long timeoutNs = CancelScopeImpl.checkTimeout(timeout);
        TaskImpl<?> me = TaskImpl.current();
        long nowNs = me != null ? me.nanoTime() : System.nanoTime();
        return Optional.ofNullable(receiveUntil(saturatedAdd(nowNs, timeoutNs)));
    }

    /** The oldest element, waiting until {@code deadlineNs}; null if it passed. */
    private T receiveUntil(long deadlineNs) {
        TaskImpl<?> me = TaskImpl.current();
        if (me != null) {
            me.checkpoint();
        }
        WaitQueue.Node node = null;
        while (true) {
            WaitQueue.Node wakeSender = null;
            WaitQueue.Node wakeReceiver = null;
            T item = null;
            lock.lock();
            try {
                if (count > 0) {
                    item = take();
                    wakeSender = senders.signalOne();
                    if (count > 0) {
                        wakeReceiver = receivers.signalOne(); // more buffered: the next receiver need not wait
                    }
                } else if (closed) {
                    throw new ChannelClosedException("channel closed and drained");
                } else {
                    node = nodeFor(me, node);
                    receivers.add(node);
                }
            } finally {
                lock.unlock();
            }
            if (item != null) {
                // Wake outside the lock: the woken task must not find the lock held.
                WaitQueue.wake(wakeSender);
                WaitQueue.wake(wakeReceiver);
                return item;
            }
            if (Park.await(me, node, deadlineNs, Park.CANCELLABLE) == Park.TIMED_OUT) {
                return null; // Park left the queue, passing on a signal that raced the timeout
            }
        }
    }

    // ---------------------------------------------------------------- Select's side

    /** Registers a selecting thread's node: every send and the close signal it until it is removed. */
    void addSelector(WaitQueue.Node node) {
        lock.lock();
        try {
            if (selectors == null) {
                selectors = new WaitQueue.Node[4];
            } else if (selectorCount == selectors.length) {
                selectors = Arrays.copyOf(selectors, selectorCount * 2); // bound: one per selecting thread
            }
            selectors[selectorCount++] = node;
        } finally {
            lock.unlock();
        }
    }

    /** Removes a node {@link #addSelector} registered. */
    void removeSelector(WaitQueue.Node node) {
        lock.lock();
        try {
            for (int i = 0; i < selectorCount; i++) {
                if (selectors[i] == node) {
                    selectors[i] = selectors[--selectorCount];
                    selectors[selectorCount] = null;
                    return;
                }
            }
            assert false : "a select removed a node it did not register";
        } finally {
            lock.unlock();
        }
    }

    /**
     * For {@link Select}: the oldest element without waiting, null if empty, {@link #DRAINED} if closed and
     * drained. Not a cancellation point.
     */
    Object pollForSelect() {
        WaitQueue.Node wake;
        T item;
        lock.lock();
        try {
            if (count == 0) {
                return closed ? DRAINED : null;
            }
            item = take();
            wake = senders.signalOne();
        } finally {
            lock.unlock();
        }
        WaitQueue.wake(wake);
        return item;
    }

    /** The selectors to signal after the lock is released, or null if none. Under lock. */
    private WaitQueue.Node[] selectorsToWake() {
        assert lock.isHeldByCurrentThread();
        return selectorCount == 0 ? null : Arrays.copyOf(selectors, selectorCount);
    }

    private static void signalSelectors(WaitQueue.Node[] nodes) {
        if (nodes != null) {
            for (WaitQueue.Node n : nodes) {
                Park.signal(n); // a node in no queue: marked, unparked; the select re-checks its channels
            }
        }
    }

    /** A node for the current thread's next wait: the task's own (no allocation), or new, or the last one reset. */
    private static WaitQueue.Node nodeFor(TaskImpl<?> me, WaitQueue.Node last) {
        if (me != null) {
            return me.reusableNode();
        }
        if (last == null) {
            return new WaitQueue.Node();
        }
        last.reset();
        return last;
    }

    /** Receives without waiting; null if empty. Not a cancellation point. */
    public T tryReceive() {
        WaitQueue.Node wake;
        T item;
        lock.lock();
        try {
            if (count == 0) {
                return null;
            }
            item = take();
            wake = senders.signalOne();
        } finally {
            lock.unlock();
        }
        WaitQueue.wake(wake);
        return item;
    }

    @SuppressWarnings("unchecked")
    private T take() {
        assert lock.isHeldByCurrentThread() && count > 0 && count <= items.length : "take from an empty channel";
        T item = (T) items[head];
        items[head] = null;
        head = (head + 1) % items.length;
        count--;
        return item;
    }

    /** Closes the channel: sends fail; receives drain what is buffered, then fail. Idempotent. */
    public void close() {
        WaitQueue.Node[] s;
        WaitQueue.Node[] r;
        WaitQueue.Node[] sel;
        lock.lock();
        try {
            closed = true;
            s = senders.signalAll();
            r = receivers.signalAll();
            sel = selectorsToWake();
        } finally {
            lock.unlock();
        }
        WaitQueue.wakeAll(s);
        WaitQueue.wakeAll(r);
        signalSelectors(sel);
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }
}
