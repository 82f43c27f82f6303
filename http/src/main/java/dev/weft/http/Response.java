package dev.weft.http;

/**
 * The response a {@link Handler} fills: status, header fields, body. Sent when the handler returns; the body
 * goes into the request slot's preallocated buffer ({@link HttpServerConfig#responseBytesMax()}).
 *
 * {@snippet class=dev.weft.http.Snippets region=response}
 *
 * <h2>Exceptions</h2>
 * {@link IllegalArgumentException} for a status outside 200 to 599 and for header fields the server manages
 * ({@code Content-Length}, {@code Transfer-Encoding}, {@code Connection}); {@link IllegalStateException} for a
 * body larger than the slot's buffer (the message names the limit) or more fields than a slot holds. Thrown by
 * the handler, either becomes a 500.
 *
 * <h2>Thread safety</h2>
 * For the handler's task, while the handler runs.
 */
public sealed interface Response permits ResponseImpl {
    /** Sets the status (default 200); returns this response. */
    Response status(int status);

    /** Adds a header field; returns this response. */
    Response header(String name, String value);

    /** Sets {@code Content-Type}; returns this response. */
    Response contentType(String type);

    /** Replaces the body by {@code text} in UTF-8; returns this response. */
    Response body(String text);

    /** Replaces the body by {@code bytes}; returns this response. */
    Response body(byte[] bytes);

    /** Appends {@code text} in UTF-8 to the body; returns this response. */
    Response write(CharSequence text);

    /** The largest body this response can hold, in bytes. */
    int bodyBytesMax();
}
