package dev.weft.snippets;

import dev.weft.CancelReason;
import dev.weft.RuntimeStatistics;
import dev.weft.Weft;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/** Examples for {@code Weft.statistics()}, {@code Weft.dumpJson()}, {@code RuntimeStatistics} and the MBeans. */
public final class ObservabilitySnippets {
    private ObservabilitySnippets() {}

    /** {@code Weft.statistics()}. */
    public static void statistics() {
        // @start region=statistics
        RuntimeStatistics s = Weft.statistics();
        System.out.println(s.tasksLive() + " live, " + s.internalErrors() + " internal errors");
        // @end
    }

    /** {@code Weft.dumpJson()}. */
    public static void dumpJson() throws java.io.IOException {
        // @start region=dumpJson
        String json = Weft.dumpJson();
        Files.writeString(Path.of("weft-dump.json"), json);   // or: ./weft dump --json PID
        // @end
    }

    /** {@code RuntimeStatistics}' class documentation. */
    public static void runtimeStatistics() {
        // @start region=runtimeStatistics
        RuntimeStatistics s = Weft.statistics();
        if (s.cancellations().getOrDefault(CancelReason.DEADLINE, 0L) > 0) {
            System.out.println(s.tasksLive() + " tasks live, " + s.checkpointGaps() + " checkpoint gaps");
        }
        // @end
    }

    /** {@code WeftRuntimeMXBean}'s class documentation: the runtime's live tasks and its task tree. */
    public static String runtimeMXBean() throws Exception {
        // @start region=runtimeMXBean
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.weft:type=Runtime,name=\"weft\"");
        long live = (Long) server.getAttribute(name, "TasksLive");
        String tree = (String) server.invoke(name, "dumpJson", null, null);
        // @end
        return live + " " + tree;
    }

    /** {@code HeapWatchdogMXBean}'s class documentation. */
    public static long heapWatchdogMXBean() throws Exception {
        // @start region=heapWatchdogMXBean
        ObjectName heap = new ObjectName("dev.weft:type=HeapWatchdog,name=\"heap\"");
        long contained = (Long) ManagementFactory.getPlatformMBeanServer().getAttribute(heap, "OomsContained");
        // @end
        return contained;
    }

    /** {@code BudgetMXBean}'s class documentation. */
    public static long budgetMXBean() throws Exception {
        // @start region=budgetMXBean
        ObjectName root = new ObjectName("dev.weft:type=Budget,name=\"root\"");
        long used = (Long) ManagementFactory.getPlatformMBeanServer().getAttribute(root, "UsedBytes");
        // @end
        return used;
    }
}
