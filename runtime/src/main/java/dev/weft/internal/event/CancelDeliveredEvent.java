package dev.weft.internal.event;

import jdk.jfr.*;

/**
 * A cancelled scope exited: how long the code inside took to notice (request to the first cancellation point that
 * raised {@code Cancelled}) and to leave (that point to the scope's exit). The event's duration is request to
 * exit, so a threshold selects the slow cancellations. Committed on the owner's thread as the scope exits.
 */
@Name("dev.weft.CancelDelivered")
@Label("Cancel Delivered")
@Category("dev.weft")
@Description("A cancelled Weft scope exited; the duration is from the cancel request to the exit")
@Threshold("0 ms")
@Throttle("1000/s")
@StackTrace(false)
public final class CancelDeliveredEvent extends Event {
    @Label("Scope") public String scope;
    @Label("Reason") public String reason;
    @Label("Task") public String task;
    @Label("Noticed") @Description("Whether a cancellation point raised Cancelled before the exit") public boolean noticed;
    @Label("Notice Latency") @Description("From the request to the first cancellation point that raised")
    @Timespan(Timespan.NANOSECONDS) public long noticeLatency;
    @Label("Exit Latency") @Description("From that cancellation point to the scope exit (cleanup)")
    @Timespan(Timespan.NANOSECONDS) public long exitLatency;
}
