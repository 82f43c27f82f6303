package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
class ContextVarTest {
    static final ContextVar<String> USER = ContextVar.withDefault("user", "anonymous");

    @Test
    void childGetsASnapshotAndSiblingsAreIsolated() {
        List<String> seen = Runs.oneLoop(() -> {
            USER.set("parent");
            return TaskScope.run(scope -> {
                Task<String> a = scope.spawn(() -> {
                    USER.set("a");
                    Thread.yield(); // one loop, FIFO: b runs in between
                    return USER.get();
                });
                Task<String> b = scope.spawn(() -> {
                    String before = USER.get();
                    USER.set("b");
                    return before + "/" + USER.get();
                });
                USER.set("parent-later"); // after spawn: children must not see it
                return List.of(a.join(), b.join(), USER.get());
            });
        });
        assertThat(seen).containsExactly("a", "parent/b", "parent-later");
    }

    @Test
    void defaultAndTokenReset() {
        String[] seen = Runs.oneLoop(() -> {
            String d = USER.get();
            var t1 = USER.set("x");
            var t2 = USER.set("y");
            String y = USER.get();
            USER.reset(t2);
            String x = USER.get();
            USER.reset(t1);
            return new String[] {d, y, x, USER.get(), String.valueOf(USER.isSet())};
        });
        assertThat(seen).containsExactly("anonymous", "y", "x", "anonymous", "false");
    }

    @Test
    void tokenMisuseFailsWithAdvice() {
        ContextVar<Integer> other = ContextVar.of("other");
        Runs.oneLoop(() -> {
            var t = USER.set("x");
            USER.reset(t);
            assertThatThrownBy(() -> USER.reset(t)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already used");
            @SuppressWarnings({"unchecked", "rawtypes"})
            ContextVar<String> wrong = (ContextVar) other;
            var t2 = USER.set("z");
            assertThatThrownBy(() -> wrong.reset(t2)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("its own token");
            return null;
        });
    }

    @Test
    void bindingsRestoreAndDetectMisnesting() {
        Runs.oneLoop(() -> {
            try (var outer = USER.bind("outer")) {
                try (var inner = USER.bind("inner")) {
                    assertThat(USER.get()).isEqualTo("inner");
                }
                assertThat(USER.get()).isEqualTo("outer");
            }
            assertThat(USER.get()).isEqualTo("anonymous");
            var outer = USER.bind("outer");
            var inner = USER.bind("inner");
            assertThatThrownBy(outer::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("out of order");
            inner.close();
            outer.close();
            assertThat(USER.get()).isEqualTo("anonymous");
            return null;
        });
    }

    @Test
    void taskMovedBetweenLoopsKeepsItsContextAndScopes() {
        String[] seen = Runs.loops(2, () -> {
            USER.set("traveller");
            Loop start = Weft.currentLoop();
            Loop other = Weft.loops().get(1 - start.index());
            CancelScope scope = CancelScope.create().name("travelling-scope");
            String[] out = new String[3];
            scope.run(() -> {
                Weft.moveTo(other);
                out[0] = Weft.currentLoop().name();
                out[1] = USER.get();
                scope.cancel();
                Cancellation.checkpoint(); // the scope came along: cancelled here, absorbed below
            });
            out[2] = "caught=" + scope.cancelledCaught() + " expected-loop=" + other.name();
            return out;
        });
        assertThat(seen[0]).endsWith("loop-1");
        assertThat(seen[1]).isEqualTo("traveller");
        assertThat(seen[2]).isEqualTo("caught=true expected-loop=" + seen[0]);
    }

    @Test
    void nonTaskThreadsHaveTheirOwnContext() {
        var t = USER.set("plain-thread");
        try {
            assertThat(USER.get()).isEqualTo("plain-thread");
            String inRoot = Runs.oneLoop(USER::get); // the root snapshots the caller's context
            assertThat(inRoot).isEqualTo("plain-thread");
        } finally {
            USER.reset(t);
        }
    }
}
