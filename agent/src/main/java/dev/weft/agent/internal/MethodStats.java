package dev.weft.agent.internal;

import java.util.ArrayList;
import java.util.List;

/** Counts of what the transforms did to one class, for the report. Touched only by the transforming thread. */
final class MethodStats {
    int methods;
    int entries;
    /** Entry checks placed because the method is recursive within its class ({@link Recursion}); also in entries. */
    int recursiveEntries;
    int backEdges;
    int stripMined;
    int afterMonitorExit;
    /** Back-edges left without a check because this method holds a monitor there. */
    int deferredInMonitor;
    /** Monitors counted for the task's monitor depth: monitorenter instructions and synchronized methods. */
    int monitorsCounted;
    /** Calls of {@code Lookup.defineHiddenClass*} routed through the agent ({@link HiddenClassDefinitions}). */
    int hiddenDefinitions;
    /** Methods left alone: synchronized, jsr/ret, or excluded by policy or annotation. */
    int methodsSkipped;
    /** Of {@link #methodsSkipped}: methods left unchanged because they use jsr/ret (class files older than 50). */
    int jsrRetMethods;
    /**
     * One note per recursive method, {@code name(how,what)}: {@code fib(self,entry)}, {@code ping(mutual,entry)},
     * {@code locked(self,none:synchronized)} (no check, and why).
     */
    final List<String> recursion = new ArrayList<>();

    boolean changed() {
        return entries + backEdges + stripMined + afterMonitorExit + monitorsCounted + hiddenDefinitions > 0;
    }

    @Override
    public String toString() {
        return "methods=" + methods + " entries=" + entries + " recursive-entries=" + recursiveEntries + " backedges="
                + backEdges + " stripmined=" + stripMined + " after-monitorexit=" + afterMonitorExit
                + " deferred-in-monitor=" + deferredInMonitor + " monitors-counted=" + monitorsCounted
                + " hidden-definitions=" + hiddenDefinitions + " skipped-methods=" + methodsSkipped
                + " jsr-ret-methods=" + jsrRetMethods + (recursion.isEmpty() ? "" : " recursion=" + String.join(",", recursion));
    }
}
