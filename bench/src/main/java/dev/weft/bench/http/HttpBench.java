package dev.weft.bench.http;

import dev.weft.http.internal.load.LatencyPlot;
import dev.weft.http.internal.load.OpenLoopLoad;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cross-server HTTP benchmark ({@code ./weft bench http}): each server of {@link BenchServer} in its own JVM
 * (fixed, pre-touched heap), one after the other on loopback, driven by this JVM.
 *
 * <ol>
 * <li>Peak throughput with wrk (closed loop, which is right for a peak): {@code /hello}, and {@code /cpu?ms=1}.
 * <li>Weft's {@code /cpu?ms=1} peak is the admitted capacity C. Every server then gets the same open-loop load
 *     ({@link OpenLoopLoad}, latency from each request's intended send time) of {@code /cpu?ms=1} at 0.5C, 2C and
 *     10C: goodput (2xx per second), admitted p99 (every answer but 503), 503s, requests unanswered within 10 s,
 *     and the server JVM's peak heap (used, and the most in use just after a collection).
 * <li>Weft only, under the agent: a CPU-bound handler with no checks of its own cancelled by a 5 ms deadline and by
 *     a disconnect, 100 of each; how long after the deadline (or the close) its {@code finally} ran, and the slots
 *     and reservations afterwards.
 * </ol>
 *
 * <p>Options: {@code --servers weft,jetty,helidon,jdk} {@code --peak-seconds N} (wrk runs) {@code --point-seconds N}
 * (each open-loop point) {@code --capacity C} (the load's C, from an earlier run's Weft peak, instead of the first
 * server's) {@code --path P} (the request of the second peak and of every open-loop point, {@code /cpu?ms=1} by
 * default; {@code /sleep?ms=100} gives a load whose capacity is Weft's handler slots, not the CPU; the cancellation
 * part runs only with a {@code /cpu} path) {@code --out DIR} (the report and the plot) {@code --peak-only} (the two
 * wrk peaks only: no open-loop points, no cancellation part, no plot; under a minute per server). Prints a Markdown report,
 * with each point's latency split into the server's part (from the request's write) and the client's (from its
 * intended send time to the write), and the CPU the server's JVM and the generator's used.
 */
@SuppressWarnings("try") // Child.close() waits for the server's JVM, so it declares InterruptedException
public final class HttpBench {
    private HttpBench() {}

    /**
     * One open-loop point; {@code serverCores} and {@code generatorCores} are the CPU the server's JVM and this JVM
     * (the generator) used per second of it (user plus system time from {@code /proc}, -1 if unknown).
     */
    record Point(String server, double factor, double ratePerSecond, OpenLoopLoad.Result result, long heapUsed,
            long heapLive, double serverCores, double generatorCores) {}

    /** Connections the generator may open: under Weft's default 1,024 connection slots (more are refused at accept). */
    static final int CONNECTIONS_MAX = 1000;

    public static void main(String[] args) throws Exception {
        List<String> servers = List.of("weft", "jetty", "jdk");
        int peakSeconds = 10;
        int pointSeconds = 60;
        Path outDir = Path.of("bench", "target", "http-bench");
        double capacityGiven = -1;
        String path = "/cpu?ms=1";
        boolean peakOnly = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--peak-only")) { // a flag: no value
                peakOnly = true;
                continue;
            }
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (v == null) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--servers" -> servers = List.of(v.split(","));
                case "--peak-seconds" -> peakSeconds = Integer.parseInt(v);
                case "--point-seconds" -> pointSeconds = Integer.parseInt(v);
                case "--out" -> outDir = Path.of(v);
                case "--capacity" -> capacityGiven = Double.parseDouble(v);
                case "--path" -> path = v;
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'; options: --servers"
                        + " weft,jetty,helidon,jdk --peak-seconds N --point-seconds N --capacity C --path /cpu?ms=1"
                        + " --peak-only --out DIR");
            }
            i++;
        }
        Files.createDirectories(outDir);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%d CPU(s); load average at start: %s; peak %d s per wrk run, %d s per"
                + " open-loop point%n%n", Runtime.getRuntime().availableProcessors(), loadAverage(), peakSeconds,
                pointSeconds));
        Map<String, double[]> peaks = new LinkedHashMap<>();
        List<Point> points = new ArrayList<>();
        double capacity = capacityGiven; // C from an earlier run, so a run without Weft offers the same load
        String unwind = "";
        for (String name : servers) {
            try (Child c = new Child(name)) {
                wrk(c.port, "/hello", 3); // warm-up
                double hello = wrk(c.port, "/hello", peakSeconds);
                double cpu = wrk(c.port, path, peakSeconds);
                peaks.put(name, new double[] {hello, cpu});
                System.err.printf(Locale.ROOT, "%s: peak /hello %.0f/s, %s %.0f/s%n", name, hello, path, cpu);
                if (capacity < 0) {
                    capacity = cpu; // the first server's (Weft's) admitted capacity is everyone's load
                }
                for (double f : peakOnly ? new double[0] : new double[] {0.5, 2, 10}) {
                    sideGet(c.port, "/bench-heap?reset"); // also waits until the server drained the last point
                    double rate = f * capacity;
                    long serverCpu0 = cpuNs(Long.toString(c.process.pid()));
                    long ownCpu0 = cpuNs("self");
                    OpenLoopLoad.Result r = new OpenLoopLoad(new OpenLoopLoad.Spec(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), c.port),
                            List.of(new OpenLoopLoad.Kind(path, path, 1, -1)), t -> rate,
                            pointSeconds * 1_000_000_000L, CONNECTIONS_MAX, 200_000, 10_000_000_000L)).run();
                    long serverCpu1 = cpuNs(Long.toString(c.process.pid()));
                    long ownCpu1 = cpuNs("self");
                    String heap = sideGet(c.port, "/bench-heap");
                    double secs = Math.max(1e-9, r.seconds());
                    points.add(new Point(name, f, rate, r, field(heap, "peakUsedBytes"), field(heap, "peakLiveBytes"),
                            serverCpu0 < 0 || serverCpu1 < 0 ? -1 : (serverCpu1 - serverCpu0) / 1e9 / secs,
                            ownCpu0 < 0 || ownCpu1 < 0 ? -1 : (ownCpu1 - ownCpu0) / 1e9 / secs));
                    System.err.printf(Locale.ROOT, "%s at %.1fx: goodput %.0f/s, admitted p99 %.1f ms, 503 %d, hung %d,"
                            + " %d connections opened%s%n", name, f, r.ok().getTotalCount() / r.seconds(),
                            r.admitted().getValueAtPercentile(99) / 1000.0, r.status(503), r.timedOut(),
                            r.connectionsOpened(), name.equals("weft") ? "; health " + sideGet(c.port, "/health") : "");
                }
                if (name.equals("weft") && path.startsWith("/cpu") && !peakOnly) {
                    unwind = unwind(c);
                }
                c.oomeSeen = c.output().contains("OutOfMemoryError");
                md.append("- ").append(name).append(": ").append(c.oomeSeen ? "OutOfMemoryError in its output"
                        : "no OutOfMemoryError").append(c.planBytes > 0 ? ", memory plan " + mib(c.planBytes) : "")
                        .append('\n');
            }
        }
        md.append('\n').append(report(peaks, points, capacity, path)).append('\n').append(unwind);
        Files.writeString(outDir.resolve("report.md"), md);
        System.out.print(md);
        if (!peakOnly) {
            Files.writeString(outDir.resolve("latency.svg"), plot(points, pointSeconds, path));
            System.out.println("\nplot: " + outDir.resolve("latency.svg").toAbsolutePath());
        }
    }

    private static String report(Map<String, double[]> peaks, List<Point> points, double capacity, String path) {
        StringBuilder sb = new StringBuilder();
        double[] weft = peaks.get("weft");
        sb.append("| server | wrk /hello req/s | ratio to Jetty | wrk " + path + " req/s | ratio to Jetty |\n|---|---|---|---|---|\n");
        double[] jetty = peaks.get("jetty");
        for (var e : peaks.entrySet()) {
            sb.append(String.format(Locale.ROOT, "| %s | %.0f | %s | %.0f | %s |%n", e.getKey(), e.getValue()[0],
                    jetty == null ? "-" : String.format(Locale.ROOT, "%.2fx", e.getValue()[0] / jetty[0]),
                    e.getValue()[1], jetty == null ? "-" : String.format(Locale.ROOT, "%.2fx", e.getValue()[1] / jetty[1])));
        }
        sb.append(String.format(Locale.ROOT, "%nopen-loop %s, C = %.0f/s (Weft's wrk peak on it):%n%n", path, capacity));
        sb.append("| server | load | offered/s | goodput/s | goodput / server's peak | admitted p50 ms | admitted p99 ms"
                + " | p99 / p99 at 0.5x | server's part p99 ms | client's part p99 ms | 503 | hung (10 s) | not sent"
                + " | connections opened | server CPU cores | generator CPU cores | heap peak used MiB"
                + " | heap after GC, max MiB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, Double> halfP99 = new LinkedHashMap<>();
        for (Point p : points) {
            OpenLoopLoad.Result r = p.result();
            double p99 = r.admitted().getValueAtPercentile(99) / 1000.0;
            if (p.factor() == 0.5) {
                halfP99.put(p.server(), p99);
            }
            double goodput = r.ok().getTotalCount() / r.seconds();
            double peak = peaks.get(p.server())[1];
            assert peak > 0 : "no peak for " + p.server();
            sb.append(String.format(Locale.ROOT, "| %s | %.1fx | %.0f | %.0f | %.0f %% | %.2f | %.2f | %.1fx | %.2f | %.2f"
                            + " | %d | %d | %d | %d | %.2f | %.2f | %.0f | %.0f |%n", p.server(), p.factor(),
                    p.ratePerSecond(), goodput, 100 * goodput / peak, r.admitted().getValueAtPercentile(50) / 1000.0, p99,
                    p99 / halfP99.getOrDefault(p.server(), p99), r.admittedFromSend().getValueAtPercentile(99) / 1000.0,
                    r.sendLag().getValueAtPercentile(99) / 1000.0, r.status(503), r.timedOut(), r.notSent(),
                    r.connectionsOpened(), p.serverCores(), p.generatorCores(), p.heapUsed() / 1048576.0,
                    p.heapLive() / 1048576.0));
        }
        if (weft == null) {
            sb.append("\n(Weft's server was not run: the load is C from --capacity, else the first server's peak)\n");
        }
        sb.append("\nadmitted p50/p99: from each request's intended send time to its answer (every answer but 503);"
                + " the server's part: from the request's write to its answer; the client's part: from the intended"
                + " time to the write (a wait for one of the generator's " + CONNECTIONS_MAX + " connections, or for"
                + " the generator's thread); not sent: due requests that found the generator's backlog full\n");
        return sb.toString();
    }

    /** Weft only: 100 deadline and 100 disconnect cancellations of a spin with no checks; unwind latency. */
    private static String unwind(Child c) throws Exception {
        get(c.port, "/bench-unwind?reset");
        long n504 = 0;
        long[] answerUs = new long[100]; // send + 5 ms to the 504's arrival, at the client: deadline to 504, plus transit
        HttpClient http = client();
        for (int i = 0; i < 100; i++) {
            long sentNs = System.nanoTime();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(c.port, "/cpu?ms=60000&deadlineMs=5"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            answerUs[i] = Math.max(0, (System.nanoTime() - sentNs - 5_000_000L) / 1000);
            n504 += r.statusCode() == 504 ? 1 : 0;
        }
        long[] lateCloseUs = new long[100]; // how late the client closed after closeAtNs (its own scheduling)
        for (int i = 0; i < 100; i++) {
            long closeAtNs = System.nanoTime() + 20_000_000L;
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), c.port)) {
                OutputStream o = s.getOutputStream();
                o.write(("GET /cpu?ms=60000&closeAtNs=" + closeAtNs + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                o.flush();
                // the close is the measured event: sleep most of the way, then spin, since a sleep on a loaded
                // machine overshoots by milliseconds at its tail and that would count as the server's delay
                long waitNs = closeAtNs - System.nanoTime() - 2_000_000L;
                if (waitNs > 0) {
                    Thread.sleep(waitNs / 1_000_000, (int) (waitNs % 1_000_000));
                }
                while (System.nanoTime() - closeAtNs < 0) {
                    Thread.onSpinWait();
                }
                lateCloseUs[i] = (System.nanoTime() - closeAtNs) / 1000;
            }
        }
        java.util.Arrays.sort(answerUs);
        java.util.Arrays.sort(lateCloseUs);
        String health = "";
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) { // the last disconnect's handler unwinds after our close
            health = get(c.port, "/health");
            if (health.contains("\"busy\":0") && health.contains("\"handlerReservedBytes\":0")) {
                break;
            }
            Thread.sleep(10);
        }
        String u = get(c.port, "/bench-unwind");
        return String.format(Locale.ROOT, "Weft, a CPU-bound handler with no checks of its own, under the agent"
                        + " (100 each, one at a time):%n%n| cancelled by | count | 504 answers | finally ran after the"
                        + " deadline / the close: p50 | p99 | max |%n|---|---|---|---|---|---|%n"
                        + "| deadline (5 ms) | %d | %d | %.3f ms | %.3f ms | %.3f ms |%n"
                        + "| disconnect | %d | - | %.3f ms | %.3f ms | %.3f ms |%n%n"
                        + "at the client: the 504 arrived after send + 5 ms: p50 %.3f ms, p99 %.3f ms, max %.3f ms"
                        + " (the deadline runs from the handler's start, so this includes the request's transit);"
                        + " the client's close came after closeAtNs: p50 %.3f ms, p99 %.3f ms, max %.3f ms%n%n"
                        + "afterwards, the health lane: %s%n",
                field(u, "deadline"), n504, field(u, "deadlineP50Us") / 1000.0, field(u, "deadlineP99Us") / 1000.0,
                field(u, "deadlineMaxUs") / 1000.0, field(u, "disconnect"), field(u, "disconnectP50Us") / 1000.0,
                field(u, "disconnectP99Us") / 1000.0, field(u, "disconnectMaxUs") / 1000.0,
                answerUs[50] / 1000.0, answerUs[98] / 1000.0, answerUs[99] / 1000.0,
                lateCloseUs[50] / 1000.0, lateCloseUs[98] / 1000.0, lateCloseUs[99] / 1000.0, health.strip());
    }

    private static String plot(List<Point> points, int pointSeconds, String path) {
        List<LatencyPlot.Series> series = new ArrayList<>();
        String[] colors = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd"};
        Map<String, List<Point>> byServer = new LinkedHashMap<>();
        for (Point p : points) {
            byServer.computeIfAbsent(p.server(), k -> new ArrayList<>()).add(p);
        }
        int ci = 0;
        for (var e : byServer.entrySet()) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            int offset = 0;
            for (Point p : e.getValue()) {
                for (OpenLoopLoad.Interval iv : p.result().intervals()) {
                    xs.add((double) offset + iv.second() + 1);
                    ys.add(iv.admittedP99Us() / 1000.0);
                }
                offset += pointSeconds;
            }
            series.add(new LatencyPlot.Series(e.getKey() + " admitted p99", colors[ci++ % colors.length],
                    xs.stream().mapToDouble(Double::doubleValue).toArray(),
                    ys.stream().mapToDouble(Double::doubleValue).toArray(), false, false));
        }
        return LatencyPlot.svg("admitted p99 per second, open-loop " + path + " at 0.5x, then 2x, then 10x of C",
                "seconds (each load " + pointSeconds + " s)", "p99 latency (ms, from the intended send time)", null,
                series);
    }

    // ---- plumbing

    /** A server JVM; its output lines are kept. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final int port;
        /** Weft's plan total from its startup line; written in the constructor, read by the main thread. */
        long planBytes = -1;
        /** Whether the output showed an OutOfMemoryError; main thread only. */
        boolean oomeSeen;
        /** Output lines, filled by the pump thread; unbounded, but a server prints a few lines only. */
        private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        /** All output; appended by the pump thread, read by the main thread (StringBuffer: synchronized). */
        private final StringBuffer all = new StringBuffer();

        Child(String name) throws Exception {
            Path jar = Path.of(HttpBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            String java = ProcessHandle.current().info().command().orElseThrow();
            List<String> cmd = new ArrayList<>(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                    "--enable-preview", "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch", "-XX:+UseG1GC"));
            if (name.equals("weft")) {
                cmd.add("-javaagent:" + agentJar(jar));
            }
            String cp = jar.toString();
            if (name.equals("helidon")) { // not shaded: see the bench pom
                cp += System.getProperty("path.separator") + jar.toAbsolutePath().getParent().resolve("helidon-lib") + "/*";
            }
            cmd.addAll(List.of("-cp", cp, BenchServer.class.getName(), name));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread pump = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                        all.append(l).append('\n');
                    }
                } catch (IOException ignored) {
                    // the server ended
                }
            }, name + "-output");
            pump.setDaemon(true);
            pump.start();
            int p = -1;
            long end = System.nanoTime() + 60_000_000_000L;
            while (p < 0) {
                String l = lines.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (l == null) {
                    throw new IllegalStateException(name + " did not start within 60 s; it printed:\n" + all);
                }
                if (l.startsWith("planBytes ")) {
                    planBytes = Long.parseLong(l.substring(10).trim());
                } else if (l.startsWith("listening ")) {
                    p = Integer.parseInt(l.substring(10).trim());
                }
            }
            port = p;
        }

        String output() {
            return all.toString();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static Path agentJar(Path benchJar) throws IOException {
        Path dir = benchJar.toAbsolutePath().getParent().getParent().getParent().resolve("agent").resolve("target");
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("weft-agent-[^-]+(-SNAPSHOT)?\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no weft-agent jar in " + dir
                            + "; build it with mvn -B -pl agent -am package"));
        }
    }

    /**
     * Runs wrk (1 thread, 64 connections: a core for the server on 2) and returns its 2xx answers per second (its
     * requests per second less the share it reports as non-2xx: a server's refusals are not its peak).
     */
    static double wrk(int port, String path, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("wrk", "-t1", "-c64", "-d" + seconds + "s", "http://127.0.0.1:" + port + path)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("wrk did not end: " + out);
        }
        Matcher m = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("wrk printed no Requests/sec (is wrk installed? apt-get install wrk): " + out);
        }
        double perSecond = Double.parseDouble(m.group(1));
        // the peak is goodput: a server that refuses (503) under wrk's closed loop must not count its refusals
        Matcher total = Pattern.compile("(\\d+) requests in").matcher(out);
        Matcher non2xx = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)").matcher(out);
        if (non2xx.find() && total.find()) {
            long n = Long.parseLong(total.group(1));
            long bad = Long.parseLong(non2xx.group(1));
            System.err.printf(Locale.ROOT, "wrk on %s: %d of %d answers not 2xx; the peak counts the 2xx only%n", path,
                    bad, n);
            perSecond = n == 0 ? 0 : perSecond * (n - bad) / n;
        }
        return perSecond;
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    static String get(int port, String path) throws IOException, InterruptedException {
        return client().send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /**
     * A side request to a server that may still be working off a backlog (the anchors queue without bound): up to
     * 120 s, or "" if it does not answer by then (the heap figures then read -1).
     */
    static String sideGet(int port, String path) throws InterruptedException {
        try {
            return client().send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(120)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            System.err.println("no answer to " + path + " within 120 s: " + e);
            return "";
        }
    }

    static long field(String text, String name) {
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(name) + "=(\\d+)").matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** A process's CPU time (user plus system) from {@code /proc/PID/stat}, nanoseconds; -1 if unreadable. */
    static long cpuNs(String pid) {
        try {
            String st = Files.readString(Path.of("/proc", pid, "stat"), StandardCharsets.US_ASCII);
            String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The kernel's clock tick for {@code /proc} times ({@code getconf CLK_TCK}: 100 on Linux). */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private static String loadAverage() {
        try (InputStream in = Files.newInputStream(Path.of("/proc/loadavg"))) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String mib(long b) {
        return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
    }
}
