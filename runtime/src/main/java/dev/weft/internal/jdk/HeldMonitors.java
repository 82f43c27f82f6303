package dev.weft.internal.jdk;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.EnumSet;
import java.util.Set;

/**
 * Whether the current thread holds any monitor, in any frame, through {@code java.lang.LiveStackFrame}
 * (package-private in java.base, reached with {@code --add-opens java.base/java.lang=ALL-UNNAMED}, which Weft
 * requires anyway), feature-detected.
 *
 * <p>Why: the agent's checks must never throw while a monitor is held, and the agent counts only the
 * monitors of the code it compiled. A JDK method that is {@code synchronized} and calls back into application
 * code ({@code Vector.forEach}, {@code Collections.synchronizedList(l).forEach}, {@code Hashtable.compute})
 * holds one the count does not see. Things that don't work: {@code Thread.holdsLock} needs the object;
 * {@code ThreadMXBean.getThreadInfo(..., lockedMonitors)} does not support virtual threads. Solution: a live
 * stack walk, which reports each frame's monitors; it costs tens of microseconds, so it runs only when a
 * cancellation is about to be delivered.
 */
public final class HeldMonitors {
    private HeldMonitors() {}

    private static final StackWalker WALKER;
    private static final MethodHandle GET_MONITORS;
    private static final String MISSING;

    static {
        StackWalker w = null;
        MethodHandle g = null;
        String missing = null;
        try {
            Class<?> live = Class.forName("java.lang.LiveStackFrame");
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(live, MethodHandles.lookup());
            w = (StackWalker) l.findStatic(live, "getStackWalker", MethodType.methodType(StackWalker.class,
                    Set.class)).invoke(EnumSet.noneOf(StackWalker.Option.class));
            g = l.findVirtual(live, "getMonitors", MethodType.methodType(Object[].class))
                    .asType(MethodType.methodType(Object[].class, StackWalker.StackFrame.class));
        } catch (Throwable t) {
            w = null;
            g = null;
            missing = t.toString();
        }
        WALKER = w;
        GET_MONITORS = g;
        MISSING = missing;
    }

    /** Whether the walk is available; if not, {@link #missing()} says why. */
    public static boolean available() {
        return WALKER != null;
    }

    /** Why the walk is unavailable, or null. */
    public static String missing() {
        return MISSING;
    }

    /** {@link #check()}: no frame holds a monitor (or the walk is unavailable). */
    public static final int NOT_HELD = 0;
    /** {@link #check()}: some frame holds a monitor. */
    public static final int HELD = 1;
    /** {@link #check()}: the walk ran out of memory or stack (it allocates every frame's locals); ask again. */
    public static final int FAILED = 2;

    /** Whether any frame of the current thread holds a monitor; see {@link #check()}. */
    public static boolean heldByCurrentThread() {
        return check() == HELD;
    }

    /**
     * Walks the current thread's stack for held monitors: {@link #HELD}, {@link #NOT_HELD}, or {@link #FAILED}
     * when the walk ran out of memory or stack (the caller decides how often to retry before giving up).
     * Slow (a live stack walk, tens of microseconds): call it only when about to deliver a cancellation. Any
     * other failure (a JDK whose walk misbehaves) answers {@link #NOT_HELD} with one warning, so cancellation
     * still works, held back by the monitors the agent counted only.
     */
    public static int check() {
        if (WALKER == null) {
            return NOT_HELD;
        }
        try {
            return WALKER.walk(frames -> frames.anyMatch(HeldMonitors::holds)) ? HELD : NOT_HELD;
        } catch (StackOverflowError | OutOfMemoryError e) {
            return FAILED;
        } catch (Throwable t) {
            if (!warned) {
                warned = true;
                System.err.println("weft: the stack walk for held monitors failed (" + t + "); cancellations"
                        + " at agent checks are held back only by the monitors the agent counted");
            }
            return NOT_HELD;
        }
    }

    /** Whether the failure warning was printed. Racy by design: at worst printed twice. */
    private static volatile boolean warned;

    private static boolean holds(StackWalker.StackFrame f) {
        Object[] monitors;
        try {
            monitors = (Object[]) GET_MONITORS.invokeExact(f);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (monitors != null) {
            for (Object m : monitors) {
                if (m != null) { // an interpreted frame keeps a released slot, emptied
                    return true;
                }
            }
        }
        return false;
    }
}
