package dev.weft.http;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.TreeSet;

/**
 * Routes a request to a {@link Handler} by method and path: exact paths ({@code /items}), and prefixes ending in
 * {@code /*} ({@code /static/*} matches {@code /static/a/b}); an exact path wins over a prefix, a longer prefix
 * over a shorter. No match: 404; a path matched for other methods only: 405 with {@code Allow}. A route for
 * {@code GET} also answers {@code HEAD} (the body is not sent), and {@code Allow} lists {@code HEAD} beside it.
 *
 * {@snippet class=dev.weft.http.Snippets region=router}
 *
 * <h2>Thread safety</h2>
 * A router is immutable; a builder belongs to one thread.
 */
public final class Router {
    private final Map<String, Map<String, Handler>> exact;
    private final Map<String, Map<String, Handler>> prefixes;
    private final int prefixLengthMax;

    private Router(Map<String, Map<String, Handler>> exact, Map<String, Map<String, Handler>> prefixes) {
        this.exact = copy(exact);
        this.prefixes = copy(prefixes);
        int m = 0;
        for (String p : prefixes.keySet()) {
            m = Math.max(m, p.length());
        }
        this.prefixLengthMax = m;
    }

    private static Map<String, Map<String, Handler>> copy(Map<String, Map<String, Handler>> m) {
        Map<String, Map<String, Handler>> c = new HashMap<>();
        m.forEach((k, v) -> c.put(k, Map.copyOf(v)));
        return Map.copyOf(c);
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** What a lookup found: a handler, or the status to answer and, for 405, the allowed methods. */
    record Match(Handler handler, int status, String allow) {}

    Match match(String method, String path) {
        Map<String, Handler> byMethod = exact.get(path);
        if (byMethod == null) {
            for (int end = Math.min(path.length(), prefixLengthMax); end >= 0 && byMethod == null; end--) {
                if (end == path.length() || path.charAt(end) == '/') {
                    byMethod = prefixes.get(path.substring(0, end));
                }
            }
        }
        if (byMethod == null) {
            return new Match(null, 404, null);
        }
        Handler h = byMethod.get(method);
        if (h == null && method.equals("HEAD")) {
            h = byMethod.get("GET");
        }
        if (h != null) {
            return new Match(h, 200, null);
        }
        StringJoiner allow = new StringJoiner(", ");
        TreeSet<String> methods = new TreeSet<>(byMethod.keySet());
        if (methods.contains("GET")) {
            methods.add("HEAD"); // a GET route answers HEAD, so Allow says so (RFC 9110, 10.2.1)
        }
        methods.forEach(allow::add);
        return new Match(null, 405, allow.toString());
    }

    /**
     * Builds a {@link Router}.
     *
     * {@snippet class=dev.weft.http.Snippets region=routerBuilder}
     */
    public static final class Builder {
        private final Map<String, Map<String, Handler>> exact = new LinkedHashMap<>();
        private final Map<String, Map<String, Handler>> prefixes = new LinkedHashMap<>();

        private Builder() {}

        /** Routes {@code GET} (and {@code HEAD}) on {@code path}. */
        public Builder get(String path, Handler handler) {
            return route("GET", path, handler);
        }

        /** Routes {@code POST} on {@code path}. */
        public Builder post(String path, Handler handler) {
            return route("POST", path, handler);
        }

        /** Routes {@code PUT} on {@code path}. */
        public Builder put(String path, Handler handler) {
            return route("PUT", path, handler);
        }

        /** Routes {@code DELETE} on {@code path}. */
        public Builder delete(String path, Handler handler) {
            return route("DELETE", path, handler);
        }

        /**
         * Routes {@code method} on {@code path} (exact, or a prefix ending in {@code /*}).
         *
         * @throws IllegalArgumentException for a path that does not start with {@code /}, or a route given twice
         */
        public Builder route(String method, String path, Handler handler) {
            Objects.requireNonNull(handler, "handler is null; pass (request, response) -> ...");
            if (method == null || method.isBlank()) {
                throw new IllegalArgumentException("method must be non-blank, e.g. \"GET\"");
            }
            if (path == null || !path.startsWith("/")) {
                throw new IllegalArgumentException("path must start with '/', got " + path);
            }
            String m = method.toUpperCase(Locale.ROOT);
            boolean prefix = path.endsWith("/*");
            String key = prefix ? path.substring(0, path.length() - 2) : path;
            Map<String, Handler> byMethod = (prefix ? prefixes : exact).computeIfAbsent(key, k -> new LinkedHashMap<>());
            if (byMethod.putIfAbsent(m, handler) != null) {
                throw new IllegalArgumentException(m + " " + path + " is routed twice; give each method and path one"
                        + " handler");
            }
            return this;
        }

        /** The router. */
        public Router build() {
            return new Router(exact, prefixes);
        }
    }
}
