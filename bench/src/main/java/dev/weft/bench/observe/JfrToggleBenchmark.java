package dev.weft.bench.observe;

import dev.weft.bench.core.WeftHost;
import java.io.IOException;
import java.text.ParseException;
import java.util.concurrent.TimeUnit;
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
 * {@link JfrCostBenchmark}'s four hot paths (spawn+join, ping-pong, checkpoint, reserve + release) with the two
 * settings to compare alternating in one fork: iteration 0, 2, 4, ... runs with the first, 1, 3, 5, ... with the
 * second ({@code pair = "off|weftDefault"}: no recording, then a recording with the JDK's defaults and
 * {@code weft.jfc}; {@code disabled}: a recording in which every event type, the JDK's and Weft's, is disabled, so
 * that the event sites are reached and find their type off, and JFR itself records nothing). Each odd iteration is compared with the even one before it, one second apart in the same JVM, so a change of the machine's load over minutes (other
 * builds and benchmarks on the 2 shared cores) falls on both sides of each pair; comparing whole forks of one
 * setting with whole forks of the other, minutes apart, measures the load as much as the setting. The ratio per
 * pair is read from JMH's raw iteration scores ({@code -rf json}); the recording is started and stopped in the
 * untimed iteration set-up and tear-down, with a pause after each change so JFR's own threads settle.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 12, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class JfrToggleBenchmark {
    /** Pause after a recording starts or stops, before the next timed iteration (ms). */
    static final long SETTLE_MS = 300;

    @Param({"off|weftDefault", "off|disabled", "jdkDefault|weftDefault"})
    String pair;

    final JfrCostBenchmark work = new JfrCostBenchmark();
    Recording recording;
    int iteration;

    @Setup(Level.Trial)
    public void start() {
        work.host = new WeftHost(WeftHost.options().loops(1));
    }

    @Setup(Level.Iteration)
    public void settings() throws IOException, ParseException, InterruptedException {
        String[] both = pair.split("\\|");
        String now = both[iteration++ % 2];
        if (now.equals("disabled")) {
            recording = new Recording(); // no settings: every event type disabled
            recording.start();
        } else if (!now.equals("off")) {
            recording = new Recording(JfrCostBenchmark.settings(now));
            recording.setToDisk(true);
            recording.setMaxSize(64L << 20);
            recording.start();
        }
        Thread.sleep(SETTLE_MS);
    }

    @TearDown(Level.Iteration)
    public void stopRecording() throws InterruptedException {
        if (recording != null) {
            recording.stop();
            recording.close();
            recording = null;
            Thread.sleep(SETTLE_MS);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        work.host.close();
    }

    @Benchmark
    @OperationsPerInvocation(JfrCostBenchmark.CHILDREN)
    public int spawnJoin() {
        return work.spawnJoin();
    }

    @Benchmark
    @OperationsPerInvocation(JfrCostBenchmark.ROUND_TRIPS)
    public int pingPong() {
        return work.pingPong();
    }

    @Benchmark
    @OperationsPerInvocation(JfrCostBenchmark.CHECKPOINTS)
    public int checkpoint() {
        return work.checkpoint();
    }

    @Benchmark
    @OperationsPerInvocation(JfrCostBenchmark.RESERVATIONS)
    public long reserveRelease() {
        return work.reserveRelease();
    }
}
