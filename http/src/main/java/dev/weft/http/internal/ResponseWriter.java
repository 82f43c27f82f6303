package dev.weft.http.internal;

import dev.weft.CancelScope;
import dev.weft.memory.Sizes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.DateGenerator;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpGenerator;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http.PreEncodedHttpField;

/**
 * Writes responses with Jetty's {@link HttpGenerator} into a preallocated head buffer, then the head and the
 * body to a socket's stream, under a Weft deadline (the write timeout). Always with a Content-Length: bodies
 * are complete in a buffer before the head is generated, so no chunking. Every generated answer carries a
 * {@code Date} (RFC 9110, 6.6.1: an origin server with a clock sends one in every 2xx, 3xx and 4xx answer),
 * unless the handler set its own; the field is made once a second and shared by every writer. The prebuilt 503s
 * ({@link #writeBytes}) have none, which the RFC allows for a 5xx and which keeps them one cached array.
 *
 * <p>A body that fits behind the head in the head buffer is copied there, so head and body go out in one
 * socket write (one system call, one TCP segment for a small answer). Things that don't work: writing the head
 * and then the body. Two system calls per answer, and with {@code TCP_NODELAY} two segments, which the client
 * acknowledges separately; at the {@code /hello} peak the second write was a fifth of the connection task's
 * time in the socket. A buffered stream over the socket instead: one more copy of every body, and its buffer
 * is another per-connection allocation the plan would have to count.
 *
 * <p>The response's metadata (Jetty's {@code MetaData.Response} with an immutable copy of the fields) is built
 * once and reused while status, fields, content type and length repeat, as they do on a kept-alive connection
 * answering the same request again: building it per answer made a field object per field, the immutable copy,
 * the metadata, and (since the copy shares the mutable list's array) a new array at the next {@code clear()},
 * a tenth of the server's allocated bytes at the {@code /hello} peak.
 *
 * <h2>Cancellation</h2>
 * A write is a cancellation point (a JDK socket write in a task). With a timeout, the writer runs it in a cancel
 * scope with that deadline; the deadline cancels it, which closes the socket, and {@link #write} returns false.
 * With {@link #BOUNDED_BY_CALLER} it opens no scope (no timer armed per answer): the connection's writes are
 * bounded by the server's timeout sweep, which closes the socket, and the write returns false the same way.
 *
 * <h2>Thread safety</h2>
 * Owned by one task at a time (a connection task, or the acceptor for refused connections).
 */
final class ResponseWriter {
    private final HttpGenerator generator = new HttpGenerator();
    private final ByteBuffer headOut;
    /** The response's fields, cleared and refilled for each response (no allocation per response). Owner only. */
    private final HttpFields.Mutable fieldsOut = HttpFields.build(Limits.RESPONSE_HEADERS_MAX + 4);

    /**
     * The last response's metadata and what it was built from: the next response with the same status, fields and
     * length reuses it instead of building a field list, its immutable copy and the metadata again (Jetty's
     * {@code MetaData} copies its fields, and the next {@code clear()} of the mutable list then allocates a new
     * array). Null until a response was built, or after one whose strings were too long to keep. Owner only.
     */
    private MetaData.Response lastInfo;
    private final String[] lastNames = new String[Limits.RESPONSE_HEADERS_MAX];
    private final String[] lastValues = new String[Limits.RESPONSE_HEADERS_MAX];
    private int lastCount;
    private int lastStatus;
    private int lastLength;
    private boolean lastClose;
    private String lastRetryAfter;
    private String lastContentType;
    /** The {@code Date} field the last metadata carries, or null if the handler set its own. Owner only. */
    private HttpField lastDate;

    /**
     * What the last response's metadata keeps alive: the metadata, its immutable field list (an object, an array
     * and a field object per field), and at most a head's worth of the handler's name and value strings (each at
     * most two bytes a character, plus a string's overhead), in the two arrays that remember them.
     */
    private static final long LAST_BYTES = Sizes.sum(Sizes.shallowSizeBytes(MetaData.Response.class),
            Sizes.shallowSizeBytes(HttpFields.build(0).asImmutable().getClass()),
            Sizes.arraySizeBytes(Object.class, Limits.RESPONSE_HEADERS_MAX + 4),
            Sizes.multiply(Limits.RESPONSE_HEADERS_MAX + 4, Sizes.shallowSizeBytes(org.eclipse.jetty.http.HttpField.class)),
            Sizes.multiply(2, Sizes.arraySizeBytes(String.class, Limits.RESPONSE_HEADERS_MAX)),
            2L * Limits.RESPONSE_HEAD_BYTES,
            Sizes.multiply(2L * Limits.RESPONSE_HEADERS_MAX, Sizes.add(Sizes.shallowSizeBytes(String.class),
                    Sizes.arraySizeBytes(byte.class, 0))));

    /** The reused field list: its object and its array of {@code RESPONSE_HEADERS_MAX + 4} references. */
    private static final long FIELDS_BYTES = Sizes.add(Sizes.shallowSizeBytes(HttpFields.build(0).getClass()),
            Sizes.arraySizeBytes(Object.class, Limits.RESPONSE_HEADERS_MAX + 4));

    /** The {@code Date} field of one second. */
    private record DateField(long epochSecond, HttpField field) {}

    /**
     * The {@code Date} field of the latest second any writer answered in: read and replaced by every writer's task
     * (a race builds the same second's field twice, which is harmless). One small object a second, outside the
     * plan like the JDK's socket objects; none per answer.
     */
    private static volatile DateField date = dateOf(System.currentTimeMillis() / 1000);

    private static DateField dateOf(long epochSecond) {
        return new DateField(epochSecond, new PreEncodedHttpField(HttpHeader.DATE,
                DateGenerator.formatDate(epochSecond * 1000)));
    }

    /** The {@code Date} field for now (RFC 9110's IMF-fixdate, in GMT). */
    static HttpField dateField() {
        long second = System.currentTimeMillis() / 1000;
        DateField d = date;
        if (d.epochSecond() != second) {
            d = dateOf(second);
            date = d;
        }
        return d.field();
    }

    /**
     * A timeout that means: no cancel scope of the writer's own; the caller bounds the write (a connection's
     * writes are bounded by the server's timeout sweep, which closes the socket of a write past its timeout).
     */
    static final long BOUNDED_BY_CALLER = 0;

    ResponseWriter(int headBytes) {
        headOut = ByteBuffer.allocate(headBytes);
    }

    static long sizeBytesMax(int headBytes) {
        return Sizes.sum(Sizes.shallowSizeBytes(ResponseWriter.class), Sizes.shallowSizeBytes(HttpGenerator.class),
                Sizes.byteBufferSizeBytes(headBytes), FIELDS_BYTES, LAST_BYTES);
    }

    /**
     * Writes one response: {@code status}, the handler's fields from {@code fields} (or none), {@code body}
     * (flush mode; not sent for a HEAD request), {@code Connection: close} if {@code close}. False if the
     * connection broke or the write took longer than {@code timeoutNs}.
     */
    boolean write(OutputStream out, int status, HandlerSlot fields, ByteBuffer body, boolean close, String retryAfter,
            String contentType, boolean headRequest, long timeoutNs) {
        MetaData.Response info = sameAsLast(status, fields, body.remaining(), close, retryAfter, contentType)
                ? lastInfo : info(status, fields, body.remaining(), close, retryAfter, contentType);
        generator.reset();
        generator.setPersistent(!close);
        headOut.clear().limit(0);
        if (timeoutNs == BOUNDED_BY_CALLER) {
            try {
                return generate(out, info, body, headRequest);
            } catch (IOException e) {
                return false;
            }
        }
        CancelScope deadline = CancelScope.withTimeout(java.time.Duration.ofNanos(timeoutNs)).name("http write");
        Boolean ok;
        try {
            ok = deadline.call(() -> generate(out, info, body, headRequest));
        } catch (IOException e) {
            return false;
        }
        return ok != null && ok && !deadline.cancelledCaught();
    }

    /**
     * Whether the response about to be written has the last one's status, fields and length, so its metadata can
     * be reused: the usual case of a kept-alive connection answering the same kind of request again.
     */
    private boolean sameAsLast(int status, HandlerSlot fields, int length, boolean close, String retryAfter,
            String contentType) {
        if (lastInfo == null || status != lastStatus || length != lastLength || close != lastClose
                || !java.util.Objects.equals(retryAfter, lastRetryAfter)
                || !java.util.Objects.equals(contentType, lastContentType)
                || (lastDate != null && lastDate != dateField())) { // a new second: a new Date
            return false;
        }
        int n = fields == null ? 0 : fields.responseCount();
        if (n != lastCount) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (!fields.responseName(i).equals(lastNames[i]) || !fields.responseValue(i).equals(lastValues[i])) {
                return false;
            }
        }
        return true;
    }

    /** Builds a response's metadata and remembers it as the last (see {@link #sameAsLast}). */
    private MetaData.Response info(int status, HandlerSlot fields, int length, boolean close, String retryAfter,
            String contentType) {
        lastInfo = null; // until it is complete: a failure below leaves nothing half-remembered
        HttpFields.Mutable f = fieldsOut;
        f.clear();
        int n = fields == null ? 0 : fields.responseCount();
        for (int i = 0; i < n; i++) {
            f.add(fields.responseName(i), fields.responseValue(i));
        }
        HttpField date = null;
        if (!f.contains(HttpHeader.DATE)) {
            date = dateField();
            f.add(date);
        }
        if (contentType != null) {
            f.put(HttpHeader.CONTENT_TYPE, contentType);
        }
        if (retryAfter != null) {
            f.put(HttpHeader.RETRY_AFTER, retryAfter);
        }
        if (close) {
            f.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        }
        MetaData.Response info = new MetaData.Response(status, null, HttpVersion.HTTP_1_1, f, length);
        long chars = 0;
        for (int i = 0; i < n; i++) {
            chars += fields.responseName(i).length() + fields.responseValue(i).length();
        }
        java.util.Arrays.fill(lastNames, 0, lastCount, null);
        java.util.Arrays.fill(lastValues, 0, lastCount, null);
        lastCount = 0;
        if (chars > Limits.RESPONSE_HEAD_BYTES) {
            return info; // not remembered: the plan counts at most a head's worth of the handler's strings
        }
        for (int i = 0; i < n; i++) {
            lastNames[i] = fields.responseName(i);
            lastValues[i] = fields.responseValue(i);
        }
        lastCount = n;
        lastStatus = status;
        lastLength = length;
        lastClose = close;
        lastRetryAfter = retryAfter;
        lastContentType = contentType;
        lastDate = date;
        lastInfo = info;
        return info;
    }

    private boolean generate(OutputStream out, MetaData.Response info, ByteBuffer body, boolean headRequest)
            throws IOException {
        for (int step = 0; step < 8; step++) { // header, flush, done: a few steps; a bound on a generator surprise
            HttpGenerator.Result r = generator.generateResponse(info, headRequest, headOut, null, body, true);
            switch (r) {
                case FLUSH -> {
                    if (headRequest) {
                        body.position(body.limit());
                    } else if (body.remaining() <= headOut.capacity() - headOut.limit()) {
                        int at = headOut.limit(); // the head is [position, limit); the body goes right behind it
                        headOut.limit(at + body.remaining());
                        headOut.put(at, body, body.position(), body.remaining());
                        body.position(body.limit());
                    }
                    flush(out, headOut); // the head, and the body if it fit behind it
                    flush(out, body);    // else the body
                    out.flush();
                    headOut.clear().limit(0);
                }
                case CONTINUE, SHUTDOWN_OUT -> {
                    // next step
                }
                case DONE -> {
                    return true;
                }
                case HEADER_OVERFLOW -> throw new IOException("response head exceeds " + headOut.capacity()
                        + " bytes; set fewer or shorter response header fields");
                default -> throw new IOException("HTTP generator asked for " + r + ", which a response with a"
                        + " Content-Length never needs");
            }
        }
        throw new IOException("HTTP generator did not finish a response in 8 steps");
    }

    /** Writes {@code bytes}, a whole prebuilt response, under the write timeout; false if it failed or timed out. */
    boolean writeBytes(OutputStream out, byte[] bytes, long timeoutNs) {
        if (timeoutNs == BOUNDED_BY_CALLER) {
            try {
                out.write(bytes);
                out.flush();
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        CancelScope deadline = CancelScope.withTimeout(java.time.Duration.ofNanos(timeoutNs)).name("http write");
        try {
            deadline.run(() -> {
                out.write(bytes);
                out.flush();
            });
        } catch (IOException e) {
            return false;
        }
        return !deadline.cancelledCaught();
    }

    /** Writes the interim {@code 100 Continue} (generated by Jetty's generator, which is reset after it). */
    boolean writeInterim(OutputStream out, long timeoutNs) {
        generator.reset();
        headOut.clear().limit(0);
        CancelScope deadline = CancelScope.withTimeout(java.time.Duration.ofNanos(timeoutNs)).name("http write");
        try {
            deadline.run(() -> {
                HttpGenerator.Result r = generator.generateResponse(HttpGenerator.CONTINUE_100_INFO, false, headOut,
                        null, null, false);
                if (r != HttpGenerator.Result.FLUSH) {
                    throw new IOException("HTTP generator answered " + r + " for 100 Continue");
                }
                flush(out, headOut);
                out.flush();
            });
        } catch (IOException e) {
            return false;
        } finally {
            generator.reset();
        }
        return !deadline.cancelledCaught();
    }

    private static void flush(OutputStream out, ByteBuffer b) throws IOException {
        if (b.hasRemaining()) {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            b.position(b.limit());
        }
    }
}
