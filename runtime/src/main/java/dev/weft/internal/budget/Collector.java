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
 * above a 96 MiB limit; Epsilon never collects. They are refused rather than guessed at. So is G1's
 * {@code -XX:+ExplicitGCInvokesConcurrent} (the same problem as a concurrent collector). Under
 * {@code -XX:+DisableExplicitGC} the watchdog forces its collections with the {@code GC.run} diagnostic command
 * ({@link #fullCollection()}), which the flag does not disable.
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
     * The collector this JVM runs that the watchdog does not support, as its flag without {@code -XX:+} and its name
     * ({@code {"UseZGC", "ZGC"}}), or null if it runs none of those.
     */
    public static String[] unsupportedInUse() {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        for (String[] u : UNSUPPORTED) {
            if (isOn(vm, u[0])) {
                return u.clone();
            }
        }
        return null;
    }

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
        if (found == G1 && isOn(vm, "ExplicitGCInvokesConcurrent")) {
            throw new IllegalStateException("heap watchdog: -XX:+ExplicitGCInvokesConcurrent makes System.gc()"
                    + " (and the GC.run diagnostic command) a concurrent G1 cycle, whose result counts what the program"
                    + " allocated meanwhile as live; the watchdog needs a full collection to confirm the live heap;"
                    + " remove the flag, or bound memory with MemoryBudget reservations alone (no watchdog)");
        }
        found.checkBeans();
        return found;
    }

    /** Whether {@code -XX:+DisableExplicitGC} is set: {@link System#gc()} then does nothing. */
    public static boolean explicitGcDisabled() {
        return isOn(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class), "DisableExplicitGC");
    }

    /**
     * How the watchdog forces a full collection that returns when it is done: {@link System#gc()}, or, under
     * {@code -XX:+DisableExplicitGC} (which only turns {@code System.gc()} into nothing), the {@code GC.run}
     * diagnostic command through its platform bean ({@code com.sun.management:type=DiagnosticCommand},
     * operation {@code gcRun}): the same full stop-the-world collection, with the cause {@code Diagnostic Command}
     * (measured on JDK 25 under G1 and Parallel with the flag set: each call counted one full collection and
     * returned after it, 9 to 57 ms on a 2 MiB heap, the first the slowest). Things that don't work: refusing the
     * flag (a program whose deployment sets it could not run under a soft limit at all) and deciding from young
     * collections without one (they count old garbage as live, and stopped a healthy program in 3 runs of 3).
     * Call once while memory is plentiful: the first call loads the platform bean server.
     */
    public static Runnable fullCollection() {
        if (!explicitGcDisabled()) {
            return System::gc;
        }
        javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName name;
        try {
            name = new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
        } catch (javax.management.MalformedObjectNameException e) {
            throw new AssertionError(e);
        }
        if (!server.isRegistered(name)) {
            throw new IllegalStateException("heap watchdog: -XX:+DisableExplicitGC is set and this JVM has no"
                    + " DiagnosticCommand bean to run GC.run instead, so the watchdog cannot confirm the live heap;"
                    + " remove -XX:+DisableExplicitGC, or bound memory with MemoryBudget reservations alone");
        }
        return () -> {
            try {
                server.invoke(name, "gcRun", null, null);
            } catch (javax.management.JMException e) {
                throw new IllegalStateException("heap watchdog: GC.run failed: " + e, e);
            }
        };
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

    /** The flag that selects it, without {@code -XX:+}: {@code UseG1GC}, {@code UseParallelGC}, {@code UseSerialGC}. */
    public String flag() {
        return flag;
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
