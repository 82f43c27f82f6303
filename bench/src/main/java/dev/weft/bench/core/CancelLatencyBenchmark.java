package dev.weft.bench.core;

import dev.weft.Channel;
import dev.weft.Task;
import dev.weft.ThrowingCallable;
import dev.weft.Weft;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * cancel-to-cleanup latency. Before each invocation ({@code Level.Invocation}, not timed) a
 * victim is started and observed parked (thread state {@code WAITING} or {@code TIMED_WAITING}); the
 * timed operation is the cancel request from the JMH thread (a platform thread, as a deadline timer or
 * another loop would be) until the victim's {@code finally} block has run, observed by the JMH thread
 * spinning on the flag that block sets. {@code Mode.SampleTime} samples every invocation, so the
 * percentiles (p50, p99, p99.9) are those of single cancellations.
 *
 * <p>{@code victim}:
 * <ul>
 *   <li>{@code weftSleep}: a Weft task in {@code Weft.sleep(1 h)}, cancelled by {@code Task.cancel()};
 *   <li>{@code weftChannelReceive}: a Weft task in {@code Channel.receive()} on an empty channel, same;
 *   <li>{@code weftInJdkSleep}: a Weft task in the JDK's {@code Thread.sleep(1 h)}, same (Weft wakes it
 *       with an interrupt);
 *   <li>{@code jdkSleep} (the anchor): a virtual thread on the JDK's default scheduler in
 *       {@code Thread.sleep(1 h)}, cancelled by {@code Thread.interrupt()}.
 * </ul>
 * Weft victims run on loop 0 of a persistent runtime ({@link WeftHost}) whose loop is otherwise idle, so
 * the latency includes waking its parked carrier thread, as the anchor includes waking a ForkJoinPool
 * worker.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-preview",
        "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class CancelLatencyBenchmark {
    private static final long WAIT_LIMIT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final Duration FOREVER = Duration.ofHours(1);

    @Param({"weftSleep", "weftChannelReceive", "weftInJdkSleep", "jdkSleep"})
    String victim;

    WeftHost host;
    /** Never sent to: the weftChannelReceive victim waits here. */
    final Channel<Object> never = Channel.create(1);
    ThrowingCallable<Object, Exception> weftVictimBody;

    /** The current victim, one of them non-null. Written and read by the JMH thread. */
    Task<?> task;
    Thread thread;
    /** The victim's thread, published by the victim before it blocks. */
    volatile Thread victimThread;
    /** Set by the victim's finally block. */
    volatile boolean cleanedUp;

    @Setup(Level.Trial)
    public void start() {
        Runnable block = switch (victim) {
            case "weftSleep" -> () -> Weft.sleep(FOREVER);
            case "weftChannelReceive" -> never::receive;
            case "weftInJdkSleep", "jdkSleep" -> null;
            default -> throw new IllegalArgumentException("unknown victim " + victim
                    + "; use weftSleep, weftChannelReceive, weftInJdkSleep or jdkSleep");
        };
        if (victim.equals("jdkSleep")) {
            return;
        }
        host = new WeftHost(WeftHost.options());
        weftVictimBody = block != null
                ? () -> {
                    victimThread = Thread.currentThread();
                    try {
                        block.run();
                    } finally {
                        cleanedUp = true;
                    }
                    return null;
                }
                : () -> {
                    victimThread = Thread.currentThread();
                    try {
                        Thread.sleep(FOREVER);
                    } finally {
                        cleanedUp = true;
                    }
                    return null;
                };
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        if (host != null) {
            host.close();
        }
    }

    @Setup(Level.Invocation)
    public void arm() {
        cleanedUp = false;
        victimThread = null;
        if (host != null) {
            ThrowingCallable<Object, Exception> body = weftVictimBody;
            task = host.call(scope -> scope.spawn("victim", body));
        } else {
            thread = Thread.ofVirtual().name("victim").start(() -> {
                victimThread = Thread.currentThread();
                try {
                    Thread.sleep(FOREVER);
                } catch (InterruptedException expected) {
                    // the cancellation
                } finally {
                    cleanedUp = true;
                }
            });
        }
        long deadlineNs = System.nanoTime() + WAIT_LIMIT_NS;
        while (true) {
            Thread t = victimThread;
            if (t != null) {
                Thread.State s = t.getState();
                if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                    return;
                }
            }
            if (deadlineNs - System.nanoTime() < 0) {
                throw new IllegalStateException("victim " + victim + " did not block within 10 s; state "
                        + (t == null ? "not started" : t.getState()));
            }
            Thread.yield();
        }
    }

    @Benchmark
    public boolean cancelToCleanup() {
        if (task != null) {
            task.cancel();
        } else {
            thread.interrupt();
        }
        long spins = 0;
        long startNs = 0;
        while (!cleanedUp) {
            Thread.onSpinWait();
            if ((++spins & 0xFFFF) == 0) {
                long now = System.nanoTime();
                if (startNs == 0) {
                    startNs = now;
                } else if (now - startNs > WAIT_LIMIT_NS) {
                    throw new IllegalStateException("victim " + victim + " did not run its cleanup within 10 s"
                            + " of the cancel");
                }
            }
        }
        return true;
    }

    @TearDown(Level.Invocation)
    public void reap() throws InterruptedException {
        if (task != null) {
            try {
                task.join();
                throw new IllegalStateException("victim " + victim + " returned instead of being cancelled");
            } catch (CancellationException expected) {
                // a cancelled task
            }
            task = null;
        } else {
            thread.join();
            thread = null;
        }
    }
}
