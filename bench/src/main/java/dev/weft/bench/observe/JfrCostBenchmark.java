package dev.weft.bench.observe;

import dev.weft.Channel;
import dev.weft.TaskScope;
import dev.weft.ThrowingCallable;
import dev.weft.internal.event.Jfr;
import dev.weft.bench.core.WeftHost;
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
 * What Weft's JFR events cost on its two hottest paths: spawn+join of 10,000 trivial children and
 * ping-pong of 10,000 round trips over {@code Channel}s of capacity 1, both on a one-loop persistent runtime.
 *
 * <p>{@code jfr}: {@code off} (no recording: the event sites read one field and no event class is loaded),
 * {@code jdkOnly} (a recording with the JDK's {@code default.jfc}, Weft's events disabled),
 * {@code weftDefault} (the same recording plus {@code weft.jfc}: every Weft event at its default, task start and
 * end off) and {@code weftAll} ({@code weftDefault} plus task start and end). The recording runs in the
 * benchmark's JVM from the trial's setup, as {@code -XX:StartFlightRecording} would. The 2 % target compares
 * {@code weftDefault} with {@code jdkOnly}: a JFR recording itself costs far more than that, whoever's events it has.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class JfrCostBenchmark {
    static final int CHILDREN = 10_000;
    static final int ROUND_TRIPS = 10_000;
    private static final ThrowingCallable<Integer, RuntimeException> CHILD = () -> 1;
    private static final Object TOKEN = new Object();

    @Param({"off", "jdkOnly", "weftDefault", "weftAll"})
    String jfr;

    WeftHost host;
    Recording recording;

    @Setup(Level.Trial)
    public void start() throws IOException, ParseException {
        host = new WeftHost(WeftHost.options().loops(1));
        if (jfr.equals("off")) {
            return;
        }
        Map<String, String> settings = new HashMap<>(Configuration.getConfiguration("default").getSettings());
        Map<String, String> weft;
        try (Reader r = new InputStreamReader(Jfr.weftJfc(), StandardCharsets.UTF_8)) {
            weft = Configuration.create(r).getSettings();
        }
        for (Map.Entry<String, String> e : weft.entrySet()) {
            boolean enabledSetting = e.getKey().endsWith("#enabled");
            if (jfr.equals("jdkOnly")) {
                settings.put(e.getKey(), enabledSetting ? "false" : e.getValue());
            } else {
                settings.put(e.getKey(), e.getValue());
            }
        }
        if (jfr.equals("weftAll")) {
            settings.put("dev.weft.TaskStart#enabled", "true");
            settings.put("dev.weft.TaskEnd#enabled", "true");
        } else if (jfr.equals("weftDefault")) {
            settings.put("dev.weft.TaskStart#enabled", "false");
            settings.put("dev.weft.TaskEnd#enabled", "false");
        }
        recording = new Recording(settings);
        recording.setToDisk(true);
        recording.setMaxSize(64L << 20);
        recording.start();
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
}
