package dev.weft.http;

import dev.weft.Weft;
import dev.weft.http.internal.Counters;
import dev.weft.http.internal.Dispatch;
import dev.weft.http.internal.HandlerSlot;
import dev.weft.http.internal.Limits;
import dev.weft.http.internal.ServerCore;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryPlan;
import dev.weft.memory.Sizes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * The server: plans and commits its memory, builds the slots and the machinery ({@link ServerCore}), and is the
 * machinery's {@link Dispatch} (routing to handlers, the health report, error reporting).
 *
 * <p>The handlers' own memory. The plan is committed on the parent budget. Each handler slot has its budget, a
 * child of the handlers' budget (soft limit: the plan's handler memory line) with soft limit
 * {@code handlerMemoryBytes} and an eighth of that as grace. The plan's line for them is committed like the
 * others, then split into one hold per slot on the handlers' budget: an idle slot holds its share, a busy slot
 * gives its hold up for the handler's reservations on its budget (which charge the handlers' budget and the
 * parent too) and takes it back after the request. So the server never holds more than the plan, the plan's
 * room stays reserved on the parent while handlers are idle, and a handler that leaks a reservation shows as an
 * unbacked slot.
 *
 * <p>Things that don't work: committing the handler memory line and letting handlers reserve beneath it. Every
 * handler byte would be counted twice on the parent (the plan's reservation and the handler's). Giving the
 * handler memory no line at all: the startup check then proves nothing about the memory handlers need.
 */
final class HttpServerImpl implements HttpServer, Dispatch {
    static final String LINE_HANDLER_SLOTS = "handler slots (buffers, views)";
    static final String LINE_HANDLER_MEMORY = "handler memory (budget + grace)";
    static final String LINE_CONNECTIONS = "connection slots";
    static final String LINE_HANDLER_STACKS = "handler stacks (bound)";

    private final HttpServerConfig config;
    private final Router router;
    /** The handlers' budget: the parent of every slot's budget; soft limit the plan's handler memory line. */
    private final MemoryBudget budget;
    private final long handlerMemoryBytes;
    private final MemoryPlan plan;
    private final MemoryPlan.Commitment commitment;
    private final String planTable;
    private final HandlerSlot[] slots;
    private final ServerCore core;
    private final Counters counters = new Counters();
    private final BiConsumer<String, Throwable> errorHandler;

    private HttpServerImpl(HttpServerConfig config, Router router, MemoryBudget parent,
            BiConsumer<String, Throwable> errorHandler, Limits limits, MemoryPlan plan) throws IOException {
        this.config = config;
        this.router = router;
        this.plan = plan;
        this.errorHandler = errorHandler != null ? errorHandler : HttpServerImpl::printError;
        this.handlerMemoryBytes = plan.components().stream().filter(c -> c.name().equals(LINE_HANDLER_MEMORY))
                .findFirst().orElseThrow().totalBytes();
        this.planTable = plan.table("memory budget '" + parent.name() + "'", MemoryPlan.availableBytes(parent));
        this.commitment = plan.commit(parent); // MemoryPlanException with the table if it does not fit
        boolean ok = false;
        try {
            // the handlers' line becomes one hold per slot on the handlers' budget (see the class comment)
            commitment.reservation(LINE_HANDLER_MEMORY).close();
            this.budget = parent.child("http handlers", handlerMemoryBytes, 0);
            long viewBytes = viewBytes();
            slots = new HandlerSlot[limits.handlersMax()];
            for (int i = 0; i < slots.length; i++) {
                MemoryBudget b = budget.child("http handler " + i, limits.handlerMemoryBytes(), limits.handlerGraceBytes());
                HandlerSlot s = new HandlerSlot(i, limits, budget, b, viewBytes);
                s.views(new Views(new RequestImpl(s), new ResponseImpl(s)));
                if (!s.reclaim()) {
                    throw new IllegalStateException("memory budget '" + parent.name() + "' lost room while the plan was"
                            + " committed (another component reserved it); retry, or raise the soft limit");
                }
                slots[i] = s;
            }
            core = new ServerCore(limits, this, counters, slots,
                    loop -> config.handlersOnConnectionLoop() ? loop : Weft.stealingPool(), Weft.loops());
            ok = true;
        } finally {
            if (!ok) {
                commitment.close();
            }
        }
    }

    static HttpServer bind(HttpServerConfig config, Router router, MemoryBudget parent,
            BiConsumer<String, Throwable> errorHandler) throws IOException {
        if (config == null || router == null || parent == null) {
            throw new NullPointerException("config, router and parent budget are required; use HttpServerConfig"
                    + ".defaults(), Router.builder()...build() and MemoryBudget.root()");
        }
        if (!Weft.inTask()) {
            throw new IllegalStateException("HttpServer.bind called outside a Weft task; call it inside"
                    + " Weft.run(() -> ...): connections and handlers run on the runtime's loops");
        }
        Limits limits = limits(config);
        return new HttpServerImpl(config, router, parent, errorHandler, limits, plan(config, limits));
    }

    /**
     * The plan for {@code config}: three lines, each a bounded count times a footprint, and a fourth for the
     * handlers' stacks when the configuration declares their bound.
     */
    static MemoryPlan plan(HttpServerConfig config, Limits limits) {
        MemoryPlan.Builder b = MemoryPlan.builder("http server")
                .component(LINE_HANDLER_SLOTS, limits.handlersMax(), HandlerSlot.sizeBytesMax(limits, viewBytes()))
                .component(LINE_HANDLER_MEMORY, limits.handlersMax(),
                        Sizes.add(limits.handlerMemoryBytes(), limits.handlerGraceBytes()));
        if (config.handlerStackBytes() > 0) {
            b.component(LINE_HANDLER_STACKS, limits.handlersMax(), config.handlerStackBytes());
        }
        return b.component(LINE_CONNECTIONS, limits.connectionsMax(),
                        dev.weft.http.internal.Connection.sizeBytesMax(limits))
                .build();
    }

    private static long viewBytes() {
        return Sizes.sum(Sizes.shallowSizeBytes(Views.class), Sizes.shallowSizeBytes(RequestImpl.class),
                Sizes.shallowSizeBytes(ResponseImpl.class));
    }

    static Limits limits(HttpServerConfig c) {
        long grace = (long) (c.handlerMemoryBytes() * MemoryBudget.GRACE_FRACTION_DEFAULT);
        return new Limits(c.bindAddress(), c.port(), Math.min(c.connectionsMax(), 4096), c.handlersMax(),
                c.connectionsMax(), c.queueMax(), c.queueTimeout().toNanos(), c.requestTimeout().toNanos(),
                c.headerTimeout().toNanos(), c.bodyTimeout().toNanos(), c.idleTimeout().toNanos(),
                c.writeTimeout().toNanos(), c.headerBytesMax(), c.headerCountMax(), c.bodyBytesMax(),
                c.responseBytesMax(), c.readBufferBytes(), c.handlerMemoryBytes(), grace, c.healthPath());
    }

    /** A slot's public views. */
    record Views(RequestImpl request, ResponseImpl response) {}

    // ---- Dispatch

    @Override
    public void handle(HandlerSlot slot) throws Exception {
        Views v = (Views) slot.views();
        v.request().begin();
        Router.Match m = router.match(slot.head().method(), slot.head().path());
        if (m.handler() == null) {
            ResponseImpl rs = v.response();
            rs.status(m.status()).contentType("text/plain; charset=utf-8");
            if (m.status() == 405) {
                rs.header("Allow", m.allow()).body(slot.head().method() + " is not allowed on " + slot.head().path()
                        + "; allowed: " + m.allow() + "\n");
            } else {
                rs.body("no route for " + slot.head().path() + "\n");
            }
            return;
        }
        m.handler().handle(v.request(), v.response());
    }

    @Override
    public void health(ByteBuffer into) {
        ServerStatistics s = statistics();
        String json = String.format(Locale.ROOT, "{\"status\":\"%s\",\"handlers\":{\"max\":%d,\"busy\":%d,\"queued\":%d},"
                + "\"concurrency\":{\"limit\":%d,\"minServiceUs\":%d},"
                + "\"requests\":{\"total\":%d,\"served\":%d,\"rejected\":%d,\"cancelled\":%d,\"deadlineExceeded\":%d,"
                + "\"disconnects\":%d,\"memoryFailures\":%d,\"handlerFailures\":%d,\"badRequests\":%d,\"slowClients\":%d},"
                + "\"connections\":{\"max\":%d,\"open\":%d,\"refused\":%d},"
                + "\"memory\":{\"planBytes\":%d,\"inUseBytes\":%d,\"handlerReservedBytes\":%d},"
                + "\"drainPerSecond\":%.1f}\n",
                core.draining() ? "draining" : "ok", s.handlersMax(), s.handlersBusy(), s.queued(),
                core.admission().limit(), core.admission().minServiceNs() / 1000, s.requests(),
                s.served(), s.rejected(), s.cancelled(), s.deadlineExceeded(), s.disconnects(), s.memoryFailures(),
                s.handlerFailures(), s.badRequests(), s.slowClients(), s.connectionsMax(), s.connectionsOpen(),
                s.connectionsRefused(), s.planBytes(), s.inUseBytes(), s.handlerReservedBytes(),
                s.drainPerSecond());
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        into.put(b, 0, Math.min(b.length, into.remaining()));
    }

    @Override
    public void internalError(String where, Throwable error) {
        counters.internalErrors.increment();
        report(where, error);
    }

    @Override
    public void report(String where, Throwable error) {
        try {
            errorHandler.accept(where, error);
        } catch (RuntimeException | Error e) {
            printError("the server's error handler (it threw while reporting " + where + ")", e);
        }
    }

    private static void printError(String where, Throwable error) {
        System.err.println("weft http: " + where + ": " + error);
        error.printStackTrace(System.err);
    }

    // ---- HttpServer

    @Override
    public int port() {
        return core.port();
    }

    @Override
    public HttpServerConfig config() {
        return config;
    }

    @Override
    public MemoryPlan plan() {
        return plan;
    }

    @Override
    public String planTable() {
        return planTable;
    }

    @Override
    public void serve() {
        core.serve();
    }

    @Override
    public void shutdown() {
        core.shutdown();
    }

    @Override
    public ServerStatistics statistics() {
        long reserved = 0;
        for (HandlerSlot s : slots) {
            reserved += s.budget().usedBytes();
        }
        return new ServerStatistics(slots.length, core.admission().busy(), core.admission().queued(),
                config.connectionsMax(), core.openConnections(), counters.connectionsAccepted.sum(),
                counters.connectionsRefused.sum(), counters.requests.sum(), counters.served.sum(),
                counters.rejected.sum(), counters.cancelled.sum(), counters.deadlineExceeded.sum(),
                counters.disconnects.sum(), counters.memoryFailures.sum(), counters.handlerFailures.sum(),
                counters.badRequests.sum(), counters.slowClients.sum(), counters.health.sum(),
                core.admission().drainPerSecond(), plan.totalBytes(),
                plan.totalBytes() - handlerMemoryBytes + budget.usedBytes(), reserved);
    }

    @Override
    public void close() {
        core.close();
        commitment.close();
    }

    @Override
    public String toString() {
        return "HttpServer[port " + port() + ", " + slots.length + " handlers, " + config.connectionsMax()
                + " connections]";
    }
}
