package dev.weft.internal.event;

import jdk.jfr.*;

/** The HTTP server turned a request away (503) because every handler slot was busy and its queue full or timed out. */
@Name("dev.weft.AdmissionRejected")
@Label("Admission Rejected")
@Category("dev.weft")
@Description("A Weft HTTP server rejected a request for want of a handler slot")
@Throttle("100/s")
@StackTrace(false)
public final class AdmissionRejectedEvent extends Event {
    @Label("Server") public String server;
    @Label("Reason") public String reason;
    @Label("Queued") @Description("Requests waiting for a slot") public int queued;
    @Label("Retry After") @Timespan(Timespan.SECONDS) public long retryAfter;
}
