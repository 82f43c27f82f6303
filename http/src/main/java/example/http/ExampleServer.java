package example.http;

import dev.weft.CancelScope;
import dev.weft.Cancelled;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.http.HttpServer;
import dev.weft.http.HttpServerConfig;
import dev.weft.http.Request;
import dev.weft.http.Response;
import dev.weft.http.Router;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryPlanException;
import dev.weft.memory.Reservation;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Example endpoints for Weft's HTTP server, and a {@code main} that serves them ({@code weft serve}).
 *
 * <ul>
 * <li>{@code GET /cpu?ms=N}: a CPU-bound loop with no cancellation checks of its own. Cancelled by the deadline
 *     or a disconnect only when the server runs under the Weft agent ({@code weft serve}, {@code weft run}),
 *     which compiles a check into the loop's back-edge; without the agent it runs its N ms and the deadline
 *     takes effect when it returns. This class lives outside {@code dev.weft} for that reason: the agent never
 *     instruments Weft's own classes.
 * <li>{@code GET /sleep?ms=N}: blocks in {@link Thread#sleep}; cancelled through the interrupt Weft posts.
 * <li>{@code GET /alloc?mb=N}: allocates N MiB in 1 MiB blocks, each reserved on the handler's budget first;
 *     past the budget ({@code handlerMemoryBytes}) the request fails alone with 507 and the memory error's
 *     message, after its cleanup ran.
 * <li>{@code GET /health}: the server's health lane (JSON), which never waits behind handlers.
 * </ul>
 *
 * {@snippet class=dev.weft.http.Snippets region=exampleServer}
 *
 * <p>Each handler reports its cleanup ({@code "cpu: cleanup ran ..."}) to the given log, so a test or a person
 * can see that a cancelled request's {@code finally} ran.
 */
public final class ExampleServer {
    private ExampleServer() {}

    /** The example routes; {@code log} receives one line per handler cleanup. */
    public static Router router(Consumer<String> log) {
        return Router.builder()
                .get("/cpu", (rq, rs) -> cpu(rq, rs, log))
                .get("/sleep", (rq, rs) -> sleep(rq, rs, log))
                .get("/alloc", (rq, rs) -> alloc(rq, rs, log))
                .build();
    }

    static void cpu(Request rq, Response rs, Consumer<String> log) {
        long ms = param(rq, "ms", 100, 600_000);
        long endNs = System.nanoTime() + ms * 1_000_000;
        long x = 1;
        long iterations = 0;
        try {
            while (System.nanoTime() < endNs) { // no checks of its own: the agent compiles one into this back-edge
                x = x * 6364136223846793005L + 1442695040888963407L;
                iterations++;
            }
        } finally {
            log.accept("cpu: cleanup ran after " + iterations + " iterations" + (rq.clientGone() ? " (client gone)" : ""));
        }
        rs.contentType("text/plain").body("cpu: spun " + ms + " ms, " + iterations + " iterations (" + (x & 0xff) + ")\n");
    }

    static void sleep(Request rq, Response rs, Consumer<String> log) throws InterruptedException {
        long ms = param(rq, "ms", 100, 600_000);
        try {
            Thread.sleep(ms);
        } finally {
            log.accept("sleep: cleanup ran" + (rq.clientGone() ? " (client gone)" : ""));
        }
        rs.contentType("text/plain").body("slept " + ms + " ms\n");
    }

    static void alloc(Request rq, Response rs, Consumer<String> log) {
        long mb = param(rq, "mb", 1, 1 << 16);
        byte[][] blocks = new byte[(int) mb][];
        long sum = 0;
        try (Reservation r = rq.memoryBudget().reserve(0)) {
            for (int i = 0; i < mb; i++) {
                r.resize((i + 1L) << 20); // past the handler's budget: MemoryLimitError, answered 507
                blocks[i] = new byte[1 << 20];
                blocks[i][i % (1 << 20)] = (byte) i;
                sum += blocks[i].length;
            }
        } finally {
            log.accept("alloc: cleanup ran with " + (sum >> 20) + " MiB allocated");
        }
        rs.contentType("text/plain").body("allocated " + mb + " MiB\n");
    }

    private static long param(Request rq, String name, long dflt, long max) {
        String v = rq.queryParam(name).orElse(null);
        if (v == null) {
            return dflt;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got '" + v + "'");
        }
        if (n < 0 || n > max) {
            throw new IllegalArgumentException(name + " must be between 0 and " + max + ", got " + n);
        }
        return n;
    }

    /**
     * Serves the example endpoints until Ctrl-C or SIGTERM:
     * {@code [--port N] [--handlers N] [--connections N] [--deadline DURATION] [--soft-limit SIZE]}. Prints the
     * memory plan, then {@code listening on http://ADDRESS:PORT}. A stop answers the requests in flight first
     * ({@link #serveUntilStopped}). Exit status 2 for bad usage, 1 when the plan does not fit (the table is printed)
     * or the address cannot be bound.
     */
    public static void main(String[] args) {
        if (System.getProperty("slf4j.provider") == null) { // Jetty logs through SLF4J; this program has no backend
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("weft serve: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.println(USAGE);
            return;
        }
        System.exit(serve(o.config(), o.softLimitBytes(), System.out));
    }

    /** What the command line asked for: the server's configuration and the root soft limit (-1: not given). */
    record Options(HttpServerConfig config, long softLimitBytes) {}

    /**
     * Parses the command line; null for {@code --help}.
     *
     * @throws IllegalArgumentException for a bad option or value; the message starts with the option's name
     */
    static Options parse(String[] args) {
        HttpServerConfig config = HttpServerConfig.defaults().withPort(8080);
        long softLimit = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            try {
                switch (a) {
                    case "--port" -> config = config.withPort(parseInt(a, need(a, v)));
                    case "--handlers" -> {
                        int n = parseInt(a, need(a, v));
                        config = config.withHandlersMax(n).withQueue(n, config.queueTimeout());
                    }
                    case "--connections" -> config = config.withConnectionsMax(parseInt(a, need(a, v)));
                    case "--deadline" -> config = config.withRequestTimeout(parseDuration(need(a, v)));
                    case "--soft-limit" -> softLimit = parseSize(need(a, v));
                    case "--handler-memory" -> config = config.withHandlerMemoryBytes(parseSize(need(a, v)));
                    case "-h", "--help" -> {
                        return null;
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'");
                }
            } catch (IllegalArgumentException e) { // the setting's own check names the setting: say which option
                String m = e.getMessage();
                throw m.startsWith(a) || m.startsWith("unknown option") ? e
                        : new IllegalArgumentException(a + " " + v + ": " + m, e);
            }
            i++;
        }
        return new Options(config, softLimit);
    }

    private static final String USAGE = "usage: weft serve [--port N] [--handlers N] [--connections N]"
            + " [--deadline DURATION] [--soft-limit SIZE] [--handler-memory SIZE]\n"
            + "  DURATION: 500ms, 2s, 1m; SIZE: 64k, 256m, 1g or bytes";

    static int serve(HttpServerConfig config, long softLimit, PrintStream out) {
        return Weft.exitStatus(() -> {
            int status = Weft.run(() -> {
                if (softLimit > 0) {
                    MemoryBudget.root().setLimitBytesSoft(softLimit);
                }
                HttpServer server;
                try {
                    server = HttpServer.bind(config, router(line -> out.println(line)));
                } catch (MemoryPlanException e) {
                    out.print(e.getMessage()); // the table: what does not fit, and by how much
                    return Weft.EXIT_FAILED;
                } catch (IOException e) {
                    System.err.println("weft serve: " + e.getMessage()); // the address and the fix, no stack trace
                    return Weft.EXIT_FAILED;
                }
                try (server) {
                    out.print(server.planTable());
                    out.println("listening on http://" + config.bindAddress().getHostAddress() + ":" + server.port());
                    out.flush();
                    serveUntilStopped(server, out);
                }
                return 0;
            });
            if (status != 0) {
                System.exit(status);
            }
        });
    }

    /**
     * Serves until this task is cancelled (Ctrl-C or SIGTERM under {@code weft run}), then stops the way a server
     * behind a load balancer should: no new connections, and every request in flight answered (its handler
     * finishes, or its deadline answers 504), for at most the request deadline and a second; past that, or at a
     * second Ctrl-C, every handler is cancelled. The cancellation is then rethrown, so the exit status says how the
     * program was stopped.
     *
     * <p>Things that don't work: letting the cancellation reach {@link HttpServer#serve()}. It stops hard: every
     * handler is cancelled and its connection closed without an answer, so a Ctrl-C lost every request in flight.
     * Solution: {@code serve()} runs shielded in a child task, and the stop is a {@link HttpServer#shutdown()}.
     */
    static void serveUntilStopped(HttpServer server, PrintStream out) {
        CancelScope serving = CancelScope.create().shield(true).name("http serve (a stop drains it first)");
        TaskScope.run(tasks -> {
            Task<Void> t = tasks.spawn("http serve", () -> serving.run(server::serve));
            try {
                t.join();
            } catch (Cancelled stop) {
                Duration drain = server.config().requestTimeout().plusSeconds(1);
                CancelScope.shielded(drain, () -> {
                    int busy = server.statistics().handlersBusy();
                    server.shutdown(); // before the line: once it is printed, every answer says Connection: close
                    out.println("weft serve: stopping: no new connections; answering the " + busy
                            + " request(s) in progress (at most " + drain.toMillis() + " ms)");
                    out.flush();
                    t.join();
                });
                serving.cancel(); // no-op if serve() returned; else past the drain bound: stop hard
                throw stop;
            }
        });
    }

    /** A whole number for {@code option}, or an error that names the option and the value. */
    private static int parseInt(String option, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " '" + value + "' is not a whole number; write e.g. "
                    + option + (option.equals("--port") ? " 8080" : " 64"));
        }
    }

    private static String need(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** {@code 500ms}, {@code 2s}, {@code 1m}, {@code 1h}. */
    static Duration parseDuration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("'" + s + "' is not a duration; write 500ms, 2s, 1m or 1h");
        }
    }

    /** {@code 64k}, {@code 256m}, {@code 1g} or bytes (binary units). */
    static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            char u = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
            int shift = switch (u) {
                case 'k' -> 10;
                case 'm' -> 20;
                case 'g' -> 30;
                default -> 0;
            };
            long n = Long.parseLong(shift == 0 ? t : t.substring(0, t.length() - 1));
            if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a size; write 64k, 256m, 1g or bytes");
        }
    }
}
