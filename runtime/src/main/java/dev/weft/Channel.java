package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded FIFO channel between tasks; the way to hand work across tasks and loops.
 *
 * {@snippet :
 * Channel<String> jobs = Channel.create(16);
 * TaskScope.run(scope -> {
 *     scope.spawn("producer", () -> {
 *         for (String j : List.of("a", "b", "c")) jobs.send(j);   // waits while full
 *         jobs.close();
 *         return null;
 *     });
 *     scope.spawn("consumer", () -> {
 *         try {
 *             while (true) handle(jobs.receive());              // waits while empty
 *         } catch (ChannelClosedException done) {
 *             return null;
 *         }
 *     });
 *     return null;
 * });
 * }
 *
 * <h2>Cancellation</h2>
 * {@link #send} and {@link #receive} are cancellation points, always (also when they would not wait); a
 * cancelled {@code send} did not enqueue its element, a cancelled {@code receive} took nothing.
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
                return;
            }
            Park.await(me, node, Park.NO_DEADLINE, Park.CANCELLABLE);
        }
    }

    /** Sends without waiting; returns false if full. Not a cancellation point. */
    public boolean trySend(T item) {
        if (item == null) {
            throw new NullPointerException("channels do not carry null");
        }
        WaitQueue.Node wake;
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
        } finally {
            lock.unlock();
        }
        WaitQueue.wake(wake);
        return true;
    }

    /**
     * Receives the oldest element, waiting while the channel is empty. A cancellation point.
     *
     * @throws ChannelClosedException once the channel is closed and drained
     */
    public T receive() {
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
            Park.await(me, node, Park.NO_DEADLINE, Park.CANCELLABLE);
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
        lock.lock();
        try {
            closed = true;
            s = senders.signalAll();
            r = receivers.signalAll();
        } finally {
            lock.unlock();
        }
        WaitQueue.wakeAll(s);
        WaitQueue.wakeAll(r);
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
