package dev.weft.internal.budget;

import dev.weft.internal.jdk.OwnThreads;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Leak detection for reservations: each tracked reservation records where it was made; one that becomes
 * unreachable while still held is reported (with that place) and released, and the open ones can be listed
 * (the after-each-test check).
 *
 * <p>On when the system property {@code weft.memory.leakDetection} is {@code on}, off when it is
 * {@code off}; by default on exactly when assertions are enabled for Weft ({@code -ea}, as in tests), since
 * recording a stack trace per reservation costs microseconds and allocates.
 *
 * <h2>Thread safety</h2>
 * Thread-safe: a concurrent set of open trackers, a bounded report queue guarded by itself, and the
 * {@link Cleaner}'s thread for dropped reservations.
 */
public final class Leaks {
    private Leaks() {}

    /** Reports kept for {@link #drainReports()}; older ones are dropped (they were printed). */
    public static final int REPORTS_MAX = 64;

    /** Whether new reservations are tracked. Written by tests and configuration; read on every reserve. */
    public static volatile boolean enabled = detect();

    private static final Set<Tracker> OPEN = ConcurrentHashMap.newKeySet();
    private static final ArrayDeque<String> REPORTS = new ArrayDeque<>();

    private static final class CleanerHolder {
        static final Cleaner CLEANER = Cleaner.create(r -> OwnThreads.daemon("weft-reservation-leaks").unstarted(r));
    }

    private static boolean detect() {
        String p = System.getProperty("weft.memory.leakDetection", "").toLowerCase(Locale.ROOT);
        if (p.equals("on") || p.equals("true")) {
            return true;
        }
        if (p.equals("off") || p.equals("false")) {
            return false;
        }
        return Leaks.class.desiredAssertionStatus();
    }

    /** The budget side of a tracked reservation. */
    public interface Owner {
        /** The budget's name. */
        String name();

        /** Releases bytes of a reservation that was dropped without release. Any thread. */
        void releaseLeaked(long bytes);
    }

    /** One tracked reservation; held by the reservation, never referring back to it. */
    public static final class Tracker implements Runnable {
        private final Owner owner;
        private final Throwable where;
        /** Reserved bytes; written by the reservation's owner. */
        private volatile long bytes;
        /** Written once, by the owner (close) or the cleaner (leak). */
        private volatile boolean released;
        private Cleaner.Cleanable cleanable;

        private Tracker(Owner owner, long bytes, String taskName) {
            this.owner = owner;
            this.bytes = bytes;
            this.where = new Throwable("reservation of " + ByteSizes.format(bytes) + " from memory budget '"
                    + owner.name() + "' made here" + (taskName == null ? "" : " in task '" + taskName + "'"));
        }

        /** The reservation's size changed. */
        public void resized(long newBytes) {
            bytes = newBytes;
        }

        /** The reservation was released normally. */
        public void closed() {
            released = true;
            OPEN.remove(this);
            Cleaner.Cleanable c = cleanable;
            if (c != null) {
                c.clean();
            }
        }

        /** The cleaner's action: runs when the reservation became unreachable (or after {@link #closed}). */
        @Override
        public void run() {
            if (released) {
                return;
            }
            released = true;
            OPEN.remove(this);
            long b = bytes;
            owner.releaseLeaked(b);
            report("weft: a reservation of " + ByteSizes.format(b) + " from memory budget '" + owner.name()
                    + "' was dropped without release (it became unreachable while held); Weft released it now."
                    + " Close reservations with try-with-resources or TaskScope.closeOnExit. " + trace());
        }

        String trace() {
            StringWriter w = new StringWriter();
            where.printStackTrace(new PrintWriter(w));
            return w.toString();
        }
    }

    /** Starts tracking a reservation ({@code reservation} is only watched for reachability). */
    public static Tracker track(Object reservation, Owner owner, long bytes, String taskName) {
        Tracker t = new Tracker(owner, bytes, taskName);
        OPEN.add(t);
        t.cleanable = CleanerHolder.CLEANER.register(reservation, t);
        return t;
    }

    private static void report(String text) {
        System.err.println(text);
        synchronized (REPORTS) {
            if (REPORTS.size() == REPORTS_MAX) {
                REPORTS.removeFirst();
            }
            REPORTS.addLast(text);
        }
    }

    /** Reports of dropped reservations since the last call, oldest first. */
    public static List<String> drainReports() {
        synchronized (REPORTS) {
            List<String> out = new ArrayList<>(REPORTS);
            REPORTS.clear();
            return out;
        }
    }

    /** Tracked reservations still held, each with where it was made. */
    public static List<String> openReservations() {
        List<String> out = new ArrayList<>();
        for (Tracker t : OPEN) {
            if (!t.released) {
                out.add(t.trace());
            }
        }
        return out;
    }
}
