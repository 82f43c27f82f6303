package dev.weft.bench.agent;

import dev.weft.CancelScope;
import dev.weft.Cancellation;
import dev.weft.Channel;
import dev.weft.ChannelClosedException;
import dev.weft.Task;
import dev.weft.Weft;
import dev.weft.abi.AgentHooks;
import dev.weft.bench.core.WeftHost;
import dev.weft.internal.cancel.AllocationAllowance;
import dev.weft.internal.cancel.CheckpointProbe;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
 * What a cancelled scope elsewhere in the process costs the checks of tasks it cannot reach ("bystanders"). One
 * operation: a task per loop of a persistent runtime ({@link WeftHost}) runs a CPU-bound loop of
 * {@link #CHECKS_PER_TASK} iterations with a check in each (a compiled back-edge check, {@code AgentHooks.poll()},
 * or Weft's own {@code Cancellation.checkpoint()}), and the host joins them.
 *
 * <p>{@code cancel}:
 * <ul>
 *   <li>{@code none} (the anchor): nothing is cancelled anywhere: every check is one volatile read;
 *   <li>{@code unrelated}: another task sits, parked, inside a scope it cancelled (behind a shield): the
 *       process-wide count is non-zero, and the bystanders' checks go to their second test;
 *   <li>{@code unrelatedEveryTask}: the same, with a no-op checkpoint probe installed, which sends every check of
 *       every task to the slow path (the task lookup and the walk of its scopes): what every check did before the
 *       per-task flag, measured in the same run;
 *   <li>{@code allowance}: nothing is cancelled, but the heap watchdog's allowance is armed (as while the live-heap
 *       estimate is above half the soft limit), with more than the loop allocates, so nobody waits: every check counts
 *       down on its second test, and reads its carrier's allocation counter every 256 checks (the kernel allocates
 *       nothing).
 * </ul>
 *
 * <p>Run with {@code ./weft bench 'BystanderCheckBenchmark' -f 2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class BystanderCheckBenchmark {
    /** Loop iterations (and checks) per task and operation. */
    static final int CHECKS_PER_TASK = 1 << 16;

    @Param({"none", "unrelated", "unrelatedEveryTask", "allowance"})
    public String cancel;

    @Param({"poll", "checkpoint"})
    public String check;

    WeftHost host;
    /** Closed at the tear-down: the unrelated task leaves its cancelled scope. */
    final Channel<Object> release = Channel.create(1);
    boolean probeInstalled;
    boolean allowanceArmed;
    boolean usePoll;
    final int[] data = new int[1024];

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 31;
        }
        usePoll = switch (check) {
            case "poll" -> true;
            case "checkpoint" -> false;
            default -> throw new IllegalArgumentException("unknown check " + check + "; use poll or checkpoint");
        };
        host = new WeftHost(WeftHost.options());
        switch (cancel) {
            case "none" -> { }
            case "unrelated" -> holdUnrelatedCancel();
            case "unrelatedEveryTask" -> {
                holdUnrelatedCancel();
                CheckpointProbe.install(task -> { });
                probeInstalled = true;
            }
            case "allowance" -> {
                AllocationAllowance.grant(Long.MAX_VALUE / 4, 96 << 10);
                allowanceArmed = true;
            }
            default -> throw new IllegalArgumentException("unknown cancel " + cancel
                    + "; use none, unrelated, unrelatedEveryTask or allowance");
        }
    }

    /** Starts a task that stays inside a cancelled scope (parked behind a shield) until the tear-down. */
    private void holdUnrelatedCancel() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        host.call(root -> root.spawn("unrelated", () -> {
            CancelScope c = CancelScope.create().name("unrelated");
            c.run(() -> {
                c.cancel();
                CancelScope.create().shield(true).run(() -> {
                    held.countDown();
                    try {
                        release.receive();
                    } catch (ChannelClosedException closed) {
                        // the tear-down
                    }
                });
            });
        }));
        if (!held.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the unrelated task did not enter its cancelled scope within 10 s");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        if (probeInstalled) {
            CheckpointProbe.uninstall();
        }
        if (allowanceArmed) {
            AllocationAllowance.disarm();
        }
        release.close();
        host.close();
    }

    @Benchmark
    public long bystanders() {
        final boolean poll = usePoll;
        final int[] a = data;
        return host.call(root -> {
            List<dev.weft.Loop> loops = Weft.loops();
            @SuppressWarnings("unchecked")
            Task<Long>[] tasks = new Task[loops.size()];
            for (int i = 0; i < tasks.length; i++) {
                tasks[i] = root.spawnOn(loops.get(i), "bystander-" + i, () -> poll ? spinPoll(a) : spinCheckpoint(a));
            }
            long sum = 0;
            for (Task<Long> t : tasks) {
                sum += t.join();
            }
            return sum;
        });
    }

    /** The kernel, with a compiled check at its back-edge. */
    static long spinPoll(int[] a) {
        long acc = 0;
        for (int i = 0; i < CHECKS_PER_TASK; i++) {
            acc += a[i & (a.length - 1)] ^ (acc >>> 7);
            AgentHooks.poll();
        }
        return acc;
    }

    /** The kernel, with Weft's own checkpoint in each iteration. */
    static long spinCheckpoint(int[] a) {
        long acc = 0;
        for (int i = 0; i < CHECKS_PER_TASK; i++) {
            acc += a[i & (a.length - 1)] ^ (acc >>> 7);
            Cancellation.checkpoint();
        }
        return acc;
    }
}
