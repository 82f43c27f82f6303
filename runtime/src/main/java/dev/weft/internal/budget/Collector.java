package dev.weft.internal.budget;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * The garbage collectors the heap watchdog supports, and what it reads of each: the collector bean that
 * reports young collections, the one that reports full (whole-heap, stop-the-world) collections, and the heap
 * pools that are eden, the survivor space and the old generation.
 *
 * {@snippet class=dev.weft.internal.budget.BudgetInternalsSnippets region=collector}
 *
 * <p>What the watchdog needs of a collector: a full collection on {@link System#gc()} that returns when it is
 * done (its "after" is then the live heap, exactly), and pools whose usage between collections says where
 * the heap grows. G1, Parallel and Serial give both. Things that don't work: ZGC and Shenandoah collect
 * concurrently, so a collection's "after" counts what the program allocated meanwhile (measured: a program
 * holding 89 MiB in a 144 MiB heap and allocating garbage continuously; after {@code System.gc()} ZGC reported
 * 140 to 144 MiB in use, Shenandoah 90 to 109 MiB, G1 and Parallel 90 MiB), so a healthy program would look
 * above a 96 MiB limit; Epsilon never collects. They are refused rather than guessed at. So are {@code -XX:+DisableExplicitGC} (no way to learn the live heap at the moment it matters; the
 * alternative, deciding from young collections, counts old garbage as live and stopped healthy programs)
 * and G1's {@code -XX:+ExplicitGCInvokesConcurrent} (the same problem as a concurrent collector).
 *
 * <h2>Thread safety</h2>
 * Immutable.
 */
public enum Collector {
    /** The default collector. */
    G1("G1", "UseG1GC", "G1 Young Generation", "G1 Old Generation", "G1 Eden Space", "G1 Survivor Space",
            "G1 Old Gen"),
    /** {@code -XX:+UseParallelGC}. */
    PARALLEL("Parallel", "UseParallelGC", "PS Scavenge", "PS MarkSweep", "PS Eden Space", "PS Survivor Space",
            "PS Old Gen"),
    /** {@code -XX:+UseSerialGC}. */
    SERIAL("Serial", "UseSerialGC", "Copy", "MarkSweepCompact", "Eden Space", "Survivor Space", "Tenured Gen");

    private final String displayName;
    private final String flag;
    private final String youngCollector;
    private final String fullCollector;
    private final String edenPool;
    private final String survivorPool;
    private final String oldPool;

    Collector(String displayName, String flag, String youngCollector, String fullCollector, String edenPool,
            String survivorPool, String oldPool) {
        this.displayName = displayName;
        this.flag = flag;
        this.youngCollector = youngCollector;
        this.fullCollector = fullCollector;
        this.edenPool = edenPool;
        this.survivorPool = survivorPool;
        this.oldPool = oldPool;
    }

    /** Collectors the watchdog refuses, by the flag that selects them. */
    private static final String[][] UNSUPPORTED = {
        {"UseZGC", "ZGC"}, {"UseShenandoahGC", "Shenandoah"}, {"UseEpsilonGC", "Epsilon"},
    };

    /**
     * The collector this JVM runs, checked for what the watchdog needs.
     *
     * @throws IllegalStateException naming the collector or flag and the fix, if the watchdog cannot work here
     */
    public static Collector detect() {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        Collector found = null;
        for (Collector c : values()) {
            if (isOn(vm, c.flag)) {
                found = c;
            }
        }
        if (found == null) {
            String name = "this JVM's collector";
            for (String[] u : UNSUPPORTED) {
                if (isOn(vm, u[0])) {
                    name = u[1] + " (-XX:+" + u[0] + ")";
                }
            }
            throw new IllegalStateException("heap watchdog: " + name + " is not supported: the watchdog learns"
                    + " the live heap from a full stop-the-world collection, which only " + supportedNames()
                    + " give; run with -XX:+UseG1GC (the default), -XX:+UseParallelGC or -XX:+UseSerialGC, or bound"
                    + " memory with MemoryBudget reservations alone (no watchdog)");
        }
        if (isOn(vm, "DisableExplicitGC")) {
            throw new IllegalStateException("heap watchdog: -XX:+DisableExplicitGC is set, but the watchdog"
                    + " confirms that the live heap is above the soft limit with a full collection"
                    + " (System.gc()), and without one it could only guess from young collections, which count"
                    + " old garbage as live; remove -XX:+DisableExplicitGC, or bound memory with MemoryBudget"
                    + " reservations alone (no watchdog)");
        }
        if (found == G1 && isOn(vm, "ExplicitGCInvokesConcurrent")) {
            throw new IllegalStateException("heap watchdog: -XX:+ExplicitGCInvokesConcurrent makes System.gc()"
                    + " a concurrent G1 cycle, whose result counts what the program allocated meanwhile as live;"
                    + " the watchdog needs a full collection to confirm the live heap; remove the flag, or bound"
                    + " memory with MemoryBudget reservations alone (no watchdog)");
        }
        found.checkBeans();
        return found;
    }

    private static String supportedNames() {
        List<String> names = new ArrayList<>();
        for (Collector c : values()) {
            names.add(c.displayName);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.getLast();
    }

    private static boolean isOn(HotSpotDiagnosticMXBean vm, String flag) {
        try {
            VMOption o = vm.getVMOption(flag);
            return "true".equals(o.getValue());
        } catch (IllegalArgumentException notInThisJvm) {
            return false;
        }
    }

    private void checkBeans() {
        List<String> missing = new ArrayList<>();
        for (String gc : List.of(youngCollector, fullCollector)) {
            if (collector(gc) == null) {
                missing.add("collector '" + gc + "'");
            }
        }
        for (String p : List.of(edenPool, survivorPool, oldPool)) {
            if (pool(p) == null) {
                missing.add("pool '" + p + "'");
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("heap watchdog: this JVM runs " + displayName + " but has no "
                    + String.join(", ", missing) + " (its management beans are named differently in this JDK);"
                    + " the watchdog cannot read the heap; bound memory with MemoryBudget reservations alone");
        }
    }

    /** The collector's bean called {@code name}, or null. */
    static GarbageCollectorMXBean collector(String name) {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc.getName().equals(name)) {
                return gc;
            }
        }
        return null;
    }

    /** The memory pool called {@code name}, or null. */
    public static MemoryPoolMXBean pool(String name) {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().equals(name)) {
                return p;
            }
        }
        return null;
    }

    /** A name for messages: {@code G1}, {@code Parallel}, {@code Serial}. */
    public String displayName() {
        return displayName;
    }

    /** The bean reporting young collections (G1's also reports its mixed collections). */
    public String youngCollector() {
        return youngCollector;
    }

    /** The bean reporting full collections. */
    public String fullCollector() {
        return fullCollector;
    }

    /** The pool new objects are allocated in. */
    public String edenPool() {
        return edenPool;
    }

    /** The pool survivors of young collections are copied to. */
    public String survivorPool() {
        return survivorPool;
    }

    /** The old generation (G1's humongous objects live there too). */
    public String oldPool() {
        return oldPool;
    }
}
