package dev.weft.bench.observe;

import dev.weft.Cancellation;
import dev.weft.Channel;
import dev.weft.TaskScope;
import dev.weft.ThrowingCallable;
import dev.weft.bench.core.WeftHost;
import dev.weft.internal.event.Jfr;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.Reservation;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What Weft's JFR events cost on the hot paths: spawn+join of 10,000 trivial children, ping-pong of 10,000 round
 * trips over {@code Channel}s of capacity 1 (the switch: two waits a side per round trip), 10,000
 * {@link Cancellation#checkpoint()} calls in a task, and 10,000 reserve + release pairs of 64 bytes on a
 * three-level budget in a task; all on a one-loop persistent runtime.
 *
 * <p>{@code jfr}, all four in the same JMH run, each in its own forks:
 * <ul>
 * <li>{@code off}: no recording. The event sites read one field and no event class is loaded.</li>
 * <li>{@code jdkDefault}: a recording with the JDK's {@code default.jfc} and every Weft event disabled: the event
 *     sites are reached and the event classes loaded, but each type is disabled. What a disabled type costs is
 *     {@code jdkDefault} against {@code off} once the JDK's own events are accounted for (allocation: identical).</li>
 * <li>{@code weftDefault}: the JDK's {@code default.jfc} plus {@code weft.jfc} as shipped (task start and end
 *     off), as {@code weft run --jfr} records.</li>
 * <li>{@code weftTasks}: {@code weftDefault} plus task start and end (one event each per spawned task).</li>
 * <li>{@code weftNoGap} (only by {@code -p}): {@code weftDefault} without the checkpoint-gap event, so without its
 *     sampler on JFR's periodic thread.</li>
 * </ul>
 * The recording runs in the benchmark's JVM from the trial's setup, as {@code -XX:StartFlightRecording} would.
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} (bytes per operation) shows whether an event site allocates.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class JfrCostBenchmark {
    static final int CHILDREN = 10_000;
    static final int ROUND_TRIPS = 10_000;
    static final int CHECKPOINTS = 10_000;
    static final int RESERVATIONS = 10_000;
    static final long BYTES = 64;
    private static final ThrowingCallable<Integer, RuntimeException> CHILD = () -> 1;
    private static final Object TOKEN = new Object();

    @Param({"off", "jdkDefault", "weftDefault", "weftTasks"})
    String jfr;

    WeftHost host;
    Recording recording;
    final MemoryBudget component = MemoryBudget.root().child("component", 1L << 40);
    final MemoryBudget leaf = component.child("leaf", 1L << 40);

    @Setup(Level.Trial)
    public void start() throws IOException, ParseException {
        host = new WeftHost(WeftHost.options().loops(1));
        if (jfr.equals("off")) {
            return;
        }
        recording = new Recording(settings(jfr));
        recording.setToDisk(true);
        recording.setMaxSize(64L << 20);
        recording.start();
    }

    /** The JDK's default settings with Weft's on top, as the variant {@code jfr} wants them. */
    static Map<String, String> settings(String jfr) throws IOException, ParseException {
        Map<String, String> settings = new HashMap<>(Configuration.getConfiguration("default").getSettings());
        Map<String, String> weft;
        try (Reader r = new InputStreamReader(Jfr.weftJfc(), StandardCharsets.UTF_8)) {
            weft = Configuration.create(r).getSettings();
        }
        for (Map.Entry<String, String> e : weft.entrySet()) {
            boolean enabledSetting = e.getKey().endsWith("#enabled");
            settings.put(e.getKey(), jfr.equals("jdkDefault") && enabledSetting ? "false" : e.getValue());
        }
        if (jfr.equals("weftNoGap")) {
            settings.put("dev.weft.CheckpointGap#enabled", "false"); // no checkpoint-gap sampler
        }
        if (jfr.equals("weftTasks")) {
            settings.put("dev.weft.TaskStart#enabled", "true");
            settings.put("dev.weft.TaskEnd#enabled", "true");
        }
        return settings;
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        if (recording != null) {
            recording.stop();
            recording.close();
        }
        host.close();
    }

    @Benchmark
    @OperationsPerInvocation(CHILDREN)
    public int spawnJoin() {
        return host.call(root -> TaskScope.run(scope -> {
            for (int i = 0; i < CHILDREN; i++) {
                scope.spawn(CHILD);
            }
            return CHILDREN;
        }));
    }

    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public int pingPong() {
        Channel<Object> ping = Channel.create(1);
        Channel<Object> pong = Channel.create(1);
        return host.call(root -> TaskScope.run(scope -> {
            scope.spawn("ponger", () -> {
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    pong.send(ping.receive());
                }
                return null;
            });
            scope.spawn("pinger", () -> {
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    ping.send(TOKEN);
                    pong.receive();
                }
                return null;
            });
            return ROUND_TRIPS;
        }));
    }

    @Benchmark
    @OperationsPerInvocation(CHECKPOINTS)
    public int checkpoint() {
        return host.call(root -> {
            int n = 0;
            for (int i = 0; i < CHECKPOINTS; i++) {
                Cancellation.checkpoint();
                n++;
            }
            return n;
        });
    }

    @Benchmark
    @OperationsPerInvocation(RESERVATIONS)
    public long reserveRelease() {
        return host.call(root -> {
            long v = 0;
            for (int i = 0; i < RESERVATIONS; i++) {
                try (Reservation r = leaf.reserve(BYTES)) {
                    v += r.bytes();
                }
            }
            return v;
        });
    }
}
