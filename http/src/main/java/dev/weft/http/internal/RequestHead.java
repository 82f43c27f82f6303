package dev.weft.http.internal;

import java.util.Locale;

/**
 * The parsed head of the request a connection is reading or serving: request line and header fields, in
 * arrays preallocated to the configured header count. One per connection slot, reused for every request.
 *
 * <h2>Thread safety</h2>
 * Written by the connection task while it parses the head; read by the handler task while the request is
 * handled (the spawn of the handler is the happens-before edge); the connection does not parse the next
 * request until the handler has finished and the response is written.
 */
public final class RequestHead {
    private final String[] names;
    private final String[] values;
    /** Fields stored. Connection task while parsing. */
    private int count;
    /** Fields the client sent (may exceed the capacity: the request is then refused with 431). */
    private int countSent;
    private String method;
    private String target;
    private String path;
    private String query;
    private boolean http10;

    RequestHead(int headerCountMax) {
        names = new String[headerCountMax];
        values = new String[headerCountMax];
    }

    void reset() {
        java.util.Arrays.fill(names, 0, count, null);
        java.util.Arrays.fill(values, 0, count, null);
        count = 0;
        countSent = 0;
        method = null;
        target = null;
        path = null;
        query = null;
        http10 = false;
    }

    void start(String method, String target, boolean http10) {
        this.method = method;
        this.target = target;
        this.http10 = http10;
        int q = target.indexOf('?');
        this.path = q < 0 ? target : target.substring(0, q);
        this.query = q < 0 ? "" : target.substring(q + 1);
    }

    /** Stores a field; false once more fields arrived than fit. */
    boolean add(String name, String value) {
        countSent++;
        if (count == names.length) {
            return false;
        }
        names[count] = name;
        values[count] = value;
        count++;
        return true;
    }

    /** Whether more fields arrived than the configured maximum. */
    boolean tooManyFields() {
        return countSent > names.length;
    }

    /** The method, e.g. {@code GET}. */
    public String method() {
        return method;
    }

    /** The request target as sent, e.g. {@code /sleep?ms=10}. */
    public String target() {
        return target;
    }

    /** The target up to {@code ?}, not decoded. */
    public String path() {
        return path;
    }

    /** The target after {@code ?} ({@code ""} if none), not decoded. */
    public String query() {
        return query;
    }

    /** Whether the request line said HTTP/1.0. */
    public boolean http10() {
        return http10;
    }

    /** Number of header fields. */
    public int fieldCount() {
        return count;
    }

    /** The name of field {@code i}, as sent. */
    public String fieldName(int i) {
        java.util.Objects.checkIndex(i, count);
        return names[i];
    }

    /** The value of field {@code i}. */
    public String fieldValue(int i) {
        java.util.Objects.checkIndex(i, count);
        return values[i];
    }

    /** The first value of the field called {@code name} (case-insensitive), or null. */
    public String field(String name) {
        for (int i = 0; i < count; i++) {
            if (names[i].equalsIgnoreCase(name)) {
                return values[i];
            }
        }
        return null;
    }

    /** Whether the connection closes after this request (HTTP/1.0 without keep-alive, or Connection: close). */
    boolean wantsClose() {
        String c = field("Connection");
        String v = c == null ? "" : c.toLowerCase(Locale.ROOT);
        return http10 ? !v.contains("keep-alive") : v.contains("close");
    }
}
