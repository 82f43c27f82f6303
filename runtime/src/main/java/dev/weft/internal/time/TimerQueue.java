package dev.weft.internal.time;

import dev.weft.internal.jdk.OwnThreads;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Deadline timers for cancel scopes and Weft sleeps: a bounded, indexed binary min-heap of timer nodes
 * that their callers own and reuse.
 *
 * {@snippet class=dev.weft.internal.time.TimerQueueSnippets region=armAndDisarm}
 *
 * <p>With the system ticker, one daemon thread waits for the earliest deadline and runs due actions, at
 * most {@link #FIRE_MAX} per wake-up before it re-checks the clock. With a virtual ticker there is no
 * thread: {@link #fireDue(int)} runs due actions when the test advances its clock, so deadline tests
 * are deterministic. Actions must be short and must not block (they cancel scopes and unpark tasks).
 *
 * <h2>Implementation overview</h2>
 * The pending timers form a binary min-heap in an array, ordered by {@code (deadlineNs, seq)}; each
 * {@link Timer} stores its own index in the array. So the earliest deadline is {@code heap[0]} (O(1),
 * what the timer thread sleeps until), and arm, re-arm, disarm and fire are one sift each, O(log n),
 * with no search. {@code seq} comes from a counter taken at every arm, which keeps FIFO order among
 * equal deadlines (a re-armed timer queues behind the timers already at its new deadline). Nodes are
 * the caller's: arming allocates nothing; only the array grows, by doubling, up to a bound.
 *
 * <p>Things that don't work:
 * <ul>
 *   <li>{@code PriorityQueue<Timer>} (the previous version): {@code remove(Object)} is a linear scan, so
 *       every cancel is O(n), and every cancel scope with a deadline cancels its timer when it exits.
 *       It also allocates a node per deadline.
 *   <li>Lazy cancel (mark the node dead, drop it when it reaches the top): O(1) cancel, but a sleep of
 *       an hour cancelled after a millisecond holds its slot for the hour, the heap's size no longer
 *       says what is pending, and a node cannot be re-armed while its dead copy is still in the heap.
 *   <li>A hashed timer wheel (Agrona's {@code DeadlineTimerWheel}, Netty's {@code HashedWheelTimer}):
 *       O(1) arm and cancel, but deadlines are rounded to the tick and the thread wakes every tick
 *       even when the next deadline is an hour away (or scans for it). Weft's deadlines range from
 *       microseconds to hours and are few per task; at that count log n is a handful of compares.
 * </ul>
 * Solution: the indexed heap above; the bound per call is Agrona's {@code expiryLimit}.
 *
 * <p>Order and due test: the heap orders deadlines with {@link Long#compare} (a total order, which a
 * heap needs); a timer is due when {@code deadlineNs - now <= 0}, as deadlines are compared elsewhere in
 * Weft.
 *
 * <h2>States of a timer</h2>
 * <table>
 *   <caption>Timer states</caption>
 *   <tr><th>State</th><th>{@code index}</th><th>Transitions</th></tr>
 *   <tr><td>IDLE</td><td>{@link #INDEX_IDLE}</td>
 *       <td>new, disarmed or fired; {@code arm} → ARMED ({@code arm} returns false)</td></tr>
 *   <tr><td>ARMED</td><td>its slot, {@code >= 0}</td>
 *       <td>{@code arm} → ARMED at the new deadline (returns true); {@code disarm} → IDLE (returns
 *       true, the action will not run for this arm); firing → IDLE, under the lock, and the action runs
 *       after the lock is released ({@code disarm} then returns false)</td></tr>
 * </table>
 * A timer belongs to the first queue that arms it. Each arm fires at most once. Because an action runs
 * after its timer left the heap, a timer can be re-armed while the action of its previous arm is still
 * running or about to run; callers that reuse a node must tolerate that late run (a cancel scope's
 * deadline action re-checks the scope's state).
 *
 * <h2>Exceptions</h2>
 * An action that throws is counted ({@link #actionFailures()}) and handed to the error handler given
 * at construction; the next action still runs. If the error handler throws, that goes to the firing
 * thread's uncaught-exception handler, and firing continues. {@link #arm} throws
 * {@link IllegalStateException} when the heap holds {@code capacityMax} timers (the bound; see
 * {@link #CAPACITY_MAX_DEFAULT}) and {@link IllegalArgumentException} for a timer of another queue.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a thread prior to {@link #arm} happen-before the timer's action runs for that arm. A
 * {@link #disarm} that returns true means that arm's action never runs; one that returns false does not
 * wait for a running action to finish.
 *
 * <h2>Thread safety</h2>
 * Every method is safe from any thread. The heap, the timers' slots and the sequence are guarded by one
 * lock, and the methods that touch them assert that it is held. Actions run without the lock, on the
 * timer thread (system ticker) or on the thread that calls {@code fireDue} (virtual ticker).
 */
public final class TimerQueue {
    /** Actions run per wake-up of the timer thread before it re-checks the clock and the lock's waiters. */
    static final int FIRE_MAX = 1024;

    /**
     * Default bound on pending timers: 16,777,216, the largest {@code tasksPerLoopMax}, one timer each;
     * the array is then 64 MiB with compressed references. Weft needs one timer per cancel scope with a
     * deadline and one per sleeping task, so reaching it means timers that are armed and never disarmed.
     */
    public static final int CAPACITY_MAX_DEFAULT = 1 << 24;

    /** Initial array length; the array doubles from here up to {@code capacityMax}. */
    static final int CAPACITY_INITIAL = 16;

    /** {@link Timer#index} of a timer that is not in the heap (new, disarmed or fired). */
    static final int INDEX_IDLE = -1;

    /**
     * A reusable timer node: an action, and while armed a deadline and a slot in one queue. Create one
     * per owner (a cancel scope, a sleeping task) and arm it as often as needed.
     */
    public static final class Timer {
        final Runnable action;
        /** The queue this timer is armed in, bound by its first arm. Written under that queue's lock. */
        TimerQueue queue;
        /** Slot in the heap while armed, else {@link #INDEX_IDLE}. Guarded by the queue's lock. */
        int index = INDEX_IDLE;
        /** Deadline of the latest arm. Written under the queue's lock; see {@link #deadlineNs()}. */
        long deadlineNs;
        /** Arm order, for FIFO among equal deadlines. Guarded by the queue's lock. */
        long seq;

        /** A timer that runs {@code action} each time it fires. */
        public Timer(Runnable action) {
            this.action = Objects.requireNonNull(action, "timer action is null; pass the Runnable to run at the deadline");
        }

        /**
         * The deadline of the latest arm. Exact on the thread that armed it; another thread that re-arms
         * it concurrently makes this read racy.
         */
        public long deadlineNs() {
            return deadlineNs;
        }
    }

    private final Ticker ticker;
    private final boolean virtual;
    private final String name;
    private final int capacityMax;
    private final Consumer<Throwable> errorHandler;
    /** Actions that threw. Incremented by the firing threads, read by any thread. */
    private final AtomicLong actionFailures = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when the earliest deadline moves earlier or the queue closes. */
    private final Condition changed = lock.newCondition();
    /** The heap: {@code heap[0 .. size)} are the armed timers, the rest null. Guarded by {@link #lock}. */
    private Timer[] heap;
    /** Armed timers. Guarded by {@link #lock}. */
    private int size;
    /** Next arm's sequence number. Guarded by {@link #lock}. */
    private long seq;
    /** Set by {@link #close()}. Guarded by {@link #lock}. */
    private boolean closed;
    private final Thread thread;

    /** A queue with the default bound whose action failures print to {@code System.err}. */
    public TimerQueue(Ticker ticker, boolean virtual, String name) {
        this(ticker, virtual, name, CAPACITY_MAX_DEFAULT, TimerQueue::printFailure);
    }

    /**
     * A queue of at most {@code capacityMax} pending timers; actions that throw go to
     * {@code errorHandler} (and are counted). With {@code virtual} false it starts its timer thread,
     * named {@code name}.
     */
    public TimerQueue(Ticker ticker, boolean virtual, String name, int capacityMax,
            Consumer<Throwable> errorHandler) {
        if (capacityMax < 1 || capacityMax > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("timer queue capacityMax must be between 1 and "
                    + (Integer.MAX_VALUE - 8) + ", got " + capacityMax + "; the default is " + CAPACITY_MAX_DEFAULT);
        }
        this.ticker = Objects.requireNonNull(ticker, "ticker is null; pass Ticker.SYSTEM or a virtual ticker");
        this.virtual = virtual;
        this.name = Objects.requireNonNull(name, "timer queue name is null");
        this.capacityMax = capacityMax;
        this.errorHandler = Objects.requireNonNull(errorHandler,
                "error handler is null; pass one that records action failures");
        this.heap = new Timer[Math.min(CAPACITY_INITIAL, capacityMax)];
        if (virtual) {
            thread = null;
        } else {
            thread = OwnThreads.daemon(name).start(this::runThread);
        }
    }

    public Ticker ticker() {
        return ticker;
    }

    public long nanoTime() {
        return ticker.nanoTime();
    }

    public boolean isVirtual() {
        return virtual;
    }

    // ---------------------------------------------------------------- the allocation-free API

    /**
     * Arms {@code t} to fire once the ticker reaches {@code deadlineNs}; if it is armed already, moves it
     * there instead (it then fires once, at the new deadline). Returns whether it was armed before.
     * O(log n); allocates nothing unless the array must grow. Any thread.
     *
     * @throws IllegalStateException if {@code capacityMax} timers are pending and {@code t} is not one
     *     of them; {@code t} is then left unarmed
     * @throws IllegalArgumentException if {@code t} belongs to another queue
     */
    public boolean arm(Timer t, long deadlineNs) {
        lock.lock();
        try {
            bind(t);
            boolean moved = t.index != INDEX_IDLE;
            if (!moved && size == heap.length) {
                grow(); // before any change: a refused arm leaves t as it was
            }
            t.deadlineNs = deadlineNs;
            t.seq = seq++;
            if (moved) {
                int i = t.index;
                siftUp(i, t);
                if (t.index == i) {
                    siftDown(i, t);
                }
            } else {
                size++;
                siftUp(size - 1, t);
            }
            assert checkSlot(t.index);
            if (t.index == 0 && thread != null) {
                changed.signal();
            }
            return moved;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Disarms {@code t}. Returns true if it was armed: this arm's action will never run. Returns false if
     * it was idle (never armed, disarmed, or fired; a fired action may still be running). O(log n).
     * Any thread.
     */
    public boolean disarm(Timer t) {
        lock.lock();
        try {
            if (t.queue != this && t.queue != null) {
                throw foreign(t);
            }
            if (t.index == INDEX_IDLE) {
                return false;
            }
            removeAt(t.index);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code t} is armed in this queue (not yet fired or disarmed). Any thread. */
    public boolean isArmed(Timer t) {
        lock.lock();
        try {
            return t.queue == this && t.index != INDEX_IDLE;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs the actions of timers due at the ticker's current time, earliest first (FIFO among equal
     * deadlines), at most {@code expiryLimit} of them; returns how many ran. The rest stay due for the
     * next call. Runs nothing once closed. For virtual tickers; any thread.
     */
    public int fireDue(int expiryLimit) {
        if (expiryLimit < 0) {
            throw new IllegalArgumentException("expiryLimit must not be negative, got " + expiryLimit
                    + "; pass the most actions this call may run");
        }
        long now = ticker.nanoTime();
        int fired = 0;
        while (fired < expiryLimit) {
            Timer due;
            lock.lock();
            try {
                if (closed || size == 0 || heap[0].deadlineNs - now > 0) {
                    break;
                }
                due = heap[0];
                removeAt(0);
            } finally {
                lock.unlock();
            }
            runAction(due);
            fired++;
        }
        return fired;
    }

    /** Actions that threw, since construction. Any thread. */
    public long actionFailures() {
        return actionFailures.get();
    }

    // ---------------------------------------------------------------- the allocating API (one node per call)

    /** Runs {@code action} once the ticker reaches {@code deadlineNs}: a new timer, armed. Any thread. */
    public Timer schedule(long deadlineNs, Runnable action) {
        Timer t = new Timer(action);
        arm(t, deadlineNs);
        return t;
    }

    /** Cancels {@code t} if it has not fired; returns whether it was still pending. Same as {@link #disarm}. */
    public boolean cancel(Timer t) {
        return disarm(t);
    }

    /**
     * Runs the due actions, at most as many as were pending when it began (so it ends even when actions
     * arm timers that are already due); returns how many ran. For virtual tickers.
     */
    public int fireDue() {
        int pending = size();
        return pending == 0 ? 0 : fireDue(pending);
    }

    /** Number of pending (armed) timers. */
    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the timer thread; pending timers never fire (nor does {@code fireDue} run anything). */
    public void close() {
        lock.lock();
        try {
            assert checkInvariants();
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- machinery

    private void runThread() {
        Timer[] batch = new Timer[FIRE_MAX]; // confined to this thread
        while (true) {
            int n = 0;
            lock.lock();
            try {
                while (n == 0) {
                    if (closed) {
                        return;
                    }
                    long now = ticker.nanoTime();
                    if (size == 0) {
                        changed.awaitUninterruptibly();
                    } else if (heap[0].deadlineNs - now > 0) {
                        try {
                            changed.awaitNanos(heap[0].deadlineNs - now);
                        } catch (InterruptedException e) {
                            // not interrupted by Weft; keep serving deadlines
                        }
                    } else {
                        while (n < FIRE_MAX && size > 0 && heap[0].deadlineNs - now <= 0) {
                            batch[n++] = heap[0];
                            removeAt(0);
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
            for (int i = 0; i < n; i++) {
                Timer t = batch[i];
                batch[i] = null;
                runAction(t);
            }
        }
    }

    private void runAction(Timer t) {
        try {
            t.action.run();
        } catch (Throwable e) {
            actionFailures.incrementAndGet();
            try {
                errorHandler.accept(e);
            } catch (Throwable handlerFailure) {
                handlerFailure.addSuppressed(e);
                Thread me = Thread.currentThread();
                me.getUncaughtExceptionHandler().uncaughtException(me, handlerFailure);
            }
        }
    }

    /** The default error handler: today's report on {@code System.err}. */
    private static void printFailure(Throwable e) {
        System.err.println("weft: timer action failed: " + e);
        e.printStackTrace();
    }

    /** Binds {@code t} to this queue on its first arm; rejects a timer of another queue. */
    private void bind(Timer t) {
        assert lock.isHeldByCurrentThread();
        if (t.queue == null) {
            assert t.index == INDEX_IDLE;
            t.queue = this;
        } else if (t.queue != this) {
            throw foreign(t);
        }
    }

    private IllegalArgumentException foreign(Timer t) {
        return new IllegalArgumentException("timer belongs to timer queue '" + t.queue.name
                + "', not '" + name + "'; a timer is bound to the first queue that arms it: create one per queue");
    }

    private void grow() {
        assert lock.isHeldByCurrentThread() && size == heap.length;
        if (heap.length >= capacityMax) {
            throw new IllegalStateException("timer queue '" + name + "' is full: " + capacityMax
                    + " timers are pending (capacityMax). A timer stays pending until it fires or is disarmed,"
                    + " so this many usually means timers armed and never disarmed (a deadline kept after its"
                    + " scope exited, a sleep's wake-up after the sleep); disarm each timer when its owner is"
                    + " done, or construct the TimerQueue with a larger capacityMax (default "
                    + CAPACITY_MAX_DEFAULT + ")");
        }
        int length = (int) Math.min((long) heap.length * 2, capacityMax);
        heap = Arrays.copyOf(heap, length);
    }

    /** Removes the timer in slot {@code i} and makes it idle. */
    private void removeAt(int i) {
        assert lock.isHeldByCurrentThread() && i >= 0 && i < size;
        Timer[] h = heap;
        Timer t = h[i];
        assert t.index == i && t.queue == this;
        int last = --size;
        Timer moved = h[last];
        h[last] = null;
        t.index = INDEX_IDLE;
        if (i != last) {
            siftDown(i, moved);
            if (moved.index == i) {
                siftUp(i, moved);
            }
            assert checkSlot(moved.index);
        }
    }

    /** Places {@code t} at slot {@code i} or above, moving later parents down. */
    private void siftUp(int i, Timer t) {
        assert lock.isHeldByCurrentThread();
        Timer[] h = heap;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            Timer parent = h[p];
            if (!before(t, parent)) {
                break;
            }
            h[i] = parent;
            parent.index = i;
            i = p;
        }
        h[i] = t;
        t.index = i;
    }

    /** Places {@code t} at slot {@code i} or below, moving earlier children up. */
    private void siftDown(int i, Timer t) {
        assert lock.isHeldByCurrentThread();
        Timer[] h = heap;
        int n = size;
        int half = n >>> 1; // slots below half have a child
        while (i < half) {
            int c = 2 * i + 1;
            Timer child = h[c];
            int r = c + 1;
            if (r < n && before(h[r], child)) {
                c = r;
                child = h[r];
            }
            if (!before(child, t)) {
                break;
            }
            h[i] = child;
            child.index = i;
            i = c;
        }
        h[i] = t;
        t.index = i;
    }

    /** Heap order: earlier deadline first, then earlier arm. */
    private static boolean before(Timer a, Timer b) {
        return a.deadlineNs < b.deadlineNs || (a.deadlineNs == b.deadlineNs && a.seq < b.seq);
    }

    /** O(1) check of one slot: its timer knows its slot, and sits between its parent and its children. */
    private boolean checkSlot(int i) {
        assert lock.isHeldByCurrentThread();
        Timer t = heap[i];
        assert t != null && t.index == i && t.queue == this : "slot " + i + " holds a timer that thinks it is at "
                + (t == null ? "nothing" : t.index);
        assert i == 0 || !before(t, heap[(i - 1) >>> 1]) : "slot " + i + " is earlier than its parent";
        int c = 2 * i + 1;
        assert c >= size || !before(heap[c], t) : "slot " + i + " is later than its left child";
        assert c + 1 >= size || !before(heap[c + 1], t) : "slot " + i + " is later than its right child";
        return true;
    }

    /**
     * Debug check of the whole heap, O(n): every armed timer knows its slot and is bound here, no timer
     * is earlier than its parent, sequence numbers were handed out in order, and the slots past
     * {@code size} are empty. Throws {@link AssertionError} naming the first broken slot, else returns
     * true (so {@code assert checkInvariants()} costs nothing without {@code -ea}). Any thread.
     */
    boolean checkInvariants() {
        lock.lock();
        try {
            if (size < 0 || size > heap.length || heap.length > capacityMax) {
                throw new AssertionError("timer heap size " + size + " outside array of " + heap.length
                        + " (capacityMax " + capacityMax + ")");
            }
            for (int i = 0; i < size; i++) {
                Timer t = heap[i];
                if (t == null || t.index != i || t.queue != this) {
                    throw new AssertionError("timer heap slot " + i + " holds "
                            + (t == null ? "nothing" : "a timer at index " + t.index
                                    + (t.queue == this ? "" : " of another queue")));
                }
                if (t.seq >= seq) {
                    throw new AssertionError("timer heap slot " + i + " has sequence " + t.seq
                            + ", not below the next " + seq);
                }
                if (i > 0 && before(t, heap[(i - 1) >>> 1])) {
                    throw new AssertionError("timer heap slot " + i + " (deadline " + t.deadlineNs + ", seq "
                            + t.seq + ") is earlier than its parent (deadline " + heap[(i - 1) >>> 1].deadlineNs
                            + ", seq " + heap[(i - 1) >>> 1].seq + ")");
                }
            }
            for (int i = size; i < heap.length; i++) {
                if (heap[i] != null) {
                    throw new AssertionError("timer heap slot " + i + " past size " + size + " is not empty");
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
