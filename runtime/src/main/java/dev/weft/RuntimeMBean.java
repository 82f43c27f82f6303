package dev.weft;

import java.util.LinkedHashMap;
import java.util.Map;

/** A runtime's MBean: its statistics, read fresh at every attribute read, and its dumps. Any JMX thread. */
final class RuntimeMBean implements WeftRuntimeMXBean {
    private final RuntimeImpl runtime;

    RuntimeMBean(RuntimeImpl runtime) {
        this.runtime = runtime;
    }

    @Override
    public String getName() {
        return runtime.config().name();
    }

    @Override
    public int getLoops() {
        return runtime.config().loops();
    }

    @Override
    public long getTasksLive() {
        return runtime.statistics().tasksLive();
    }

    @Override
    public long getTasksSpawned() {
        return runtime.statistics().tasksSpawned();
    }

    @Override
    public Map<String, Long> getCancellations() {
        Map<String, Long> m = new LinkedHashMap<>();
        runtime.statistics().cancellations().forEach((r, n) -> m.put(r.name(), n));
        return m;
    }

    @Override
    public long getCheckpointGaps() {
        return runtime.statistics().checkpointGaps();
    }

    @Override
    public long getRunQueueOverflows() {
        return runtime.statistics().runQueueOverflows();
    }

    @Override
    public long getLateHandovers() {
        return runtime.statistics().lateHandovers();
    }

    @Override
    public long getInternalErrors() {
        return runtime.statistics().internalErrors();
    }

    @Override
    public String dump() {
        return runtime.dump();
    }

    @Override
    public String dumpJson() {
        StringBuilder sb = new StringBuilder();
        runtime.dumpJson(sb, true);
        return sb.toString();
    }
}
