package dev.weft.http.internal;

import dev.weft.internal.event.AdmissionRejectedEvent;

/**
 * The server's JFR event sites (admission refusals). Callers guard each call with
 * {@code if (Jfr.recording)}, so no event class loads while nothing records.
 */
final class ServerEvents {
    private ServerEvents() {}

    /** Refused for want of a handler slot ({@code "handlers"}) or a connection slot ({@code "connections"}). */
    static void rejected(String reason, int queued, long retryAfterSeconds) {
        AdmissionRejectedEvent e = new AdmissionRejectedEvent();
        if (!e.shouldCommit()) {
            return;
        }
        e.server = "weft-http";
        e.reason = reason;
        e.queued = queued;
        e.retryAfter = retryAfterSeconds;
        e.commit();
    }
}
