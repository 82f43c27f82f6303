package dev.weft.internal.jdk;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.EnumSet;
import java.util.Set;
import java.util.Spliterator;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

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
 *
 * <p>The same walk finds the frames where a throw can never be undone ({@link #IN_LINKAGE}): a static initializer
 * (its class is then unusable for the life of its loader), a class load, and the JVM's linking of a call site or
 * constant ({@code java.lang.invoke.MethodHandleNatives}: a bootstrap that throws fails its call site for good).
 * The agent gives static initializers no check of their own, but a method they call has its checks; and with
 * {@code java.util} opted in, the JDK's own linking runs compiled checks ({@code StringConcatFactory} and the lambda
 * metafactory use {@code java.util} collections), so a cancelled task's {@code finally} that concatenated a string
 * for the first time lost the call site to the cancel.
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
    /**
     * {@link #check()}: no frame holds a monitor, but some frame is a static initializer, a class load, or the JVM's
     * linking of a call site, where a throw would fail the class or call site for good.
     */
    public static final int IN_LINKAGE = 3;

    /** Whether any frame of the current thread holds a monitor; see {@link #check()}. */
    public static boolean heldByCurrentThread() {
        return check() == HELD;
    }

    /**
     * Walks the current thread's stack for held monitors: {@link #HELD}, {@link #IN_LINKAGE}, {@link #NOT_HELD}, or
     * {@link #FAILED} when the walk ran out of memory or stack (the caller decides how often to retry before giving
     * up).
     * Slow (a live stack walk, tens of microseconds): call it only when about to deliver a cancellation. Any
     * other failure (a JDK whose walk misbehaves) answers {@link #NOT_HELD} with one warning, so cancellation
     * still works, held back by the monitors the agent counted only.
     */
    public static int check() {
        if (WALKER == null) {
            return NOT_HELD;
        }
        try {
            Scan scan = WALKER.walk(WALK);
            return scan.held ? HELD : scan.inLinkage ? IN_LINKAGE : NOT_HELD;
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

    /**
     * The walk's function, which reads the frames through the walker's own spliterator ({@code java.lang}) rather
     * than through stream operations: when {@code java.util.stream} is opted in to the agent, {@code anyMatch} would
     * run compiled checks inside the slow path that called this walk. What remains of {@code java.util} here is the
     * stream's construction and {@code spliterator()}, which have no loop and no recursion, hence no check under the
     * default policy (and a check there, under {@code entry}, returns at once: the slow path is not re-entered).
     */
    private static final class Walk implements Function<Stream<StackWalker.StackFrame>, Scan> {
        @Override
        public Scan apply(Stream<StackWalker.StackFrame> frames) {
            Scan scan = new Scan();
            Spliterator<StackWalker.StackFrame> s = frames.spliterator();
            while (!scan.held && s.tryAdvance(scan)) {
                // accept() records what the frame shows
            }
            return scan;
        }
    }

    private static final Walk WALK = new Walk();

    /** What the frames walked so far show. The walking thread only. */
    private static final class Scan implements Consumer<StackWalker.StackFrame> {
        boolean held;
        boolean inLinkage;

        @Override
        public void accept(StackWalker.StackFrame f) {
            held = holds(f);
            if (!held && !inLinkage) {
                inLinkage = isLinkage(f);
            }
        }
    }

    /** A static initializer, a class load, or the JVM's upcall to link a call site, method handle or constant. */
    private static boolean isLinkage(StackWalker.StackFrame f) {
        String c = f.getClassName();
        if (c.equals("java.lang.invoke.MethodHandleNatives")) {
            return true;
        }
        String m = f.getMethodName();
        return m.equals("<clinit>") || m.equals("loadClass") && c.equals("java.lang.ClassLoader");
    }

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
