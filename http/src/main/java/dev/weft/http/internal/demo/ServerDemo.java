package dev.weft.http.internal.demo;

import dev.weft.CancelScope;
import dev.weft.Cancellation;
import dev.weft.Cancelled;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.http.HttpServer;
import dev.weft.http.HttpServerConfig;
import dev.weft.http.ServerStatistics;
import dev.weft.http.internal.load.LatencyPlot;
import dev.weft.http.internal.load.OpenLoopLoad;
import dev.weft.memory.MemoryBudget;
import example.http.ExampleServer;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The program {@code weft demo} runs under {@code weft run} (so the agent makes the CPU-bound {@code /cpu}
 * handler cancellable): Weft's HTTP server with the example endpoints on a free loopback port, driven by an
 * open-loop load ({@link OpenLoopLoad}) that first measures what the server admits under overload, then rises
 * from half of that to three times it. It prints a progress line a second, then the report (answers by status,
 * admitted latency percentiles, rejects, cancellations and their cleanups, the memory plan against the heap,
 * the slots and reservations returned) and writes a latency-over-time plot (SVG).
 *
 * <p>Ctrl-C cancels the root task: the load stops, the server's handlers are cancelled and cleaned up, and the
 * report of what ran so far is printed (in a shielded scope) before the exit status 130.
 *
 * <p>Exit status 0, or 1 when a request hung (unanswered within the client's timeout) or a slot or reservation
 * did not return: the demo checks the properties it shows.
 *
 * <p>Usage: {@code ServerDemo [--duration D] [--plot FILE]} (D as {@code 20s}, {@code 500ms}).
 *
 * <h2>Thread safety</h2>
 * {@code main} runs once. The fields of {@link Run} say who touches them.
 */
public final class ServerDemo {
    private ServerDemo() {}

    /** The demo's deadline: long enough for the ordinary requests at 3x overload, short for a runaway one. */
    static final Duration DEADLINE = Duration.ofMillis(500);
    /** Handler slots: a few per core, so an overload is visible in seconds. */
    static final int HANDLERS = 16;
    /** The first calibration second's rate; each next one is 3x the best admitted rate so far. */
    static final double CALIBRATION_START_PER_SECOND = 600;
    /** The client's timeout: a request unanswered this long counts as hung. */
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(10);

    /** State shared by the demo's threads for one run. */
    private static final class Run {
        /** Cleanups of cancelled handlers that completed; incremented by handler tasks, read by the main task. */
        final AtomicLong cancelledCleanups = new AtomicLong();
        /** Cleanups of handlers that ran (any); incremented by handler tasks. */
        final AtomicLong cleanups = new AtomicLong();
        /** Peak heap used, sampled; written by the sampler thread, read by the main task. */
        final AtomicLong heapPeak = new AtomicLong();
        /** The most heap in use just after a collection (the last one of each collector); sampler thread. */
        final AtomicLong liveAfterGcPeak = new AtomicLong();
        /** Peak bytes the server holds on its budget; written by the sampler thread. */
        final AtomicLong serverInUsePeak = new AtomicLong();
        /** Set by the main task when the run ends; read by the sampler thread. */
        volatile boolean done;
    }

    public static void main(String[] args) {
        if (System.getProperty("slf4j.provider") == null) { // Jetty logs through SLF4J; no backend here
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        Duration duration = Duration.ofSeconds(20);
        Path plot = Path.of(System.getProperty("java.io.tmpdir"), "weft-demo", "latency.svg");
        try {
            for (int i = 0; i < args.length; i++) {
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--duration" -> duration = duration(need(args[i], v));
                    case "--plot" -> plot = Path.of(need(args[i], v));
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
                i++;
            }
            if (duration.compareTo(Duration.ofSeconds(6)) < 0) {
                throw new IllegalArgumentException("--duration " + duration.toMillis() + "ms is too short: the demo"
                        + " measures capacity first; give 6s or more");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("weft demo: " + e.getMessage()
                    + "\nusage: weft demo [--duration D] [--plot FILE]   (D: 20s, 1m)");
            System.exit(2);
            return;
        }
        Duration d = duration;
        Path p = plot;
        int status = Weft.exitStatus(() -> {
            int s = Weft.run(() -> demo(d, p, System.out));
            if (s != 0) {
                System.exit(s);
            }
        });
        System.exit(status);
    }

    static int demo(Duration duration, Path plotFile, PrintStream out) throws Exception {
        Run run = new Run();
        HttpServerConfig config = HttpServerConfig.defaults().withPort(0).withHandlersMax(HANDLERS)
                .withQueue(HANDLERS, Duration.ofMillis(100)).withRequestTimeout(DEADLINE);
        HttpServer server = HttpServer.bind(config, ExampleServer.router(line -> {
            run.cleanups.incrementAndGet();
            if (Cancellation.isCancelled()) { // called from the handler's finally, in its cancelled scope
                run.cancelledCleanups.incrementAndGet();
            }
        }));
        out.println("Weft demo: the HTTP server under an open-loop load that rises to 3x what it admits");
        out.printf(Locale.ROOT, "  %d handler slots, a waiting line of %d for at most 100 ms (then 503 + Retry-After),"
                + " deadline %d ms (504), %d connection slots; %d CPU(s)%n", HANDLERS, HANDLERS, DEADLINE.toMillis(),
                config.connectionsMax(), Runtime.getRuntime().availableProcessors());
        out.print(server.planTable().indent(2));
        InetSocketAddress target = new InetSocketAddress(config.bindAddress(), server.port());
        out.println("  listening on http://" + config.bindAddress().getHostAddress() + ":" + server.port());
        out.flush();
        Thread sampler = Thread.ofPlatform().daemon().name("demo-heap-sampler").start(() -> sample(run, server));
        List<Integer> status = new ArrayList<>(List.of(0));
        try (server) {
            TaskScope.run(scope -> {
                scope.spawn("server", () -> {
                    server.serve();
                    return null;
                });
                java.util.concurrent.atomic.AtomicReference<OpenLoopLoad.Result> result =
                        new java.util.concurrent.atomic.AtomicReference<>();
                double capacity = 0;
                long startNs = System.nanoTime();
                boolean interrupted = true;
                try {
                    long calibrateNs = Math.clamp(duration.toNanos() / 4, 2_500_000_000L, 4_000_000_000L);
                    out.printf(Locale.ROOT, "%nmeasuring what it admits: %.1f s of overload, each second at 3x the best"
                            + " admitted rate so far...%n", calibrateNs / 1e9);
                    AtomicLong best = new AtomicLong(Double.doubleToLongBits(CALIBRATION_START_PER_SECOND / 3));
                    var calibration = new java.util.concurrent.atomic.AtomicReference<OpenLoopLoad.Result>();
                    drive(new OpenLoopLoad(spec(target, CALIBRATION_START_PER_SECOND,
                            t -> 3 * Double.longBitsToDouble(best.get()), calibrateNs)), out, server, -1, calibration, iv -> {
                                double admitted = iv.ok() + iv.otherAdmitted();
                                if (iv.second() > 0 && admitted > Double.longBitsToDouble(best.get())) {
                                    best.set(Double.doubleToLongBits(admitted));
                                }
                            });
                    capacity = admittedPerSecond(calibration.get());
                    out.printf(Locale.ROOT, "  admits %.0f requests/s (answers not 503, best second after the first)%n%n",
                            capacity);
                    double cap = Math.max(1, capacity);
                    long rampNs = duration.toNanos() - calibrateNs;
                    double rampSeconds = rampNs / 1e9;
                    out.printf(Locale.ROOT, "load: %.0f s, from 0.5x to 3x (%.0f to %.0f requests/s), then held;"
                            + " mixed requests (see below)%n", rampSeconds, 0.5 * cap, 3 * cap);
                    OpenLoopLoad load = new OpenLoopLoad(spec(target, cap,
                            t -> cap * Math.min(3, 0.5 + 2.5 * t / (0.7 * rampSeconds)), rampNs));
                    drive(load, out, server, cap, result, iv -> { });
                    interrupted = false;
                } finally {
                    OpenLoopLoad.Result r = result.get();
                    double c = capacity;
                    boolean i = interrupted;
                    CancelScope.shielded(Duration.ofSeconds(20), () -> {
                        status.set(0, report(r, c, i, server, run, plotFile, out, (System.nanoTime() - startNs) / 1e9));
                        server.shutdown();
                    });
                }
                return null;
            });
        } finally {
            run.done = true;
            sampler.interrupt();
        }
        return status.get(0);
    }

    /** The mix: mostly short CPU-bound and sleeping requests, some allocating, and a few that run away. */
    static List<OpenLoopLoad.Kind> mix(double capacityPerSecond) {
        double rare = Math.max(0.05, 1000 * 0.5 / capacityPerSecond); // about one every 2 s at 1x
        return List.of(new OpenLoopLoad.Kind("cpu 2 ms", "/cpu?ms=2", 700, -1),
                new OpenLoopLoad.Kind("sleep 20 ms", "/sleep?ms=20", 200, -1),
                new OpenLoopLoad.Kind("alloc 1 MiB", "/alloc?mb=1", 20, -1),
                new OpenLoopLoad.Kind("alloc 2 MiB (over its budget: 507)", "/alloc?mb=2", 10, -1),
                new OpenLoopLoad.Kind("health", "/health", 20, -1),
                new OpenLoopLoad.Kind("cpu 60 s (past the deadline: 504)", "/cpu?ms=60000", rare, -1),
                new OpenLoopLoad.Kind("cpu 60 s, client gone after 150 ms", "/cpu?ms=60000", rare, 150_000_000L));
    }

    private static OpenLoopLoad.Spec spec(InetSocketAddress target, double capacity,
            java.util.function.DoubleUnaryOperator rate, long durationNs) {
        return new OpenLoopLoad.Spec(target, mix(capacity), rate, durationNs, 900, 20_000, CLIENT_TIMEOUT.toNanos());
    }

    /**
     * Runs the load on its own thread, prints a progress line a second, and puts its result into {@code result}
     * (also when cancelled: the load stops and what ran is the result).
     */
    private static void drive(OpenLoopLoad load, PrintStream out, HttpServer server, double capacity,
            java.util.concurrent.atomic.AtomicReference<OpenLoopLoad.Result> result,
            java.util.function.Consumer<OpenLoopLoad.Interval> onSecond) throws Exception {
        CompletableFuture<OpenLoopLoad.Result> done = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("demo-load").start(() -> {
            try {
                done.complete(load.run(e -> e instanceof Cancelled)); // weft run cancels this thread too: a stop
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        });
        try {
            int printed = 0;
            while (!done.isDone()) {
                Weft.sleep(Duration.ofMillis(100)); // a cancellation point: Ctrl-C lands here
                List<OpenLoopLoad.Interval> ivs = load.intervals();
                for (; printed < ivs.size(); printed++) {
                    onSecond.accept(ivs.get(printed));
                    if (capacity > 0) {
                        progress(out, ivs.get(printed), capacity, server.statistics());
                    }
                }
            }
        } finally {
            load.stop();
            CancelScope.shielded(Duration.ofSeconds(30), () -> t.join(CLIENT_TIMEOUT.toMillis() + 5_000));
            try {
                result.set(done.getNow(null));
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof Cancelled)) {
                    throw e;
                }
                // under weft run a stop cancels the program's own threads too, the load's among them: no result,
                // and the report says it stopped before the load's result; the program's own Cancelled goes on
            }
        }
    }

    private static void progress(PrintStream out, OpenLoopLoad.Interval iv, double capacity, ServerStatistics s) {
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        out.printf(Locale.ROOT, "  %3d s  offered %4.1fx (%5.0f/s)  ok %5d/s  503 %5d/s  other %3d/s"
                        + "  admitted p50 %6.1f ms p99 %6.1f ms  busy %2d/%d queued %2d  heap %4d MiB%n",
                iv.second() + 1, iv.offeredPerSecond() / capacity, iv.offeredPerSecond(), iv.ok(), iv.rejected(),
                iv.otherAdmitted(), iv.admittedP50Us() / 1000.0, iv.admittedP99Us() / 1000.0, s.handlersBusy(),
                s.handlersMax(), s.queued(), heap >> 20);
        out.flush();
    }

    /** The best second's admitted answers (not 503), skipping the first (warm-up). */
    static double admittedPerSecond(OpenLoopLoad.Result r) {
        double best = 0;
        List<OpenLoopLoad.Interval> ivs = r.intervals();
        for (int i = ivs.size() > 1 ? 1 : 0; i < ivs.size(); i++) {
            best = Math.max(best, ivs.get(i).ok() + ivs.get(i).otherAdmitted());
        }
        return best;
    }

    private static void sample(Run run, HttpServer server) {
        var memory = ManagementFactory.getMemoryMXBean();
        java.util.Set<String> heapPoolNames = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName)
                .collect(java.util.stream.Collectors.toSet());
        List<com.sun.management.GarbageCollectorMXBean> collectors = ManagementFactory
                .getPlatformMXBeans(com.sun.management.GarbageCollectorMXBean.class);
        while (!run.done) {
            run.heapPeak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
            long live = 0;
            for (var gc : collectors) { // the heap right after each collector's last collection, every pool
                var info = gc.getLastGcInfo();
                if (info != null) {
                    long after = 0;
                    for (var e : info.getMemoryUsageAfterGc().entrySet()) {
                        if (heapPoolNames.contains(e.getKey())) {
                            after += e.getValue().getUsed();
                        }
                    }
                    live = Math.max(live, after);
                }
            }
            run.liveAfterGcPeak.accumulateAndGet(live, Math::max);
            run.serverInUsePeak.accumulateAndGet(server.statistics().inUseBytes(), Math::max);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static int report(OpenLoopLoad.Result r, double capacity, boolean interrupted, HttpServer server, Run run,
            Path plotFile, PrintStream out, double elapsedSeconds) throws Exception {
        // the handlers of abandoned requests may still be unwinding, and the server may not yet have seen the
        // generator close its connections: wait for both, bounded
        long end = System.nanoTime() + 5_000_000_000L;
        while ((server.statistics().handlersBusy() > 0 || server.statistics().connectionsOpen() > 0)
                && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        ServerStatistics s = server.statistics();
        out.println();
        out.println("=== report" + (interrupted ? " (stopped early: cancelled by Ctrl-C or SIGTERM)" : "") + " ===");
        if (r == null) {
            out.printf(Locale.ROOT, "stopped after %.1f s, before the load's result; the server's counters: %s%n",
                    elapsedSeconds, s);
            return 0;
        }
        out.printf(Locale.ROOT, "load: %.1f s open-loop after the capacity measurement (%.0f admitted/s), %d requests"
                + " due, %d sent on %d connections; %d CPU(s) (shared with whatever else runs)%n", r.seconds(), capacity,
                r.due(), r.sent(), r.connectionsOpened(), Runtime.getRuntime().availableProcessors());
        out.println("mix: " + String.join(", ", mix(capacity).stream().map(OpenLoopLoad.Kind::name).toList()));
        out.println();
        out.println("requests by status:");
        for (int code = 0; code < 600; code++) {
            if (r.status(code) > 0) {
                out.printf(Locale.ROOT, "  %d  %8d%s%n", code, r.status(code), meaning(code));
            }
        }
        out.printf(Locale.ROOT, "  disconnected by the client  %8d  (it closed its connection, as its kind says)%n",
                r.abandoned());
        out.printf(Locale.ROOT, "  no answer (hung)            %8d  (unanswered within the client's %d s)%n",
                r.timedOut(), CLIENT_TIMEOUT.toSeconds());
        out.printf(Locale.ROOT, "  connection errors           %8d%n", r.errors());
        out.printf(Locale.ROOT, "  not sent                    %8d  (the generator's own backlog full, or at the end)%n",
                r.notSent());
        out.println();
        out.println("latency of admitted requests (every answer but 503), from the intended send time:");
        out.println("  " + percentiles(r.admitted()));
        out.println("  of those 2xx: " + percentiles(r.ok()));
        out.println("  the server's part (from the request's write): " + percentiles(r.admittedFromSend()));
        out.println("  the client's part, every request sent (intended time to its write): " + percentiles(r.sendLag()));
        out.println();
        out.printf(Locale.ROOT, "rejects: %d answered 503, %d of them with Retry-After; latency %s%n", r.status(503),
                r.rejectedWithRetryAfter(), percentiles(r.rejected()));
        out.println();
        out.printf(Locale.ROOT, "cancellations: %d handlers cancelled, %d by the deadline (504), %d by a disconnect%n",
                s.cancelled(), s.deadlineExceeded(), s.disconnects());
        out.printf(Locale.ROOT, "  cleanups completed: %d handler finally blocks ran under cancellation (not one per"
                + " cancelled handler: one cancelled before its body began has none, one whose deadline passes in its"
                + " finally is counted here and answered), and %s%n", run.cancelledCleanups.get(),
                s.handlersBusy() == 0 ? "every cancelled handler's slot came back" : s.handlersBusy()
                        + " slot(s) still busy");
        out.println();
        long plan = server.plan().totalBytes();
        long soft = MemoryBudget.root().limitBytesSoft();
        long max = Runtime.getRuntime().maxMemory();
        out.printf(Locale.ROOT, "memory: the server's plan %s committed on the root budget%s; the server held at most"
                + " %s of it%n", mib(plan), soft > 0 && soft < Long.MAX_VALUE ? " (soft limit " + mib(soft) + ")" : "",
                mib(run.serverInUsePeak.get()));
        out.printf(Locale.ROOT, "  heap: peak used %s (sampled every 10 ms, garbage included), heap just after a"
                + " collection at most %s, max heap %s; load generator in the same JVM%n", mib(run.heapPeak.get()),
                mib(run.liveAfterGcPeak.get()), mib(max));
        out.println();
        boolean slotsBack = s.handlersBusy() == 0 && s.handlerReservedBytes() == 0;
        out.printf(Locale.ROOT, "slots and reservations after the run: %d of %d handler slots free, %d bytes reserved by"
                + " handlers, %d connections open%n", s.handlersMax() - s.handlersBusy(), s.handlersMax(),
                s.handlerReservedBytes(), s.connectionsOpen());
        Files.createDirectories(plotFile.toAbsolutePath().getParent());
        Files.writeString(plotFile, plot(r, capacity));
        out.println();
        out.println("latency plot: " + plotFile.toAbsolutePath());
        boolean ok = r.timedOut() == 0 && slotsBack;
        out.println(ok ? "Demo finished: no request hung; every slot and reservation returned."
                : "Demo FAILED: " + (r.timedOut() > 0 ? r.timedOut() + " request(s) hung; " : "")
                        + (slotsBack ? "" : "slots or reservations did not return"));
        out.flush();
        return ok || interrupted ? 0 : 1;
    }

    private static String meaning(int code) {
        return switch (code) {
            case 200 -> "  ok";
            case 503 -> "  rejected by admission (waiting line full or 100 ms passed)";
            case 504 -> "  the deadline cancelled the handler";
            case 507 -> "  past the handler's memory budget";
            default -> "";
        };
    }

    static String percentiles(Histogram h) {
        if (h.getTotalCount() == 0) {
            return "none";
        }
        return String.format(Locale.ROOT, "p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  max %.2f ms  (n=%d)",
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, h.getTotalCount());
    }

    private static String plot(OpenLoopLoad.Result r, double capacity) {
        List<OpenLoopLoad.Interval> ivs = r.intervals();
        int n = ivs.size();
        double[] x = new double[n];
        double[] p50 = new double[n];
        double[] p99 = new double[n];
        double[] rej = new double[n];
        double[] offered = new double[n];
        for (int i = 0; i < n; i++) {
            OpenLoopLoad.Interval iv = ivs.get(i);
            x[i] = iv.second() + 1;
            p50[i] = iv.admittedP50Us() / 1000.0;
            p99[i] = iv.admittedP99Us() / 1000.0;
            rej[i] = iv.rejectedP99Us() / 1000.0;
            offered[i] = iv.offeredPerSecond() / Math.max(1, capacity);
        }
        return LatencyPlot.svg("weft demo: latency over time under a rising open-loop load", "seconds",
                "latency (ms, from the intended send time)", "offered load (x admitted capacity)", List.of(
                        new LatencyPlot.Series("admitted p50", "#1f77b4", x, p50, false, false),
                        new LatencyPlot.Series("admitted p99", "#d62728", x, p99, false, false),
                        new LatencyPlot.Series("503 p99", "#ff7f0e", x, rej, false, false),
                        new LatencyPlot.Series("offered load", "#777777", x, offered, true, true)));
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static String need(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    static Duration duration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("'" + s + "' is not a duration; write 20s, 1m or 500ms");
        }
    }
}
