package dev.weft.internal.budget;

import java.lang.management.MemoryPoolMXBean;
import java.util.concurrent.locks.LockSupport;

/** The examples of {@link Collector}'s, {@link OutOfMemoryKind}'s and {@link HeapEvidence}'s comments, compiled. */
@SuppressWarnings("unused")
final class BudgetInternalsSnippets {
    private BudgetInternalsSnippets() {}

    static MemoryPoolMXBean collector() {
        // @start region=collector
        Collector c = Collector.detect();          // or IllegalStateException naming the collector and the fix
        MemoryPoolMXBean old = Collector.pool(c.oldPool());
        // @end
        return old;
    }

    static String outOfMemoryKind(OutOfMemoryError oom) {
        // @start region=outOfMemoryKind
        OutOfMemoryKind k = OutOfMemoryKind.of(oom);      // DIRECT_BUFFER for "Cannot reserve ... direct buffer memory"
        String line = "ran out of " + k.what() + "; " + k.fix();
        // @end
        return line;
    }

    static void heapEvidence(long nowNs, long oldBytes, long survivorBytes, long edenBytes) {
        // @start region=heapEvidence
        HeapEvidence e = new HeapEvidence(96L << 20);
        e.sample(nowNs, oldBytes, survivorBytes, edenBytes);      // every poll
        if (e.wantsFullCollection(nowNs)) {
            System.gc();                                          // then e.fullCollection(...) with its result
        }
        LockSupport.parkNanos(e.pollIntervalNs(nowNs));
        // @end
    }
}
