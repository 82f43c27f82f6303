package dev.weft.memory;

import dev.weft.internal.jmx.WeftMBeans;
import java.util.ArrayList;
import java.util.List;
import javax.management.StandardMBean;

/**
 * Memory's MBeans: the root budget once it exists, the heap watchdog once installed; registered through
 * {@link WeftMBeans} (on demand, never by default). Any thread.
 */
final class MemoryMBeans {
    private MemoryMBeans() {}

    /** The installed watchdog, or null. Written once by {@link #watchdogInstalled}; read by any thread. */
    private static volatile HeapWatchdog watchdog;

    static {
        WeftMBeans.addSource(MemoryMBeans::registerNow);
    }

    /** Called as the root budget is created (memory's first use). */
    static void rootCreated() {
        // class initialization adds the source; registration follows WeftMBeans.enabled()
    }

    /** Called when a watchdog is installed. */
    static void watchdogInstalled(HeapWatchdog w) {
        watchdog = w;
        if (WeftMBeans.enabled()) {
            registerWatchdog(w);
        }
    }

    private static List<String> registerNow() {
        List<String> names = new ArrayList<>();
        names.add(registerRoot());
        HeapWatchdog w = watchdog;
        if (w != null) {
            names.add(registerWatchdog(w));
        }
        return names;
    }

    private static String registerRoot() {
        MemoryBudget root = MemoryBudget.root();
        BudgetMXBean bean = new BudgetMXBean() {
            @Override public String getName() { return root.statistics().name(); }
            @Override public long getLimitBytesSoft() { return root.statistics().limitBytesSoft(); }
            @Override public long getGraceBytes() { return root.statistics().graceBytes(); }
            @Override public long getUsedBytes() { return root.statistics().usedBytes(); }
            @Override public long getPeakBytes() { return root.statistics().peakBytes(); }
            @Override public long getRefusals() { return root.statistics().refusals(); }
            @Override public long getGraceLends() { return root.statistics().graceLends(); }
            @Override public int getGraceHolders() { return root.statistics().graceHolders(); }
        };
        return WeftMBeans.register(WeftMBeans.name("Budget", "root"), standard(bean, BudgetMXBean.class));
    }

    private static String registerWatchdog(HeapWatchdog w) {
        HeapWatchdogMXBean bean = new HeapWatchdogMXBean() {
            @Override public long getLimitBytesSoft() { return w.statistics().limitBytesSoft(); }
            @Override public long getGraceBytes() { return w.statistics().graceBytes(); }
            @Override public long getReserveBytes() { return w.statistics().reserveBytes(); }
            @Override public long getLastLiveBytes() { return w.statistics().lastLiveBytes(); }
            @Override public long getPeakLiveBytes() { return w.statistics().peakLiveBytes(); }
            @Override public long getChecks() { return w.statistics().checks(); }
            @Override public long getRaises() { return w.statistics().raises(); }
            @Override public long getOomsContained() { return w.statistics().oomsContained(); }
            @Override public long getCollectionsForced() { return w.statistics().collectionsForced(); }
            @Override public String getCollector() { return w.statistics().collector(); }
        };
        return WeftMBeans.register(WeftMBeans.name("HeapWatchdog", "heap"), standard(bean, HeapWatchdogMXBean.class));
    }

    private static <T> StandardMBean standard(T bean, Class<T> type) {
        try {
            return new StandardMBean(bean, type, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("memory MBean " + type.getSimpleName() + " is not compliant: " + e, e);
        }
    }
}
