package dev.weft;

import dev.weft.internal.event.CancelDeliveredEvent;
import dev.weft.internal.event.CancelRequestedEvent;
import dev.weft.internal.event.Jfr;
import dev.weft.internal.event.TaskEndEvent;
import dev.weft.internal.event.TaskStartEvent;

/**
 * The core's JFR event sites. Each caller guards its call with {@code if (Jfr.recording)}, so no event class is
 * loaded or allocated while nothing records ({@link Jfr}); here each event asks {@code shouldCommit()} before any
 * field is computed.
 */
final class RuntimeEvents {
    private RuntimeEvents() {}

    /** On the spawner's thread, once the task's thread has started. */
    static void taskStarted(TaskImpl<?> t) {
        TaskStartEvent e = new TaskStartEvent();
        if (!e.shouldCommit()) {
            return;
        }
        e.task = t.name();
        e.taskId = t.id();
        e.parentTask = t.parentScope == null ? null : t.parentScope.owner.name();
        e.loop = t.scheduler == null ? null : t.scheduler.name();
        e.taskThread = t.thread();
        e.commit();
    }

    /** {@link System#nanoTime()} if task-end events are enabled (their lifetime needs it), else 0. */
    static long startNsIfTaskEndEnabled() {
        return new TaskEndEvent().isEnabled() ? System.nanoTime() : 0;
    }

    /** On the task's thread, as it completes. */
    static void taskEnded(TaskImpl<?> t, long startedNs, Throwable fail, Cancelled cancelled) {
        TaskEndEvent e = new TaskEndEvent();
        if (!e.shouldCommit()) {
            return;
        }
        e.task = t.name();
        e.taskId = t.id();
        e.outcome = fail != null ? "FAILED" : cancelled != null ? "CANCELLED" : "SUCCEEDED";
        e.failure = fail != null ? fail.toString() : cancelled != null ? cancelled.getMessage() : null;
        e.lifetime = startedNs == 0 ? -1 : System.nanoTime() - startedNs;
        e.commit();
    }

    /**
     * On the cancelling thread, after the reason was recorded. Returns the delivery event, begun now, for the scope to
     * end at its exit; or null when that event is disabled.
     */
    static CancelDeliveredEvent cancelRequested(CancelScopeImpl s, CancelReason why, Throwable where, boolean entered) {
        CancelRequestedEvent e = new CancelRequestedEvent();
        if (e.shouldCommit()) {
            e.scope = s.name();
            e.kind = s.kindName();
            e.reason = why.name();
            TaskImpl<?> o = s.owner;
            e.task = o == null ? null : o.name();
            e.origin = where != null ? where.getMessage()
                    : why == CancelReason.DEADLINE ? "deadline" : "thread " + Thread.currentThread().getName();
            e.entered = entered;
            e.commit();
        }
        CancelDeliveredEvent d = new CancelDeliveredEvent();
        if (!d.isEnabled()) {
            return null;
        }
        d.begin();
        return d;
    }

    /** On the owner's thread as the cancelled scope exits; {@code noticedNs} is 0 if no cancellation point raised. */
    static void cancelDelivered(CancelScopeImpl s, CancelDeliveredEvent d, long requestedNs, long noticedNs) {
        d.end();
        if (!d.shouldCommit()) {
            return;
        }
        long now = System.nanoTime();
        d.scope = s.name();
        CancelReason r = s.reason;
        d.reason = r == null ? null : r.name();
        TaskImpl<?> o = s.owner;
        d.task = o == null ? null : o.name();
        d.noticed = noticedNs != 0;
        d.noticeLatency = noticedNs != 0 ? Math.max(0, noticedNs - requestedNs) : -1;
        d.exitLatency = noticedNs != 0 ? Math.max(0, now - noticedNs) : -1;
        d.commit();
    }
}
