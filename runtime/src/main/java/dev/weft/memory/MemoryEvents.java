package dev.weft.memory;

import dev.weft.internal.event.GraceExhaustedEvent;
import dev.weft.internal.event.GraceUsedEvent;
import dev.weft.internal.event.MemoryLimitEvent;
import dev.weft.internal.event.OutOfMemoryContainedEvent;
import dev.weft.internal.event.PlanCommittedEvent;

/**
 * Memory's JFR event sites, all on slow paths (a refusal, a grace, a plan, a contained error). Each caller guards
 * its call with {@code if (Jfr.recording)} so that no event class loads while nothing records; each event asks
 * {@code shouldCommit()} before its fields are computed.
 */
final class MemoryEvents {
    private MemoryEvents() {}

    /** A memory error was raised (any kind); on the thread that raises it. */
    static void limit(MemoryLimitError e) {
        MemoryLimitEvent ev = new MemoryLimitEvent();
        if (!ev.shouldCommit()) {
            return;
        }
        ev.kind = e.kind().name();
        ev.budget = e.budgetName();
        ev.task = e.taskName();
        ev.requested = e.requestedBytes();
        ev.used = e.usedBytes();
        ev.limitSoft = e.limitBytesSoft();
        ev.grace = e.graceBytes();
        ev.commit();
        if (e.kind() == MemoryLimitError.Kind.GRACE_EXHAUSTED) {
            GraceExhaustedEvent g = new GraceExhaustedEvent();
            if (g.shouldCommit()) {
                g.budget = e.budgetName();
                g.task = e.taskName();
                g.requested = e.requestedBytes();
                g.used = e.usedBytes();
                g.commit();
            }
        }
    }

    /** A budget lent {@code task} its grace. */
    static void graceUsed(String budget, String task, long graceBytes, int holders) {
        GraceUsedEvent ev = new GraceUsedEvent();
        if (!ev.shouldCommit()) {
            return;
        }
        ev.budget = budget;
        ev.task = task;
        ev.grace = graceBytes;
        ev.holders = holders;
        ev.commit();
    }

    /** A real OutOfMemoryError was contained to {@code task}. */
    static void outOfMemoryContained(String task, OutOfMemoryError oom) {
        OutOfMemoryContainedEvent ev = new OutOfMemoryContainedEvent();
        if (!ev.shouldCommit()) {
            return;
        }
        ev.task = task;
        ev.message = oom.getMessage();
        ev.commit();
    }

    /** A plan was committed on {@code budget}. */
    static void planCommitted(String budget, int components, long plannedBytes, long availableBytes) {
        PlanCommittedEvent ev = new PlanCommittedEvent();
        if (!ev.shouldCommit()) {
            return;
        }
        ev.budget = budget;
        ev.components = components;
        ev.planned = plannedBytes;
        ev.available = availableBytes;
        ev.commit();
    }
}
