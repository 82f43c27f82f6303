package dev.weft.otel;

import dev.weft.TaskScope;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;

/**
 * The code of every {@code {@snippet}} in this module's Javadoc, compiled with the tests; Javadoc shows each region
 * from here ({@code {@snippet class=dev.weft.otel.Snippets region=...}}).
 */
@SuppressWarnings("unused")
final class Snippets {
    private Snippets() {}

    static void spans(Tracer tracer) {
        // @start region=spans
        Span request = tracer.spanBuilder("request").startSpan();
        try (Scope s = request.makeCurrent()) {
            TaskScope.run(scope -> {
                scope.spawn("db", () -> {
                    Span child = tracer.spanBuilder("query").startSpan();   // parent: request, found in this task
                    child.end();
                });
            });
        } finally {
            request.end();
        }
        // @end
    }
}
