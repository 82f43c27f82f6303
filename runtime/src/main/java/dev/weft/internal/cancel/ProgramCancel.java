package dev.weft.internal.cancel;

import dev.weft.internal.jdk.HeldMonitors;
import dev.weft.internal.jdk.LiveThreads;
import dev.weft.internal.jdk.OwnThreads;
import dev.weft.internal.jdk.VirtualThreads;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The cancellation of a whole unmodified program ({@code weft run}): its {@code main} (the root task), the threads it
 * started itself, and the time its cleanup may take.
 *
 * <p>Phases, process-wide; each step happens once, in this order:
 * <pre>
 *   phase     entered when                                  what a compiled check or a blocking call gets
 *   OFF       (not {@code weft run})                         Trio's level-triggered cancellation everywhere
 *   RUNNING   {@link #install}                               nothing yet
 *   GRACE     the root is cancelled (deadline, SIGINT,       one delivery per thread: the program's threads are
 *             SIGTERM) and its threads were interrupted      interrupted once, each throws Cancelled at its next
 *             ({@link #cancel})                              check; after that (the cleanup) nothing is delivered
 *                                                            and Weft's interrupt is withdrawn
 *   HARD      grace elapsed                                  every check throws; the program's threads are
 *                                                            interrupted again and again
 *   (halt)    grace + hard window elapsed                    {@code onStuck}: the stuck report, the JVM halts
 * </pre>
 * A delivery counts as made when a check threw or when the thread's interrupt status no longer holds the interrupt
 * Weft posted (a JDK call consumed it: the program saw it as an {@code InterruptedException} and is cleaning up).
 * Threads started after the cancellation (by the cleanup) get nothing until the hard phase. Code written against
 * Weft's API keeps its level-triggered semantics: only the program's root scope and its own threads are handled
 * here; scopes and tasks the program makes with {@code dev.weft} are not.
 *
 * <p>Whose threads: every live thread (virtual ones through {@link LiveThreads}) except those alive at
 * {@link #install} (the launcher's {@code main}, the JVM's), the JDK's own ({@link LiveThreads#isJdkThread}),
 * Weft's own ({@link OwnThreads}) and Weft tasks (cancelled through their scopes).
 *
 * <h2>Thread safety</h2>
 * The phase is a volatile word advanced under the class lock; everything else is written once by {@link #install}
 * (on the launcher's thread, before the program starts) or confined to the thread it describes.
 */
public final class ProgramCancel {
    private ProgramCancel() {}

    public static final int OFF = 0;
    public static final int RUNNING = 1;
    public static final int GRACE = 2;
    public static final int HARD = 3;

    /** How often the hard phase interrupts the program's threads again (a JDK call may have consumed it). */
    static final long HARD_REINTERRUPT_NS = 100_000_000L;
    /** How often a drain looks again at the threads still running. */
    static final long DRAIN_POLL_NS = 20_000_000L;

    /** See the table. Any thread reads; advanced under the class lock. */
    private static volatile int phase = OFF;
    /** Written once by install, before the program starts. */
    private static long graceNs;
    private static long hardNs;
    private static Runnable onStuck;
    private static Set<Thread> preexisting = Set.of();
    /** Why the program was cancelled (a {@code dev.weft.CancelReason}); written before the phase leaves RUNNING. */
    private static volatile Object reason;
    /** The first thread id the cancellation did not interrupt: threads the cleanup started. Written with reason. */
    private static volatile long lateThreadIdMin = Long.MAX_VALUE;
    /** When the grace ends, on {@code System.nanoTime()}; written with reason. */
    private static volatile long graceEndNs;

    /** Set by {@code dev.weft} when it loads: makes a {@code Cancelled} for a reason. */
    private static volatile Function<Object, Error> newCancelled;
    /** Set by {@code dev.weft}: cancels every running root task for a reason. */
    private static volatile Consumer<Object> cancelRoots;
    /** Woken when the hard phase begins: tasks whose cleanup was holding the cancellation back. */
    private static final List<Runnable> HARD_WAKERS = new CopyOnWriteArrayList<>();

    /** Per thread that is not a Weft task: bit 0 delivered, bit 1 inside a check. The thread itself. */
    private static final ThreadLocal<int[]> FOREIGN = ThreadLocal.withInitial(() -> new int[1]);
    private static final int DELIVERED = 1;
    private static final int IN_CHECK = 2;

    /**
     * Makes this JVM's program cancellable as a whole, with {@code graceNs} for its cleanup after the cancellation
     * and {@code hardNs} for hard delivery after that, then {@code onStuck} (which should halt). Called once by the
     * launcher, before the program starts.
     */
    public static synchronized void install(long graceNs, long hardNs, Runnable onStuck) {
        if (phase != OFF) {
            throw new IllegalStateException("the program's cancellation is already installed");
        }
        if (graceNs < 0 || hardNs < 0) {
            throw new IllegalArgumentException("grace and hard window must be >= 0 ns: " + graceNs + ", " + hardNs);
        }
        ProgramCancel.graceNs = graceNs;
        ProgramCancel.hardNs = hardNs;
        ProgramCancel.onStuck = onStuck;
        preexisting = new HashSet<>(LiveThreads.snapshot());
        phase = RUNNING;
    }

    /** Called by {@code dev.weft} as it loads. */
    public static void bind(Function<Object, Error> newCancelled, Consumer<Object> cancelRoots) {
        ProgramCancel.newCancelled = newCancelled;
        ProgramCancel.cancelRoots = cancelRoots;
    }

    /** Whether this JVM runs an unmodified program ({@link #install} was called). */
    public static boolean installed() {
        return phase != OFF;
    }

    /** The phase (see the table). */
    public static int phase() {
        return phase;
    }

    /** Whether the cleanup's grace is running. */
    public static boolean inGrace() {
        return phase == GRACE;
    }

    /** Whether the program was cancelled. */
    public static boolean cancelled() {
        return phase >= GRACE;
    }

    /** Runs {@code wake} when the hard phase begins. */
    public static void onHard(Runnable wake) {
        HARD_WAKERS.add(wake);
    }

    /**
     * The program is cancelled: enters the grace, interrupts the program's threads and starts the clock for the hard
     * phase and the halt. The first call wins; later ones (a second signal, the deadline after Ctrl-C) do nothing.
     * Called by the root scope as it is cancelled, before the cancel becomes visible.
     */
    public static void cancel(Object why) {
        synchronized (ProgramCancel.class) {
            if (phase != RUNNING || reason != null) {
                return;
            }
            reason = why;
            graceEndNs = System.nanoTime() + graceNs;
            lateThreadIdMin = Thread.ofVirtual().unstarted(() -> { }).threadId(); // ids only grow
        }
        // interrupt first, enter the grace after: a check that ran in between would take a thread whose interrupt
        // has not arrived yet for one whose JDK call consumed it, and never deliver to it in the grace
        interruptProgramThreads(lateThreadIdMin);
        synchronized (ProgramCancel.class) {
            phase = GRACE;
        }
        PendingCancels.increment(); // from now on every compiled check takes the slow path; never undone
        Consumer<Object> others = cancelRoots;
        if (others != null) {
            others.accept(why); // roots the program's own threads started with Weft.run
        }
        OwnThreads.daemon("weft-run-grace").start(ProgramCancel::runClock);
    }

    private static void runClock() {
        sleepUntil(graceEndNs);
        synchronized (ProgramCancel.class) {
            phase = HARD;
        }
        for (Runnable w : HARD_WAKERS) {
            w.run();
        }
        long haltNs = graceEndNs + hardNs;
        for (long now = System.nanoTime(); now - haltNs < 0; now = System.nanoTime()) {
            interruptProgramThreads(Long.MAX_VALUE);
            sleepUntil(Math.min(haltNs, now + HARD_REINTERRUPT_NS));
        }
        Runnable stuck = onStuck;
        if (stuck != null) {
            stuck.run();
        }
    }

    private static void sleepUntil(long deadlineNs) {
        long leftNs;
        while ((leftNs = deadlineNs - System.nanoTime()) > 0) {
            try {
                Thread.sleep(Duration.ofNanos(leftNs));
            } catch (InterruptedException e) {
                // nobody cancels the clock: keep it
            }
        }
    }

    private static void interruptProgramThreads(long idMax) {
        Thread self = Thread.currentThread();
        for (Thread t : LiveThreads.snapshot()) {
            if (t != self && t.threadId() < idMax && isProgramThread(t)) {
                t.interrupt();
            }
        }
    }

    /** Whether {@code t} is a thread the program started itself (see the class comment). */
    public static boolean isProgramThread(Thread t) {
        if (OwnThreads.isOwn(t) || preexisting.contains(t) || LiveThreads.isJdkThread(t)) {
            return false;
        }
        return !isWeftTask(t);
    }

    /** Whether {@code t} is a Weft task's thread. Any thread. */
    public static boolean isWeftTask(Thread t) {
        return VirtualThreads.schedulerOf(t) instanceof WaitingTask w && w.ownsThread(t);
    }

    /**
     * The compiled check on a thread that is not a Weft task (see {@link AgentChecks}): throws the program's
     * cancellation on a thread of the program's, as the phase says.
     */
    static void pollForeign() {
        int p = phase;
        if (p < GRACE) {
            return;
        }
        int[] st = FOREIGN.get();
        if ((st[0] & IN_CHECK) != 0) {
            return; // the check itself ran compiled code (an opted-in JDK class): never recurse
        }
        st[0] |= IN_CHECK;
        try {
            pollForeign(p, st);
        } finally {
            st[0] &= ~IN_CHECK;
        }
    }

    private static void pollForeign(int p, int[] st) {
        Thread self = Thread.currentThread();
        if (!isProgramThread(self)) {
            return;
        }
        if (p == GRACE) {
            if ((st[0] & DELIVERED) != 0) {
                return; // its cleanup runs
            }
            if (self.threadId() >= lateThreadIdMin) {
                return; // started by the cleanup
            }
            if (!self.isInterrupted()) {
                st[0] |= DELIVERED; // a JDK call consumed the interrupt: the program has seen the cancellation
                return;
            }
        }
        int held = HeldMonitors.check();
        if (held != HeldMonitors.NOT_HELD && held != HeldMonitors.FAILED) {
            return; // never inside a monitor (or a static initializer, a class load, a call site's linking)
        }
        if (p == GRACE) {
            st[0] |= DELIVERED;
            Thread.interrupted(); // withdraw the interrupt: the cleanup's I/O must not fail on it
        }
        Function<Object, Error> f = newCancelled;
        if (f != null) {
            throw f.apply(reason);
        }
    }

    /**
     * The root task, after the program's {@code main} returned (or threw): waits, as the JVM does, until every
     * non-daemon thread the program started has ended. A cancellation interrupts the wait.
     *
     * @throws InterruptedException when the root is cancelled meanwhile
     */
    public static void awaitNonDaemonThreads() throws InterruptedException {
        Thread self = Thread.currentThread();
        while (true) {
            Thread next = null;
            for (Thread t : LiveThreads.snapshot()) {
                if (t != self && !t.isDaemon() && isProgramThread(t)) {
                    next = t;
                    break;
                }
            }
            if (next == null) {
                return;
            }
            next.join();
        }
    }

    /**
     * The launcher's thread, after the root task ended in a cancelled program: waits until every thread the program
     * started has ended or waits idle in a JDK pool (their {@code finally} blocks have run). The clock started by
     * {@link #cancel} bounds the wait: it halts the JVM when the grace and the hard window are over.
     */
    public static void drain() {
        Thread self = Thread.currentThread();
        while (true) {
            Thread busy = null;
            for (Thread t : LiveThreads.snapshot()) {
                if (t != self && isProgramThread(t) && !LiveThreads.idleInPool(t)) {
                    busy = t;
                    break;
                }
            }
            if (busy == null) {
                return;
            }
            try {
                busy.join(Duration.ofNanos(DRAIN_POLL_NS)); // look again: another may end or go idle first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
