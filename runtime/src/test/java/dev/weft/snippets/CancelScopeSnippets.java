package dev.weft.snippets;

import dev.weft.CancelScope;
import dev.weft.Weft;
import java.time.Duration;
import java.util.Optional;

/** Examples for {@code CancelScope} and {@code Cancelled}. */
public final class CancelScopeSnippets {
    private CancelScopeSnippets() {}

    static String fetch(String url) {
        Weft.sleep(Duration.ofMillis(1));
        return "<" + url + ">";
    }

    static final java.util.List<String> LOG = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    static void log(String line) {
        LOG.add(line);
    }

    static String cachedCopy(String url) {
        return "<cached " + url + ">";
    }

    /** A connection whose close must finish. */
    interface Connection {
        void flushAndClose();
    }

    /** {@code CancelScope}'s class documentation. */
    public static String cancelScope(String url, Connection connection) {
        // @start region=cancel-scope
        // Give up on the fetch after 2 s and continue with a fallback.
        CancelScope scope = CancelScope.withTimeout(Duration.ofSeconds(2));
        String page = scope.call(() -> fetch(url));       // null if the deadline cancelled it
        if (scope.cancelledCaught()) {
            page = cachedCopy(url);
        }

        // Raise instead of continuing:
        String strict = CancelScope.failAfter(Duration.ofSeconds(2), () -> fetch(url));

        // Cleanup that must block: shielded from outer cancellation, under its own deadline.
        CancelScope.shielded(Duration.ofSeconds(5), () -> connection.flushAndClose());
        // @end
        return page + strict;
    }

    /** {@code CancelScope.callOptional}. */
    public static String callOptional(String url) {
        // @start region=call-optional
        Optional<String> page = CancelScope.withTimeout(Duration.ofSeconds(2)).callOptional(() -> fetch(url));
        String shown = page.orElseGet(() -> cachedCopy(url));  // empty only if the deadline cancelled it
        // @end
        return shown;
    }

    /** {@code Cancelled}'s class documentation. */
    public static boolean cancelled() {
        // @start region=cancelled
        CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(50));
        scope.run(() -> {
            try {
                Weft.sleep(Duration.ofSeconds(10));      // raises Cancelled after 50 ms
            } finally {
                log("cleanup runs");
            }
        });
        assert scope.cancelledCaught();                  // absorbed: we continue here
        // @end
        return scope.cancelledCaught();
    }
}
