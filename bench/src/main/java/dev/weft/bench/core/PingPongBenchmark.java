package dev.weft.bench.core;

import dev.weft.Channel;
import dev.weft.TaskScope;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
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
 * ping-pong between two tasks. One invocation starts a pinger and a ponger, which exchange a
 * token {@link #ROUND_TRIPS} times through two one-slot pipes ({@code ping}, {@code pong}), and waits for
 * both; the score is per round trip (two hand-offs).
 *
 * <ul>
 *   <li>{@link #weft}: two Weft tasks spawned on a one-loop persistent runtime ({@link WeftHost}), so both
 *       share one carrier thread.
 *   <li>{@link #jdk} (the anchor): two virtual threads on the JDK's default scheduler (a ForkJoinPool with
 *       one carrier per core).
 * </ul>
 * {@code mechanism} selects the pipes, identical on both sides: {@code channel} (Weft's {@link Channel} of
 * capacity 1; usable from plain virtual threads too), {@code arrayBlockingQueue} ({@code
 * ArrayBlockingQueue(1)}: a lock and conditions, parks without spinning) and {@code synchronousQueue}
 * (its transfer spins up to 128 {@code onSpinWait}s before parking unless the carrier is a ForkJoinPool
 * worker with queued work: on a loop's only carrier the partner cannot run during that spin).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-preview",
        "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class PingPongBenchmark {
    static final int ROUND_TRIPS = 10_000;
    private static final Object TOKEN = new Object();

    /** A one-slot blocking pipe. */
    interface Pipe {
        void put(Object o) throws InterruptedException;

        Object take() throws InterruptedException;
    }

    static Pipe pipe(String mechanism) {
        return switch (mechanism) {
            case "channel" -> new Pipe() {
                private final Channel<Object> c = Channel.create(1);

                @Override
                public void put(Object o) {
                    c.send(o);
                }

                @Override
                public Object take() {
                    return c.receive();
                }
            };
            case "arrayBlockingQueue" -> new Pipe() {
                private final ArrayBlockingQueue<Object> q = new ArrayBlockingQueue<>(1);

                @Override
                public void put(Object o) throws InterruptedException {
                    q.put(o);
                }

                @Override
                public Object take() throws InterruptedException {
                    return q.take();
                }
            };
            case "synchronousQueue" -> new Pipe() {
                private final SynchronousQueue<Object> q = new SynchronousQueue<>();

                @Override
                public void put(Object o) throws InterruptedException {
                    q.put(o);
                }

                @Override
                public Object take() throws InterruptedException {
                    return q.take();
                }
            };
            default -> throw new IllegalArgumentException("unknown mechanism " + mechanism
                    + "; use channel, arrayBlockingQueue or synchronousQueue");
        };
    }

    @Param({"channel", "arrayBlockingQueue", "synchronousQueue"})
    String mechanism;

    Pipe ping;
    Pipe pong;

    @Setup(Level.Trial)
    public void createPipes() {
        ping = pipe(mechanism);
        pong = pipe(mechanism);
    }

    /** A persistent one-loop Weft runtime. */
    @State(Scope.Benchmark)
    public static class OneLoopHost {
        WeftHost host;

        @Setup(Level.Trial)
        public void start() {
            host = new WeftHost(WeftHost.options().loops(1));
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            host.close();
        }
    }

    static Object pinger(Pipe ping, Pipe pong) throws InterruptedException {
        for (int i = 0; i < ROUND_TRIPS; i++) {
            ping.put(TOKEN);
            pong.take();
        }
        return TOKEN;
    }

    static Object ponger(Pipe ping, Pipe pong) throws InterruptedException {
        for (int i = 0; i < ROUND_TRIPS; i++) {
            pong.put(ping.take());
        }
        return TOKEN;
    }

    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public int weft(OneLoopHost h) {
        final Pipe ping = this.ping;
        final Pipe pong = this.pong;
        return h.host.call(root -> TaskScope.run(scope -> {
            scope.spawn("ponger", () -> ponger(ping, pong));
            scope.spawn("pinger", () -> pinger(ping, pong));
            return ROUND_TRIPS;
        }));
    }

    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public int jdk() throws InterruptedException {
        final Pipe ping = this.ping;
        final Pipe pong = this.pong;
        Throwable[] failure = new Throwable[2];
        Thread ponger = Thread.ofVirtual().start(() -> {
            try {
                ponger(ping, pong);
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        Thread pinger = Thread.ofVirtual().start(() -> {
            try {
                pinger(ping, pong);
            } catch (Throwable t) {
                failure[1] = t;
            }
        });
        pinger.join();
        ponger.join();
        for (Throwable t : failure) {
            if (t != null) {
                throw new IllegalStateException("ping-pong thread failed: " + t, t);
            }
        }
        return ROUND_TRIPS;
    }
}
