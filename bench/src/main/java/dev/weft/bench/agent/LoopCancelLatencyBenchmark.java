package dev.weft.bench.agent;

import dev.weft.CancelScope;
import dev.weft.Weft;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * latency from a cancel to the {@code Cancelled} throw in an agent-instrumented loop that makes no calls.
 * Before each invocation ({@code Level.Invocation}, not timed) a Weft task enters a fresh cancel scope and starts
 * the loop, and the JMH thread sees it running; the timed operation is {@code CancelScope.cancel()} from the JMH
 * thread (a platform thread, as a deadline timer would be) until the loop's {@code finally} has run, observed by
 * the JMH thread spinning on the flag it sets. {@code Mode.SampleTime} samples every invocation, so p50/p99/p99.9
 * are those of single cancellations.
 *
 * <p>{@code loop}: {@code spin} ({@code while (running[0]) x++}: a check at the back-edge) or {@code counted}
 * (a counted {@code for} over an {@code int[]}, strip-mined: one check per chunk of iterations). The comparison
 * with {@code Thread.interrupt}, which never stops such a loop, is {@link LoopInterruptComparison}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class LoopCancelLatencyBenchmark {
    private static final long WAIT_LIMIT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final VarHandle FLAGS = MethodHandles.arrayElementVarHandle(boolean[].class);

    @Param({"spin", "counted"})
    public String loop;

    KernelSuite kernels;
    /**
     * The next victim to run, handed to the host task, which spins for it. Not a blocking queue: a Weft task parked
     * in a JDK wait and unparked from a platform thread was sometimes never resumed (both loops parked, the task
     * runnable: a lost wakeup, reported to the runtime's owner), which hung the benchmark in its first invocation.
     * Spinning between victims costs nothing measured: the JMH thread spins in {@link #arm()} meanwhile anyway.
     */
    volatile Victim next;
    Thread host;
    /** Why the host's runtime ended early, or null. Written by the host thread. */
    volatile Throwable hostFailure;
    Victim current;

    /** One victim loop. {@code scope} is written by the host task before {@code running[0]}. */
    static final class Victim {
        /** Ends the host task. */
        static final Victim STOP = new Victim();

        final boolean[] running = new boolean[1];
        volatile CancelScope scope;
        volatile boolean cleanedUp;
    }

    @Setup(Level.Trial)
    public void start() {
        if (!loop.equals("spin") && !loop.equals("counted")) {
            throw new IllegalArgumentException("unknown loop " + loop + "; use spin or counted");
        }
        kernels = KernelLoader.load("");
        int[] data = new int[1024];
        host = Thread.ofPlatform().name("weft-bench-loop-host").daemon(true).start(() -> {
            try {
                Weft.run(Weft.options().handleSigint(false).name("bench"), () -> {
                    while (true) {
                        Victim taken;
                        while ((taken = next) == null) {
                            Thread.onSpinWait();
                        }
                        next = null;
                        Victim v = taken;
                        if (v == Victim.STOP) {
                            return null;
                        }
                        CancelScope s = CancelScope.create();
                        v.scope = s;
                        s.run(() -> {
                            try {
                                if (loop.equals("spin")) {
                                    kernels.spin(v.running);
                                } else {
                                    while (true) {
                                        kernels.countedSpin(data, v.running);
                                    }
                                }
                            } finally {
                                v.cleanedUp = true;
                            }
                        });
                    }
                });
            } catch (Throwable t) {
                hostFailure = t;
            }
        });
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        // the last victim was cancelled: the host is back to waiting for the next
        handOff(Victim.STOP);
        host.join(TimeUnit.SECONDS.toMillis(30));
        if (hostFailure != null) {
            throw new IllegalStateException("the benchmark's Weft host failed: " + hostFailure, hostFailure);
        }
    }

    @Setup(Level.Invocation)
    public void arm() {
        current = new Victim();
        handOff(current);
        long deadlineNs = System.nanoTime() + WAIT_LIMIT_NS;
        while (!(boolean) FLAGS.getVolatile(current.running, 0) || current.scope == null) {
            if (deadlineNs - System.nanoTime() < 0 || !host.isAlive()) {
                throw new IllegalStateException("the victim loop did not start within 10 s (host alive: "
                        + host.isAlive() + ", host stack: " + java.util.Arrays.toString(host.getStackTrace())
                        + "); runtime dump:\n" + Weft.dump(), hostFailure);
            }
            Thread.onSpinWait();
        }
    }

    private void handOff(Victim v) {
        long deadlineNs = System.nanoTime() + WAIT_LIMIT_NS;
        while (next != null) { // the host has not taken the previous one yet
            if (deadlineNs - System.nanoTime() < 0 || !host.isAlive()) {
                throw new IllegalStateException("the host task did not take a victim within 10 s", hostFailure);
            }
            Thread.onSpinWait();
        }
        next = v;
    }

    @Benchmark
    public boolean cancelToThrow() {
        Victim v = current;
        v.scope.cancel();
        long spins = 0;
        long startNs = 0;
        while (!v.cleanedUp) {
            Thread.onSpinWait();
            if ((++spins & 0xFFFF) == 0) {
                long now = System.nanoTime();
                if (startNs == 0) {
                    startNs = now;
                } else if (now - startNs > WAIT_LIMIT_NS) {
                    throw new IllegalStateException("the " + loop + " loop was not cancelled within 10 s");
                }
            }
        }
        return true;
    }
}
