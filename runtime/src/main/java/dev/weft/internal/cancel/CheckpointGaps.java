package dev.weft.internal.cancel;

import dev.weft.internal.event.CheckpointGapEvent;
import dev.weft.internal.event.Jfr;
import dev.weft.internal.loop.EventLoop;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import jdk.jfr.FlightRecorder;

/**
 * Finds tasks that hold a loop's carrier without reaching a cancellation point, for the JFR event
 * {@link CheckpointGapEvent}: the place in a program that a cancellation cannot reach in time.
 *
 * <p>Things that don't work: timing the checkpoint. The checkpoint's fast path is one volatile read, and the agent
 * compiles it into every loop back-edge; a clock read or a counter there costs every program all the time. Nor
 * timing each mount at the switch: a task that runs 100 ms with a check in every loop iteration is cancellable, and
 * a clock read per switch costs ping-pong a few per cent. Solution: a sampler on JFR's periodic thread, which runs
 * only while the event is enabled (its {@code period}, 10 ms by default). Each loop publishes the entry it runs
 * and a count of the entries it started (two opaque stores per switch). A sample that finds the same count and a
 * task mounted as the sample before knows that one mount spans both; it then arms a probe: one pending cancel in
 * {@link PendingCancels}, with the watched task's own flag set ({@link WaitingTask#markMayHaveCancel}), which sends
 * that task's checkpoints to their slow path, where it counts the cancellation points it reaches ({@link WaitingTask#slowChecks}). If the next samples find the count unchanged and the same
 * mount, the task reached no cancellation point while watched; once that has lasted the event's threshold (20 ms
 * by default) the sampler takes the task's stack and commits the event, once per gap. The probe is disarmed as soon
 * as the mount ends, or the event is committed, and by the task itself at the first cancellation point it reaches
 * ({@link #reached}); while it is armed, the other tasks' checkpoints in the process read their own flag as well
 * as the count (a nanosecond or two), and the watched task's take their slow path (tens of nanoseconds), which is
 * paid only while a task is already suspected of holding a carrier for a whole period. The duration is the watched part of the gap: it starts one to two periods
 * after the gap did. A window in which the carrier thread got less than half of the wall time on a CPU (an
 * overloaded machine preempted it) proves nothing about the code and is watched again; the event gives the
 * carrier's CPU time in the gap.
 *
 * <p>A probe must never stay armed: that would send every checkpoint of the process to its second test for good.
 * {@link #unwatch} (a runtime's shutdown) disarms its loops' probes at once, and any change of a recording's state
 * (a recording stopped, so the sampler may not run again) disarms every probe.
 *
 * <h2>Thread safety</h2>
 * {@link #watch}/{@link #unwatch} from any thread; {@link #sample} runs on JFR's periodic thread only, which alone
 * touches the per-loop state except {@link Watch#armed}, which any thread may clear.
 */
public final class CheckpointGaps {
    private CheckpointGaps() {}

    /** Frames of the task's stack put in the event. */
    static final int STACK_FRAMES_MAX = 24;

    /** The loops of running runtimes. Any thread. */
    private static final List<EventLoop> LOOPS = new CopyOnWriteArrayList<>();
    /** Per-loop sampling state, keyed by identity (EventLoop keeps Object's equals). */
    private static final Map<EventLoop, Watch> WATCHES = new ConcurrentHashMap<>();

    static {
        Jfr.onFirstRecording(() -> FlightRecorder.addPeriodicEvent(CheckpointGapEvent.class, CheckpointGaps::sample));
        Jfr.onRecordingChange(CheckpointGaps::disarmAll);
    }

    /** One loop's sampling state; the periodic thread only. */
    private static final class Watch {
        /** The loop's mount count at the last sample, and whether a task was mounted then. */
        long seq = -1;
        boolean mountedThen;
        /** Whether this watch holds one pending cancel (the probe). Set by the sampler; cleared by any thread. */
        final AtomicBoolean armed = new AtomicBoolean();
        /** Set when the loop's runtime shut down: the sampler must not arm again. Any thread. */
        volatile boolean retired;
        /** The armed probe's baseline (the task's slow checks when it was armed), and the event timing the gap. */
        int checksAtArm;
        long epochAtArm;
        /** The carrier's CPU time and the wall clock when the probe was armed (ns; CPU -1 if unknown). */
        long cpuAtArmNs;
        long wallAtArmNs;
        CheckpointGapEvent event;
        /** The task the probe watches; written by the sampler before it arms, read by that task's slow checks. */
        volatile WaitingTask task;
        /** The gap of this mount was reported already. */
        boolean reported;
    }

    /** Samples {@code loops} while the event is enabled. Any thread; the runtime calls it at start. */
    public static void watch(EventLoop[] loops) {
        LOOPS.addAll(List.of(loops));
    }

    /** Stops sampling {@code loops} (the runtime's shutdown) and disarms their probes now. Any thread. */
    public static void unwatch(EventLoop[] loops) {
        LOOPS.removeAll(List.of(loops));
        for (EventLoop l : loops) {
            Watch w = WATCHES.remove(l);
            if (w != null) {
                w.retired = true;
                EPOCH.incrementAndGet();
                disarm(w);
            }
        }
    }

    /**
     * Bumped before any probe is disarmed from outside the sampler: a probe armed in an older epoch may have been off
     * for a while (checkpoints took their fast path), so what it saw proves nothing. Any thread.
     */
    private static final java.util.concurrent.atomic.AtomicLong EPOCH = new java.util.concurrent.atomic.AtomicLong();

    /** Disarms every probe (a recording changed state; the sampler may not run again). Any thread. */
    static void disarmAll() {
        EPOCH.incrementAndGet();
        for (Watch w : WATCHES.values()) {
            disarm(w);
        }
    }

    /** The periodic hook: one pass over the loops, at most one event per loop. */
    static void sample() {
        for (EventLoop loop : LOOPS) {
            Watch w = WATCHES.computeIfAbsent(loop, l -> new Watch());
            if (!LOOPS.contains(loop)) { // unwatched meanwhile: a watch made after its removal must not stay
                WATCHES.remove(loop, w);
                continue;
            }
            sample(loop, w);
        }
    }

    private static void sample(EventLoop loop, Watch w) {
        long seq = loop.mountCount();
        Object entry = loop.mountedEntry();
        boolean sameMount = entry != null && seq == w.seq && w.mountedThen;
        w.seq = seq;
        w.mountedThen = entry != null;
        if (!sameMount || !(entry instanceof WaitingTask task)) {
            disarm(w);
            w.reported = false;
            return;
        }
        if (w.reported) {
            return; // one event per gap
        }
        if (!w.armed.get() || w.epochAtArm != EPOCH.get()) {
            disarm(w); // (if armed in an older epoch: it may have been off meanwhile)
            w.epochAtArm = EPOCH.get();
            w.checksAtArm = task.slowChecks;
            w.cpuAtArmNs = cpuTimeNs(loop.carrierThread());
            w.wallAtArmNs = System.nanoTime();
            w.event = new CheckpointGapEvent();
            w.event.begin();
            w.task = task;
            task.gapWatch = w; // before arming: the task's first slow check then disarms the probe
            if (w.armed.compareAndSet(false, true)) {
                PendingCancels.increment(); // from now on the task counts the cancellation points it reaches
                task.markMayHaveCancel(); // after the count: only the watched task need take its slow path
                if (w.retired) {
                    disarm(w); // the runtime shut down meanwhile
                }
            }
            return;
        }
        if (task.slowChecks != w.checksAtArm) {
            disarm(w); // it reached a cancellation point: cancellable; watch again from the next sample
            task.gapWatch = null;
            return;
        }
        CheckpointGapEvent e = w.event;
        if (e == null) {
            return;
        }
        e.end();
        if (!e.shouldCommit()) {
            return; // shorter than the threshold so far (or the event was disabled meanwhile): keep watching
        }
        long cpuNs = w.cpuAtArmNs < 0 ? -1 : cpuTimeNs(loop.carrierThread()) - w.cpuAtArmNs;
        long wallNs = System.nanoTime() - w.wallAtArmNs;
        if (cpuNs >= 0 && cpuNs < wallNs / 2) {
            disarm(w); // the carrier hardly ran (the machine is overloaded): no proof about the code; watch again
            return;
        }
        Thread thread = task.taskThread();
        e.task = task.toString();
        e.taskThread = thread;
        e.loop = loop.name();
        e.stack = stackOf(thread);
        e.carrierCpuTime = cpuNs;
        e.commit();
        loop.countCheckpointGap();
        disarm(w);
        w.reported = true;
    }

    /**
     * From the slow path of a check on {@code task}'s thread while a probe watches it: it reached a cancellation
     * point, so the probe is disarmed now and the sampler, finding it off, watches again from its next sample.
     * Before, the probe stayed armed until that sample, sending every check in the process to its slow path for up
     * to a period (10 ms) each time a long mount was suspected: spawn+join measured 1.07x with the event on.
     */
    static void reached(WaitingTask task) {
        Object w = task.gapWatch;
        if (w instanceof Watch watch) {
            task.gapWatch = null;
            if (watch.task == task) { // not a probe since re-armed for another task of the loop
                disarm(watch);
            }
        }
    }

    private static void disarm(Watch w) {
        if (w.armed.compareAndSet(true, false)) {
            PendingCancels.decrement();
        }
    }

    /** The thread's CPU time in ns, or -1 where the JVM does not measure it. */
    private static long cpuTimeNs(Thread t) {
        ThreadMXBean mx = THREADS;
        if (t == null || mx == null) {
            return -1;
        }
        try {
            return mx.getThreadCpuTime(t.threadId());
        } catch (UnsupportedOperationException e) {
            return -1;
        }
    }

    /** CPU times of carriers, where supported; loaded with the sampler (only while recording). */
    private static final ThreadMXBean THREADS = threads();

    private static ThreadMXBean threads() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        return mx.isThreadCpuTimeSupported() ? mx : null;
    }

    private static String stackOf(Thread thread) {
        if (thread == null) {
            return "";
        }
        StackTraceElement[] frames = thread.getStackTrace();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < frames.length && i < STACK_FRAMES_MAX; i++) {
            sb.append(i == 0 ? "" : "\n").append(frames[i]);
        }
        if (frames.length > STACK_FRAMES_MAX) {
            sb.append("\n... ").append(frames.length - STACK_FRAMES_MAX).append(" more");
        }
        return sb.toString();
    }
}
