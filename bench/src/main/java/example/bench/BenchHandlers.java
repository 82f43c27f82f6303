package example.bench;

import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;

/**
 * The handler bodies every server of the cross-server benchmark runs, the same code behind each server's own
 * handler API. Outside {@code dev.weft} so that the Weft agent instruments {@link #cpu} (it never touches Weft's own
 * classes): the spin loop has no cancellation checks of its own.
 *
 * <h2>Thread safety</h2>
 * Any thread; the unwind histograms are guarded by a lock.
 */
public final class BenchHandlers {
    private BenchHandlers() {}

    /** Unwind latency of cancelled spins, microseconds; guarded by {@link #LOCK}. */
    private static final Histogram UNWIND_DEADLINE = new Histogram(60_000_000L, 3);
    private static final Histogram UNWIND_DISCONNECT = new Histogram(60_000_000L, 3);
    private static final ReentrantLock LOCK = new ReentrantLock();

    /** The smallest answer. */
    public static String hello() {
        return "hello\n";
    }

    /**
     * Spins for {@code ms} with no checks of its own. If it is cut short (cancelled), its {@code finally} records
     * how long after {@code cancelAtNs} (the deadline, or the instant the client closed, by {@link System#nanoTime},
     * which is one clock for every JVM on a Linux host) it ran, under {@code kind}.
     */
    public static String cpu(long ms, long cancelAtNs, String kind) {
        long endNs = System.nanoTime() + ms * 1_000_000;
        long x = 1;
        long iterations = 0;
        boolean completed = false;
        try {
            while (System.nanoTime() < endNs) {
                x = x * 6364136223846793005L + 1442695040888963407L;
                iterations++;
            }
            completed = true;
        } finally {
            if (!completed && cancelAtNs != 0) {
                long us = Math.max(0, (System.nanoTime() - cancelAtNs) / 1000);
                LOCK.lock();
                try {
                    ("disconnect".equals(kind) ? UNWIND_DISCONNECT : UNWIND_DEADLINE).recordValue(Math.min(us, 60_000_000L));
                } finally {
                    LOCK.unlock();
                }
            }
        }
        return "spun " + ms + " ms, " + iterations + " iterations (" + (x & 0xff) + ")\n";
    }

    /** Blocks {@code ms}. */
    public static String sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
        return "slept " + ms + " ms\n";
    }

    /** {@code deadline=N p50=.. p99=.. max=.. disconnect=N p50=.. p99=.. max=..} in microseconds; resets if asked. */
    public static String unwind(boolean reset) {
        LOCK.lock();
        try {
            String s = line("deadline", UNWIND_DEADLINE) + " " + line("disconnect", UNWIND_DISCONNECT) + "\n";
            if (reset) {
                UNWIND_DEADLINE.reset();
                UNWIND_DISCONNECT.reset();
            }
            return s;
        } finally {
            LOCK.unlock();
        }
    }

    private static String line(String name, Histogram h) {
        return name + "=" + h.getTotalCount() + " " + name + "P50Us=" + h.getValueAtPercentile(50) + " " + name
                + "P99Us=" + h.getValueAtPercentile(99) + " " + name + "MaxUs=" + h.getMaxValue();
    }

    /** A query parameter as a long, or {@code dflt}. */
    public static long param(String query, String name, long dflt) {
        if (query == null) {
            return dflt;
        }
        for (String kv : query.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0 && kv.substring(0, eq).equals(name)) {
                return Long.parseLong(kv.substring(eq + 1));
            }
        }
        return dflt;
    }
}
