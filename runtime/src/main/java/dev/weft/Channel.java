package dev.weft;

import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;
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
 * @implNote A lock and a ring buffer; waiters park and are unparked one at a time. Nothing spins, so
 * ping-pong between two tasks on one loop hands the carrier straight from one to the other.
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
    /** Parked senders / receivers. Guarded by lock; bounded by the number of tasks. */
    private final ArrayDeque<Thread> senders = new ArrayDeque<>();
    private final ArrayDeque<Thread> receivers = new ArrayDeque<>();

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
        Thread self = Thread.currentThread();
        boolean foreign = false;
        boolean queued = false;
        try {
            while (true) {
                Thread wakeReceiver = null;
                Thread wakeSender = null;
                boolean sent = false;
                lock.lock();
                try {
                    if (closed) {
                        throw new ChannelClosedException("send on a closed channel");
                    }
                    if (count < items.length) {
                        items[(head + count) % items.length] = item;
                        count++;
                        sent = true;
                        if (queued) {
                            senders.remove(self);
                            queued = false;
                        }
                        wakeReceiver = receivers.poll();
                        if (count < items.length) {
                            wakeSender = senders.peek();
                        }
                    } else if (!queued) {
                        senders.add(self);
                        queued = true;
                    }
                } finally {
                    lock.unlock();
                }
                // Wake outside the lock: the woken task must not find the lock held.
                if (wakeReceiver != null) {
                    LockSupport.unpark(wakeReceiver);
                }
                if (wakeSender != null) {
                    LockSupport.unpark(wakeSender);
                }
                if (sent) {
                    return;
                }
                foreign |= TaskImpl.parkStep(me, this, CancelScopeImpl.NO_DEADLINE);
            }
        } finally {
            if (queued) {
                leaveQueue(senders, self, true);
            }
            if (foreign) {
                self.interrupt();
            }
        }
    }

    /** Sends without waiting; returns false if full. Not a cancellation point. */
    public boolean trySend(T item) {
        if (item == null) {
            throw new NullPointerException("channels do not carry null");
        }
        Thread wake;
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
            wake = receivers.poll();
        } finally {
            lock.unlock();
        }
        if (wake != null) {
            LockSupport.unpark(wake);
        }
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
        Thread self = Thread.currentThread();
        boolean foreign = false;
        boolean queued = false;
        try {
            while (true) {
                Thread wakeSender = null;
                Thread wakeReceiver = null;
                T item = null;
                boolean got = false;
                lock.lock();
                try {
                    if (count > 0) {
                        item = take();
                        got = true;
                        if (queued) {
                            receivers.remove(self);
                            queued = false;
                        }
                        wakeSender = senders.poll();
                        if (count > 0) {
                            wakeReceiver = receivers.peek();
                        }
                    } else if (closed) {
                        throw new ChannelClosedException("channel closed and drained");
                    } else if (!queued) {
                        receivers.add(self);
                        queued = true;
                    }
                } finally {
                    lock.unlock();
                }
                // Wake outside the lock: the woken task must not find the lock held.
                if (wakeSender != null) {
                    LockSupport.unpark(wakeSender);
                }
                if (wakeReceiver != null) {
                    LockSupport.unpark(wakeReceiver);
                }
                if (got) {
                    return item;
                }
                foreign |= TaskImpl.parkStep(me, this, CancelScopeImpl.NO_DEADLINE);
            }
        } finally {
            if (queued) {
                leaveQueue(receivers, self, false);
            }
            if (foreign) {
                self.interrupt();
            }
        }
    }

    /** Receives without waiting; null if empty. Not a cancellation point. */
    public T tryReceive() {
        Thread wake;
        T item;
        lock.lock();
        try {
            if (count == 0) {
                return null;
            }
            item = take();
            wake = senders.poll();
        } finally {
            lock.unlock();
        }
        if (wake != null) {
            LockSupport.unpark(wake);
        }
        return item;
    }

    /**
     * A waiter leaving early (cancelled, or failed): removes it from its queue and passes its wake-up on to
     * the next waiter of the same kind if that one can now proceed, so no wake-up is lost.
     */
    private void leaveQueue(ArrayDeque<Thread> queue, Thread self, boolean sender) {
        Thread next = null;
        lock.lock();
        try {
            queue.remove(self);
            if (sender ? count < items.length : count > 0) {
                next = queue.peek();
            }
        } finally {
            lock.unlock();
        }
        if (next != null) {
            LockSupport.unpark(next);
        }
    }

    @SuppressWarnings("unchecked")
    private T take() {
        T item = (T) items[head];
        items[head] = null;
        head = (head + 1) % items.length;
        count--;
        return item;
    }

    /** Closes the channel: sends fail; receives drain what is buffered, then fail. Idempotent. */
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (Thread t : senders) {
                LockSupport.unpark(t);
            }
            for (Thread t : receivers) {
                LockSupport.unpark(t);
            }
        } finally {
            lock.unlock();
        }
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
