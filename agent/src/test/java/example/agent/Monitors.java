package example.agent;

import java.util.List;

/**
 * Fixtures for monitor safety: checks in methods called while a caller holds a monitor, and exits from locked
 * regions by return and by throw.
 */
public class Monitors {
    public static final Object LOCK = new Object();

    /** A checked loop with no monitor of its own. */
    public static int spin(int n) {
        int c = 0;
        while (c < n) {
            c += 1 + (c & 0);
        }
        return c;
    }

    /** Calls a checked method inside a synchronized block; the block is followed by a check. */
    public static int calleeUnderLock(int n, List<String> trace) {
        int c;
        synchronized (LOCK) {
            c = spin(n);
            trace.add("callee returned holding=" + Thread.holdsLock(LOCK));
        }
        trace.add("after block");
        return c;
    }

    /**
     * A checked loop in a lambda that a {@code synchronized} JDK method the agent does not compile
     * ({@code Vector.forEach}) calls back; then a checked loop outside.
     */
    public static int underForeignMonitor(int n, java.util.Vector<Integer> v, List<String> trace) {
        int[] c = new int[1];
        v.forEach(x -> {
            c[0] += spin(n);
            trace.add("callback done holding=" + Thread.holdsLock(v));
        });
        trace.add("after forEach holding=" + Thread.holdsLock(v));
        return c[0] + spin(n);
    }

    /** A synchronized method that calls a checked method. */
    public static synchronized int synchronizedCaller(int n, List<String> trace) {
        int c = spin(n);
        trace.add("callee returned holding=" + Thread.holdsLock(Monitors.class));
        return c;
    }

    /** Calls {@link #synchronizedCaller}, then loops: the loop's check is the first point outside the monitor. */
    public static int afterSynchronizedMethod(int n, List<String> trace) {
        int c = synchronizedCaller(n, trace);
        trace.add("caller resumed holding=" + Thread.holdsLock(Monitors.class));
        return c + spin(n);
    }

    /** Nested monitors: the callee runs with two held, then one, then none. */
    public static int nested(int n, List<String> trace) {
        int c = 0;
        synchronized (LOCK) {
            synchronized (Monitors.class) {
                c += spin(n);
                trace.add("inner");
            }
            c += spin(n);
            trace.add("outer");
        }
        trace.add("outside");
        return c + spin(n);
    }

    /** A synchronized method that throws. */
    public static synchronized void synchronizedThrows(String message) {
        if (message != null) {
            throw new IllegalStateException(message);
        }
    }

    /** A synchronized block left by a throw. */
    public static void blockThrows(String message) {
        synchronized (LOCK) {
            if (message != null) {
                throw new IllegalStateException(message);
            }
        }
    }

    /** A synchronized method whose own handler must still see its exception first. */
    public static synchronized String catchesItsOwn(String message) {
        try {
            synchronizedThrows(message);
            return "no throw";
        } catch (IllegalStateException e) {
            return "caught " + e.getMessage();
        }
    }
}
