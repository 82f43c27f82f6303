package dev.weft.internal.time;

import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Deadline timers for cancel scopes and Weft sleeps.
 *
 * <p>With the system ticker, one daemon thread waits for the earliest deadline and runs due actions
 * (at most {@link #FIRE_MAX} per wake-up before re-checking). With a virtual ticker there is no thread:
 * {@link #fireDue()} runs due actions when the test advances its clock, so deadline tests are
 * deterministic. Actions must be short and must not block (they cancel scopes and unpark tasks).
 */
public final class TimerQueue {
    /** Actions run per wake-up before the timer thread re-checks the clock. */
    static final int FIRE_MAX = 1024;

    /** A scheduled action; {@link #cancel()} is idempotent and safe from any thread. */
    public static final class Timer implements Comparable<Timer> {
        final long deadlineNs;
        final long seq;
        final Runnable action;
        /** Set when cancelled or fired. Guarded by the queue lock. */
        boolean done;

        Timer(long deadlineNs, long seq, Runnable action) {
            this.deadlineNs = deadlineNs;
            this.seq = seq;
            this.action = action;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadlineNs, o.deadlineNs);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }

        public long deadlineNs() {
            return deadlineNs;
        }
    }

    private final Ticker ticker;
    private final boolean virtual;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Pending timers. Guarded by {@link #lock}. */
    private final PriorityQueue<Timer> queue = new PriorityQueue<>();
    /** Sequence for FIFO order among equal deadlines. Guarded by {@link #lock}. */
    private long seq;
    /** Set by {@link #close()}. Guarded by {@link #lock}. */
    private boolean closed;
    private final Thread thread;

    public TimerQueue(Ticker ticker, boolean virtual, String name) {
        this.ticker = ticker;
        this.virtual = virtual;
        if (virtual) {
            thread = null;
        } else {
            thread = Thread.ofPlatform().name(name).daemon(true).start(this::runThread);
        }
    }

    public Ticker ticker() {
        return ticker;
    }

    public long nanoTime() {
        return ticker.nanoTime();
    }

    /** Runs {@code action} once the ticker reaches {@code deadlineNs}. Any thread. */
    public Timer schedule(long deadlineNs, Runnable action) {
        lock.lock();
        try {
            Timer t = new Timer(deadlineNs, seq++, action);
            queue.add(t);
            if (queue.peek() == t) {
                changed.signal();
            }
            return t;
        } finally {
            lock.unlock();
        }
    }

    /** Cancels {@code t} if it has not fired. Returns whether it was still pending. Any thread. */
    public boolean cancel(Timer t) {
        lock.lock();
        try {
            if (t.done) {
                return false;
            }
            t.done = true;
            queue.remove(t);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Number of pending timers. */
    public int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Runs every action whose deadline has passed; returns how many ran. For virtual tickers. */
    public int fireDue() {
        int fired = 0;
        while (true) {
            Timer due;
            lock.lock();
            try {
                Timer head = queue.peek();
                if (head == null || head.deadlineNs - ticker.nanoTime() > 0) {
                    return fired;
                }
                due = queue.poll();
                due.done = true;
            } finally {
                lock.unlock();
            }
            runAction(due);
            fired++;
        }
    }

    private static void runAction(Timer t) {
        try {
            t.action.run();
        } catch (Throwable e) {
            System.err.println("weft: timer action failed: " + e);
            e.printStackTrace();
        }
    }

    private void runThread() {
        Timer[] batch = new Timer[FIRE_MAX];
        while (true) {
            int n = 0;
            lock.lock();
            try {
                while (n == 0) {
                    if (closed) {
                        return;
                    }
                    Timer head = queue.peek();
                    long now = ticker.nanoTime();
                    if (head == null) {
                        changed.awaitUninterruptibly();
                    } else if (head.deadlineNs - now > 0) {
                        try {
                            changed.awaitNanos(head.deadlineNs - now);
                        } catch (InterruptedException e) {
                            // not interrupted by Weft; keep serving deadlines
                        }
                    } else {
                        while (n < FIRE_MAX && (head = queue.peek()) != null && head.deadlineNs - now <= 0) {
                            queue.poll();
                            head.done = true;
                            batch[n++] = head;
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
            for (int i = 0; i < n; i++) {
                runAction(batch[i]);
                batch[i] = null;
            }
        }
    }

    /** Stops the timer thread; pending timers never fire. */
    public void close() {
        lock.lock();
        try {
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

    public boolean isVirtual() {
        return virtual;
    }
}
