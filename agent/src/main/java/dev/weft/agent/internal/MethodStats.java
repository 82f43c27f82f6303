package dev.weft.agent.internal;

/** Counts of what the transforms did to one class, for the report. Touched only by the transforming thread. */
final class MethodStats {
    int methods;
    int entries;
    int backEdges;
    int stripMined;
    int afterMonitorExit;
    /** Back-edges left without a check because this method holds a monitor there. */
    int deferredInMonitor;
    /** Monitors counted for the task's monitor depth: monitorenter instructions and synchronized methods. */
    int monitorsCounted;
    /** Methods left alone: synchronized, jsr/ret, or excluded by policy or annotation. */
    int methodsSkipped;

    boolean changed() {
        return entries + backEdges + stripMined + afterMonitorExit + monitorsCounted > 0;
    }

    @Override
    public String toString() {
        return "methods=" + methods + " entries=" + entries + " backedges=" + backEdges + " stripmined=" + stripMined
                + " after-monitorexit=" + afterMonitorExit + " deferred-in-monitor=" + deferredInMonitor
                + " monitors-counted=" + monitorsCounted + " skipped-methods=" + methodsSkipped;
    }
}
