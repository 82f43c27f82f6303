package dev.weft.internal.loop;

import dev.weft.internal.jdk.OwnThreads;
import dev.weft.internal.errors.ErrorSink;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A loop: one carrier platform thread that runs the continuations of many tasks, one at a time, in FIFO
 * order.
 *
 * <p>Implementation overview. Producers (the carrier itself when one task wakes another, other loops,
 * the JDK's timer and poller threads) {@link RunQueue#offer offer} into the run queue and unpark the
 * carrier only if it announced that it is about to park ({@link #parked}). The carrier drains at most
 * {@link #BATCH_MAX} entries between checks of its state, then parks. The carrier never spins: an idle
 * loop costs nothing, and a wait on a loop's only carrier (ping-pong between two of its tasks) hands the
 * carrier straight to the other task.
 *
 * <p>State table: {@code RUNNING} (accepting and running) → {@code STOPPING} (shutdown requested: runs
 * what is queued, then exits) → {@code STOPPED} (carrier exited; submissions go to the handover
 * executor with a warning).
 */
public final class EventLoop implements Scheduler, CarrierSlot {
    /** Accepting and running entries. */
    private static final int RUNNING = 0;
    /** Shutdown requested; the carrier drains the queue and exits. */
    private static final int STOPPING = 1;
    /** Carrier exited; new entries go to the handover executor. */
    private static final int STOPPED = 2;

    /** Entries run between two checks of the loop state. */
    static final int BATCH_MAX = 256;

    private final String name;
    private final int index;
    private final RunQueue queue;
    private final Thread carrier;

    /** Loop state. Written by {@link #shutdown} and the carrier; read by producers. */
    private volatile int state = RUNNING;
    /** True while the carrier is parked or about to park. Written by the carrier; read by producers. */
    private volatile boolean parked;
    /** Where entries go after the carrier stopped. Written once by {@link #shutdown}. */
    private volatile Executor handover;
    /** An extension's value for this carrier ({@link CarrierSlot}). Tasks on this loop only, so the carrier. */
    private CarrierSlot.Value carrierValue;

    /**
     * The entry running on the carrier now, or null between entries; and how many entries the carrier has started.
     * Written by the carrier with opaque stores (plain on x86: nothing on the switch path waits for them), read by
     * the checkpoint-gap sampler, which only needs to see them eventually: two samples that find the same count and
     * an entry mounted saw one mount that lasted between them.
     */
    private Object mounted;
    private long mountSeq;
    /** Late submissions handed over (any submitting thread, atomically) and checkpoint gaps seen (the sampler). */
    private volatile long handovers;
    private volatile long checkpointGaps;
    private static final VarHandle MOUNTED;
    private static final VarHandle MOUNT_SEQ;
    private static final VarHandle HANDOVERS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            MOUNTED = l.findVarHandle(EventLoop.class, "mounted", Object.class);
            MOUNT_SEQ = l.findVarHandle(EventLoop.class, "mountSeq", long.class);
            HANDOVERS = l.findVarHandle(EventLoop.class, "handovers", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Where a continuation that threw (a JDK or Weft bug) and late submissions are reported. */
    private final ErrorSink errors;
    /** Where {@link #errors} says a continuation threw: made once, as reporting may happen with the heap full. */
    private final String continuationThrew;

    public EventLoop(String name, int index, int queueCapacity, ErrorSink errors) {
        this.errors = errors;
        this.name = name;
        this.continuationThrew = "loop " + name + ": continuation threw";
        this.index = index;
        this.queue = new RunQueue(queueCapacity);
        this.carrier = OwnThreads.daemon(name).unstarted(this::runCarrier);
        carrier.start();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public CarrierSlot.Value carrierValue() {
        return carrierValue;
    }

    @Override
    public void carrierValue(CarrierSlot.Value value) {
        carrierValue = value;
    }

    @Override
    public Thread carrierThread() {
        return carrier;
    }

    public int index() {
        return index;
    }



    /** The entry running on the carrier now (a task), or null; for samplers (any thread, eventually current). */
    public Object mountedEntry() {
        return MOUNTED.getOpaque(this);
    }

    /** Entries the carrier has started so far; for samplers (any thread, eventually current). */
    public long mountCount() {
        return (long) MOUNT_SEQ.getOpaque(this);
    }

    /** Entries waiting in the run queue now (approximate while producers offer). */
    public int queuedCount() {
        return queue.size();
    }

    /** Submissions that reached the loop after it stopped and ran on the hand-over executor. */
    public long handoverCount() {
        return handovers;
    }

    /** Checkpoint gaps the sampler found on this loop. */
    public long checkpointGapCount() {
        return checkpointGaps;
    }

    /** Counts one checkpoint gap (the sampler's thread only). */
    public void countCheckpointGap() {
        checkpointGaps++;
    }

    /** Submissions that overflowed the ring (virtual threads not admitted as Weft tasks). */
    public long overflowCount() {
        return queue.overflowCount();
    }


    @Override
    public void submit(Runnable r) {
        if (state == STOPPED) {
            handOver(r);
            return;
        }
        queue.offer(r);
        // Dekker with the carrier (parked = true; then queue.isEmpty()): the slot's release-store must be
        // visible before we read `parked`, or both sides miss each other and the task is lost until the
        // next submission. A release store followed by a load is not ordered (x86 store buffer): fence.
        VarHandle.fullFence();
        if (parked) {
            LockSupport.unpark(carrier);
        }
        if (state == STOPPED && !queue.isEmpty()) {
            // The carrier exited between our state check and the offer: move what it left behind.
            drainTo(handover);
        }
    }

    private void handOver(Runnable r) {
        HANDOVERS.getAndAdd(this, 1L);
        Executor h = handover;
        errors.report("loop " + name, new IllegalStateException("the loop is stopped; running a late submission"
                + " on the handover executor (a virtual thread outlived its task scope)"));
        h.execute(r);
    }

    private synchronized void drainTo(Executor h) {
        Runnable r;
        while ((r = queue.poll()) != null) {
            final Runnable entry = r;
            h.execute(entry);
        }
    }

    private void runCarrier() {
        assert Thread.currentThread() == carrier : "a loop runs only on its carrier";
        while (true) {
            int ran = 0;
            Runnable r;
            while (ran < BATCH_MAX && (r = queue.poll()) != null) {
                ran++;
                MOUNTED.setOpaque(this, r);
                MOUNT_SEQ.setOpaque(this, mountSeq + 1); // the carrier is the only writer
                try {
                    if (r instanceof Schedulable s) {
                        s.runOn(this);
                    } else {
                        r.run();
                    }
                } catch (Throwable t) {
                    // A continuation never throws; anything here is a JDK or Weft bug, or the JDK ran out of memory
                    // around a switch. The carrier survives it whatever reporting throws: a dead carrier strands
                    // every task of the loop.
                    try {
                        errors.report(continuationThrew, t);
                    } catch (Throwable reportFailed) {
                        // nothing left to report with
                    }
                }
                MOUNTED.setOpaque(this, null);
            }
            if (ran == BATCH_MAX) {
                continue; // more may be queued; re-check state first
            }
            if (state == STOPPING && queue.isEmpty()) {
                break;
            }
            parked = true;
            VarHandle.fullFence(); // the other half of the Dekker pair in submit()
            if (queue.isEmpty() && state == RUNNING) {
                LockSupport.park(this);
            }
            parked = false;
        }
        synchronized (this) {
            state = STOPPED;
        }
        if (!queue.isEmpty()) {
            drainTo(handover);
        }
    }

    @Override
    public void shutdown(Executor handover) {
        this.handover = handover;
        synchronized (this) {
            if (state == RUNNING) {
                state = STOPPING;
            }
        }
        LockSupport.unpark(carrier);
        if (Thread.currentThread() != carrier) {
            try {
                carrier.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "EventLoop[" + name + "]";
    }
}
