package dev.weft.http.internal;

import java.nio.ByteBuffer;

/**
 * What the machinery asks of the public layer: run the application's handler for a request, and write the
 * health lane's report. Implemented by the server; keeps this package free of the public types.
 */
public interface Dispatch {
    /** Runs the handler routed for the request in {@code slot}; its response goes into the slot. */
    void handle(HandlerSlot slot) throws Exception;

    /** Writes the health report (JSON) into {@code into} (write mode, at most its remaining bytes). */
    void health(ByteBuffer into);

    /** Reports a failure of the machinery that the server survives: counted, and given to the error handler. */
    void internalError(String where, Throwable error);

    /** Gives a handler's failure to the error handler (the connection counts it and answers 500). */
    void report(String where, Throwable error);
}
