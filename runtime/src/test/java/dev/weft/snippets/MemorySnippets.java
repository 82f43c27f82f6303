package dev.weft.snippets;

import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.memory.BudgetStatistics;
import dev.weft.memory.DeepSizeEstimator;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.MemoryPlan;
import dev.weft.memory.MemoryPlanException;
import dev.weft.memory.ObjectLayout;
import dev.weft.memory.ObjectPool;
import dev.weft.memory.PoolExhaustedException;
import dev.weft.memory.Reservation;
import dev.weft.memory.RuntimeStaticSized;
import dev.weft.memory.SizeEstimate;
import dev.weft.memory.Sized;
import dev.weft.memory.Sizes;
import dev.weft.memory.WatchdogStatistics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;

/** Examples for {@code dev.weft.memory}. */
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
public final class MemorySnippets {
    private MemorySnippets() {}

    /** The logger of the examples. */
    interface Log {
        void info(String format, Object... args);
    }

    /** A request of the examples. */
    record Request(String id, long sizeBytes) {}

    /** A reply of the examples. */
    interface Reply {
        Reply status(int code);

        Reply body(String text);

        void send();
    }

    /** A request handler of the examples. */
    static final class Handler implements RuntimeStaticSized {
        Handler() {}

        Handler(Object config) {}

        @Override
        public long deepSizeBytesMax() {
            return 32 << 10;
        }
    }

    static String load(Request rq) {
        return rq.id();
    }

    static String handle(Object request) {
        return String.valueOf(request);
    }

    static void serve() {}

    static void serve(ObjectPool<Handler> handlers) {}

    static void read(Object channel, ByteBuffer b) {}

    static void fill(byte[] buffer) {}

    static int summarize(byte[] buffer) {
        return buffer.length;
    }

    static final class SessionStaticSize {
        static final long DEEP_BYTES = 256;
    }

    static void budgetStatistics(Log log) {
        // @start region=budget-statistics
        BudgetStatistics s = MemoryBudget.root().statistics();
        log.info("{} uses {} of {} (peak {}, {} refusals)", s.name(), s.usedBytes(), s.limitBytesSoft(),
                s.peakBytes(), s.refusals());
        // @end
    }

    static Map<String, List<Integer>> loadIndex() {
        return Map.of("a", List.of(1, 2));
    }

    static void deepSize(Object sharedCache) {
        // @start region=deep-size
        DeepSizeEstimator estimator = new DeepSizeEstimator();    // reuse it: it keeps its work tables
        Map<String, List<Integer>> index = loadIndex();
        long bytes = estimator.deepSizeBytes(index);
        SizeEstimate estimate = estimator.estimate(index, sharedCache); // sharedCache is not counted
        if (!estimate.complete()) {
            // some objects could only be modelled: open their packages to dev.weft for an exact size
        }
        // @end
        assert bytes > 0;
    }

    static void heapWatchdog() {
        // @start region=heap-watchdog
        try (HeapWatchdog watchdog = HeapWatchdog.install()) {         // soft limit: the root budget's
            Weft.run(() -> serve());
        } catch (MemoryLimitError e) {
            System.err.println(e.getMessage());                        // which task, the limit, the live heap
        }
        // @end
    }

    static void memoryBudget(List<Request> requests) {
        // @start region=memory-budget
        MemoryBudget cache = MemoryBudget.root().child("cache", 256L << 20);   // 256 MiB soft limit, 32 MiB grace
        TaskScope.run(scope -> {
            for (Request rq : requests) {
                scope.spawn(rq.id(), () -> {
                    try (Reservation r = cache.reserve(rq.sizeBytes())) {   // released on every path
                        return load(rq);
                    }
                });
            }
        });
        // @end
    }

    static String memoryLimitError(long requestBytes, Object request, Reply reply) {
        // @start region=memory-limit-error
        try (Reservation r = MemoryBudget.current().reserve(requestBytes)) {
            return handle(request);
        } catch (MemoryLimitError e) {
            // Cleanup and the error reply may allocate: the grace covers it.
            reply.status(503).body("overloaded: " + e.budgetName() + " is full").send();
            throw e;                          // the scope sees the failure and cancels siblings (reason MEMORY)
        }
        // @end
    }

    static void memoryPlan(Object config) {
        // @start region=memory-plan
        MemoryPlan plan = MemoryPlan.builder("server")
                .component("handlers", 64, new Handler(config))          // RuntimeStaticSized: deepSizeBytesMax()
                .component("sessions", 10_000, SessionStaticSize.DEEP_BYTES)
                .component("response cache", 1, 64L << 20)
                .build();
        try (MemoryPlan.Commitment c = plan.commit(MemoryBudget.root())) {   // or MemoryPlanException + table
            ObjectPool<Handler> handlers = ObjectPool.fromPlan(c, "handlers", () -> new Handler(config));
            serve(handlers);
        }
        // @end
    }

    static void planComponents(MemoryPlan plan) {
        // @start region=plan-components
        for (MemoryPlan.Component c : plan.components()) {
            System.out.println(c.name() + ": " + c.count() + " x " + c.sizeBytesEach() + " = " + c.totalBytes());
        }
        // @end
    }

    static MemoryPlan planBuilder() {
        // @start region=plan-builder
        MemoryPlan plan = MemoryPlan.builder("server").component("handlers", 64, 32 << 10).build();
        // @end
        return plan;
    }

    static void planCommit(MemoryPlan plan) {
        // @start region=plan-commit
        try (MemoryPlan.Commitment c = plan.commit(MemoryBudget.root())) {
            long handlerBytes = c.reservation("handlers").bytes();
            serve(ObjectPool.fromPlan(c, "handlers", Handler::new));
        }
        // @end
    }

    static MemoryPlan.Commitment planException(MemoryPlan plan) {
        MemoryPlan.Commitment commitment = null;
        // @start region=plan-exception
        try {
            commitment = plan.commit(MemoryBudget.root());
        } catch (MemoryPlanException e) {
            System.err.println(e.getMessage());   // the table
            System.exit(2);
        }
        // @end
        return commitment;
    }

    static long objectLayout() {
        // @start region=object-layout
        ObjectLayout layout = ObjectLayout.current();           // detected once per JVM
        long bufferBytes = layout.arraySizeBytes(byte.class, 4096);   // 4112 with 12-byte headers
        long headerBytes = layout.headerBytes();                 // 12, 8, 12 or 8
        // @end
        return bufferBytes + headerBytes;
    }

    // @start region=layout-select
    static final long DEEP_BYTES = ObjectLayout.current().select(40, 32, 48, 40);
    // @end

    static void objectPool(MemoryPlan.Commitment commitment, Object channel) {
        // @start region=object-pool
        ObjectPool<ByteBuffer> buffers = ObjectPool.fromPlan(commitment, "buffers", () -> ByteBuffer.allocate(16 << 10));
        ByteBuffer b = buffers.acquire(Duration.ofMillis(100));   // cancellation point, deadline
        try {
            read(channel, b);
        } finally {
            buffers.release(b.clear());
        }
        // @end
    }

    static void poolExhausted(ObjectPool<Handler> handlers, Reply reply) {
        // @start region=pool-exhausted
        try {
            Handler h = handlers.acquire(Duration.ofMillis(50));
            // ...
        } catch (PoolExhaustedException e) {
            reply.status(503).send();   // bounded: every handler is busy
        }
        // @end
    }

    static int reservation(MemoryBudget budget, int n) {
        // @start region=reservation
        try (Reservation r = budget.reserve(Sizes.arraySizeBytes(byte.class, n))) {
            byte[] buffer = new byte[n];
            fill(buffer);
            r.resize(Sizes.arraySizeBytes(byte.class, n / 2));   // give back what is no longer needed
            return summarize(buffer);
        }
        // @end
    }

    // @start region=ring-buffer
    static final class RingBuffer implements RuntimeStaticSized {
        private final long[] slots;
        private final long sizeBytesMax;
        private int head; // written and read by the owner thread only

        RingBuffer(int capacity) {
            slots = new long[capacity];
            sizeBytesMax = Sizes.add(Sizes.shallowSizeBytes(RingBuffer.class), Sizes.arraySizeBytes(long.class, capacity));
        }

        @Override
        public long deepSizeBytesMax() {
            return sizeBytesMax;
        }
    }
    // @end

    static void sizeEstimate(Object graph, MemoryBudget budget) {
        // @start region=size-estimate
        SizeEstimate estimate = new DeepSizeEstimator().estimate(graph);
        budget.reserve(estimate.sizeBytes());
        // @end
    }

    // @start region=inbox
    static final class Inbox implements Sized {
        private final ArrayDeque<byte[]> messages = new ArrayDeque<>();
        private final DeepSizeEstimator estimator = new DeepSizeEstimator();

        @Override
        public long deepSizeBytes() {
            // Inbox, the deque, its array and every message; the estimator's own tables are not the inbox's
            return estimator.estimate(this, estimator).sizeBytes();
        }
    }
    // @end

    static long sizes() {
        // @start region=sizes
        // A server with 64 handlers, each owning a 16 KiB buffer and a 256-slot long[] table:
        long handlerBytes = Sizes.sum(
                Sizes.shallowSizeBytes(Handler.class),
                Sizes.byteBufferSizeBytes(16 * 1024),
                Sizes.arraySizeBytes(long.class, 256));
        long serverBytes = Sizes.multiply(64, handlerBytes); // "N handlers x footprint", overflow-checked
        // @end
        return serverBytes;
    }

    static void watchdogStatistics(HeapWatchdog watchdog) {
        // @start region=watchdog-statistics
        WatchdogStatistics s = watchdog.statistics();
        System.err.printf("live %d of %d soft limit (peak %d, heap in use peaked at %d); %d raised, %d OOM contained%n",
                s.lastLiveBytes(), s.limitBytesSoft(), s.peakLiveBytes(), s.peakHeapUsedBytes(), s.raises(),
                s.oomsContained());
        // @end
    }
}
