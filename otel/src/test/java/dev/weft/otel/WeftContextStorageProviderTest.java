package dev.weft.otel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Channel;
import dev.weft.Loop;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.context.Scope;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OpenTelemetry's context through Weft's: found by ServiceLoader, current in children, isolated between tasks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WeftContextStorageProviderTest {

    private static Span span(int n) {
        String trace = String.format("%032x", n + 1);
        String id = String.format("%016x", n + 1);
        return Span.wrap(SpanContext.create(trace, id, TraceFlags.getSampled(), TraceState.getDefault()));
    }

    private static String currentSpanId() {
        return Span.current().getSpanContext().getSpanId();
    }

    @Test
    void openTelemetryUsesTheWeftStorageFoundOnTheClassPath() {
        assertThat(ContextStorage.get().getClass().getName()).contains("WeftContextStorageProvider");
    }

    @Test
    void aSpanCurrentInAParentIsCurrentInItsChildrenOnEveryLoopAndTheirOwnSpansDoNotLeakBack() {
        String invalid = SpanContext.getInvalid().getSpanId();
        List<String> seen = Weft.run(Weft.options().loops(3).handleSigint(false), () -> {
            List<Loop> loops = Weft.loops();
            Span parent = span(1);
            try (Scope s = parent.makeCurrent()) {
                return TaskScope.run(scope -> {
                    Task<String> onOther = scope.spawnOn(loops.get(1), "child-elsewhere", () -> {
                        String inherited = currentSpanId();
                        try (Scope own = span(2).makeCurrent()) {
                            Weft.moveTo(loops.get(2));
                            return inherited + "," + currentSpanId();
                        }
                    });
                    Task<String> grandchild = scope.spawn("child", () -> TaskScope.run(inner ->
                            inner.spawn(WeftContextStorageProviderTest::currentSpanId).join()));
                    String afterChildren = onOther.join() + "|" + grandchild.join() + "|" + currentSpanId();
                    return List.of(afterChildren);
                });
            }
        });
        String p = span(1).getSpanContext().getSpanId();
        String c = span(2).getSpanContext().getSpanId();
        assertThat(seen).containsExactly(p + "," + c + "|" + p + "|" + p);
        assertThat(currentSpanId()).as("nothing leaked to the test's thread").isEqualTo(invalid);
    }

    @Test
    void siblingTasksSeeOnlyTheirOwnSpansWhileTheyInterleave() {
        int tasks = 200;
        List<Boolean> ok = Weft.run(Weft.options().loops(2).handleSigint(false), () -> {
            Channel<Integer> bound = Channel.create(tasks);
            Channel<Integer> go = Channel.create(tasks);
            return TaskScope.run(scope -> {
                List<Task<Boolean>> all = new java.util.ArrayList<>();
                for (int i = 0; i < tasks; i++) {
                    final int n = i + 10;
                    all.add(scope.spawnOn(Weft.loops().get(i % 2), "t" + i, () -> {
                        try (Scope s = span(n).makeCurrent()) {
                            bound.send(n);
                            go.receive(); // every task has its span current before any checks
                            return currentSpanId().equals(span(n).getSpanContext().getSpanId())
                                    && Context.current() != Context.root();
                        }
                    }));
                }
                for (int i = 0; i < tasks; i++) {
                    bound.receive();
                }
                for (int i = 0; i < tasks; i++) {
                    go.send(i);
                }
                return all.stream().map(Task::join).toList();
            });
        });
        assertThat(ok).hasSize(tasks).containsOnly(true);
    }
}
