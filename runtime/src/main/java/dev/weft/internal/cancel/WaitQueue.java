package dev.weft.internal.cancel;

import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A FIFO queue of parked waiters: the wait queue of every Weft wait (Trio's {@code ParkingLot}).
 *
 * <p>A waiter enqueues a {@link Node} while it holds whatever lock guards the state it waits on, releases that
 * lock, and parks with {@link Park#await}. A waker dequeues with {@link #signalOne()} or {@link #signalAll()}
 * (the node is marked signalled while still under the queue's lock) and unparks after releasing its own lock.
 * Signals are Mesa-style: a signalled waiter re-checks its condition. A waiter that leaves without a signal
 * (cancelled, deadline) is removed by {@link Park#await}; if a signal raced its departure, the signal is passed
 * on to the next waiter, so none is lost.
 *
 * <h2>Thread safety</h2>
 * Every method is safe from any thread. The queue is guarded by its own monitor, a leaf lock (nothing is called
 * while it is held, so it may be taken while the caller holds its own lock), or by the caller's lock
 * ({@link #WaitQueue(ReentrantLock)}: a channel's), which every method takes again, reentrantly, so a waker that
 * already holds it pays no second lock.
 *
 * <p>Bound: one node per waiting thread; a thread waits in at most one queue at a time.
 */
public final class WaitQueue {
    /** One waiting thread. */
    public static final class Node {
        /** The waiter. Immutable. */
        final Thread thread;
        /**
         * Set by the waker (under the queue's lock, or by {@link Park#signal}) with a release store before it
         * unparks; read by the waiter with an acquire load after each park. Not volatile: a full fence per signal
         * and per reset cost the channel's ping-pong about a tenth.
         */
        boolean signalled;
        /** The queue the node is in, or null. Guarded by that queue's monitor. */
        WaitQueue queue;
        /** The queue the node was last added to. Written and read by the waiter only. */
        WaitQueue home;
        /** Links. Guarded by the queue's monitor. */
        Node prev;
        Node next;

        /** A node for the current thread. */
        public Node() {
            this.thread = Thread.currentThread();
        }

        /** Whether a waker signalled this node (an acquire load). */
        public boolean isSignalled() {
            return (boolean) SIGNALLED.getAcquire(this);
        }

        /** Marks the node signalled (a release store: what the waker did before is visible to the waiter). */
        void markSignalled() {
            SIGNALLED.setRelease(this, true);
        }

        /** Makes the node reusable for another wait by the same thread (not while queued). */
        public void reset() {
            assert queue == null : "reset of a queued node";
            assert thread == Thread.currentThread() : "a node belongs to the thread that created it";
            signalled = false; // the node is the waiter's alone until it is added (under a lock)
        }
    }

    /** The caller's lock that guards this queue, or null: the queue's own monitor guards it. */
    private final ReentrantLock guard;

    /** A queue guarded by its own monitor. */
    public WaitQueue() {
        this.guard = null;
    }

    /** A queue guarded by {@code guard}, the lock that already guards the state its waiters wait on. */
    public WaitQueue(ReentrantLock guard) {
        this.guard = java.util.Objects.requireNonNull(guard, "guard");
    }

    /**
     * Oldest waiter, or null. Written under the guard. With the queue's own monitor, written and read
     * volatile-ly (the lock-free "nobody waits" check pairs with a waiter's re-check after its add: a Dekker pair,
     * which needs sequential consistency); with a caller's lock, plain (every access is under that lock).
     */
    private Node head;

    private Node head() {
        return guard == null ? (Node) HEAD.getVolatile(this) : head;
    }

    private void head(Node n) {
        if (guard == null) {
            HEAD.setVolatile(this, n);
        } else {
            head = n;
        }
    }
    /** Newest waiter, or null. Guarded by this. */
    private Node tail;
    /** Waiters queued. Guarded by this. */
    private int size;

    /** Enqueues {@code n} (the current thread's node, not signalled, in no queue). */
    public void add(Node n) {
        if (guard == null) {
            synchronized (this) {
                addLocked(n);
            }
            return;
        }
        guard.lock();
        try {
            addLocked(n);
        } finally {
            guard.unlock();
        }
    }

    private void addLocked(Node n) {
        assert n.queue == null && !n.signalled : "node already queued or signalled";
        assert n.thread == Thread.currentThread() : "a thread enqueues only its own node";
        n.queue = this;
        n.home = this;
        n.prev = tail;
        n.next = null;
        if (tail == null) {
            head(n);
        } else {
            tail.next = n;
        }
        tail = n;
        size++;
    }

    /** Removes {@code n} if it is still queued; false if a waker took it already (it is then signalled). */
    boolean remove(Node n) {
        if (guard == null) {
            synchronized (this) {
                return removeLocked(n);
            }
        }
        guard.lock();
        try {
            return removeLocked(n);
        } finally {
            guard.unlock();
        }
    }

    private boolean removeLocked(Node n) {
        if (n.queue != this) {
            return false;
        }
        unlink(n);
        return true;
    }

    /**
     * Dequeues the oldest waiter and marks it signalled; the caller unparks it with {@link #wake}. Returns null at
     * once, without the lock, when nobody waits (a waiter adds under the caller's own lock, or re-checks its
     * condition after the add, so a concurrent add is never missed).
     */
    public Node signalOne() {
        if (head() == null) {
            return null;
        }
        return signalOneLocked();
    }

    private Node signalOneLocked() {
        if (guard == null) {
            synchronized (this) {
                return signalOneHeld();
            }
        }
        guard.lock();
        try {
            return signalOneHeld();
        } finally {
            guard.unlock();
        }
    }

    private Node signalOneHeld() {
        Node n = head;
        if (n != null) {
            unlink(n);
            n.markSignalled();
        }
        return n;
    }

    private static final java.lang.invoke.VarHandle SIGNALLED;
    private static final java.lang.invoke.VarHandle HEAD;

    static {
        try {
            var l = java.lang.invoke.MethodHandles.lookup();
            SIGNALLED = l.findVarHandle(Node.class, "signalled", boolean.class);
            HEAD = l.findVarHandle(WaitQueue.class, "head", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What {@link #signalAll()} returns when nobody waits. */
    private static final Node[] NONE = new Node[0];

    /**
     * Dequeues every waiter and marks each signalled; returns them (a copy, so a woken waiter may reuse its node at
     * once) for {@link #wakeAll} once the caller released its own lock.
     */
    public Node[] signalAll() {
        if (head() == null) {
            return NONE;
        }
        return signalAllLocked();
    }

    private Node[] signalAllLocked() {
        if (guard == null) {
            synchronized (this) {
                return signalAllHeld();
            }
        }
        guard.lock();
        try {
            return signalAllHeld();
        } finally {
            guard.unlock();
        }
    }

    private Node[] signalAllHeld() {
        Node[] all = new Node[size];
        int i = 0;
        for (Node n = head; n != null; ) {
            Node next = n.next;
            n.markSignalled();
            n.queue = null;
            n.prev = null;
            n.next = null;
            all[i++] = n;
            n = next;
        }
        assert i == all.length : "wait queue size " + size + " but " + i + " nodes";
        head(null);
        tail = null;
        size = 0;
        return all;
    }

    /** Unparks a node returned by {@link #signalOne()} (null: nothing). */
    public static void wake(Node n) {
        if (n != null) {
            LockSupport.unpark(n.thread);
        }
    }

    /** Unparks the nodes returned by {@link #signalAll()}. */
    public static void wakeAll(Node[] nodes) {
        for (Node n : nodes) {
            LockSupport.unpark(n.thread);
        }
    }

    /** Whether no one waits. */
    public boolean isEmpty() {
        if (guard == null) {
            return head() == null;
        }
        guard.lock();
        try {
            return head == null;
        } finally {
            guard.unlock();
        }
    }

    /** Waiters queued now. */
    public int size() {
        if (guard == null) {
            synchronized (this) {
                return size;
            }
        }
        guard.lock();
        try {
            return size;
        } finally {
            guard.unlock();
        }
    }

    private boolean held() {
        return guard == null ? Thread.holdsLock(this) : guard.isHeldByCurrentThread();
    }

    private void unlink(Node n) {
        assert held();
        if (n.prev == null) {
            head(n.next);
        } else {
            n.prev.next = n.next;
        }
        if (n.next == null) {
            tail = n.prev;
        } else {
            n.next.prev = n.prev;
        }
        n.prev = null;
        n.next = null;
        n.queue = null;
        size--;
        assert size >= 0 : "wait queue size underflow";
    }
}
