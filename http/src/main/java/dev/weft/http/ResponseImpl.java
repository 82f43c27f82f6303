package dev.weft.http;

import dev.weft.http.internal.HandlerSlot;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A handler slot's response view; one per slot, reused. */
final class ResponseImpl implements Response {
    private final HandlerSlot slot;

    ResponseImpl(HandlerSlot slot) {
        this.slot = slot;
    }

    @Override
    public Response status(int status) {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status must be between 200 and 599, got " + status
                    + "; interim (1xx) responses are the server's");
        }
        slot.status(status);
        return this;
    }

    @Override
    public Response header(String name, String value) {
        checkName(name);
        if (value == null || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("header '" + name + "' needs a value without CR or LF, got "
                    + (value == null ? "null" : "a value with a line break"));
        }
        slot.addField(name, value);
        return this;
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("header name must be non-empty");
        }
        if (name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")
                || name.equalsIgnoreCase("Connection")) {
            throw new IllegalArgumentException("header '" + name + "' is set by the server (the body's length and"
                    + " the connection's keep-alive); leave it out");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 127 || c == ':') {
                throw new IllegalArgumentException("header name '" + name + "' has a character not allowed in a"
                        + " field name at " + i);
            }
        }
    }

    @Override
    public Response contentType(String type) {
        if (type == null || type.indexOf('\r') >= 0 || type.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("content type must be non-null without CR or LF");
        }
        slot.setField("Content-Type", type);
        return this;
    }

    @Override
    public Response body(String text) {
        slot.response().clear();
        return write(text);
    }

    @Override
    public Response body(byte[] bytes) {
        slot.response().clear();
        put(bytes);
        return this;
    }

    @Override
    public Response write(CharSequence text) {
        put(text.toString().getBytes(StandardCharsets.UTF_8));
        return this;
    }

    private void put(byte[] b) {
        ByteBuffer r = slot.response();
        if (b.length > r.remaining()) {
            throw new IllegalStateException("response body of " + (r.position() + (long) b.length) + " bytes exceeds"
                    + " responseBytesMax (" + r.capacity() + "); send less, or raise"
                    + " HttpServerConfig.withResponseBytesMax");
        }
        r.put(b);
    }

    @Override
    public int bodyBytesMax() {
        return slot.response().capacity();
    }

    @Override
    public String toString() {
        return "Response[" + slot.status() + ", " + slot.response().position() + " bytes]";
    }
}
