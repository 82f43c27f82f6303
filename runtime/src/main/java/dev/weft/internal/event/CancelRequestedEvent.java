package dev.weft.internal.event;

import jdk.jfr.*;

/**
 * A cancel scope was cancelled: explicitly (the stack trace is the caller of {@code cancel()}), by its deadline (the
 * timer thread), by a sibling's failure, by memory or by a signal.
 */
@Name("dev.weft.CancelRequested")
@Label("Cancel Requested")
@Category("dev.weft")
@Description("A Weft cancel scope was cancelled: the reason, the scope, the task it belongs to and who asked")
@Throttle("1000/s")
public final class CancelRequestedEvent extends Event {
    @Label("Scope") public String scope;
    @Label("Scope Kind") public String kind;
    @Label("Reason") public String reason;
    @Label("Task") @Description("The task that owns the scope") public String task;
    @Label("Origin") @Description("Who asked: the cancelling thread, or the deadline") public String origin;
    @Label("Entered") @Description("Whether the scope was running when cancelled (else it is cancelled at entry)")
    public boolean entered;
}
