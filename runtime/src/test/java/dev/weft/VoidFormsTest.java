package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The void forms: bodies that return nothing compile without {@code return null;}, and a lambda that returns a
 * value still selects the value form. Each call below is the overload javac picks; the test compiling is half of
 * the check, the assertions the other half.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class VoidFormsTest {
    private static final Weft.Options ONE_LOOP = Weft.options().loops(1).handleSigint(false);

    static String fetch(String m) {
        return m;
    }

    static void log(List<String> events, String line) {
        events.add(line);
    }

    @Test
    void voidRunBodyRunsAsTheRootTask() {
        List<String> events = new ArrayList<>();
        Weft.run(ONE_LOOP, () -> {
            events.add("in task: " + Weft.inTask());
        });
        assertThat(events).containsExactly("in task: true");
    }

    @Test
    void valueLambdaStillSelectsTheResultForm() {
        String a = Weft.run(ONE_LOOP, () -> fetch("a"));                 // expression: the callable wins
        String b = Weft.run(ONE_LOOP, () -> {
            return fetch("b");
        });
        String c = Weft.run(ONE_LOOP, (ThrowingCallable<String, RuntimeException>) () -> "c");
        assertThat(a + b + c).isEqualTo("abc");
    }

    @Test
    void voidRunPropagatesTheBodysCheckedExceptionUnchanged() {
        assertThatThrownBy(() -> Weft.run(ONE_LOOP, () -> {
            throw new IOException("disk gone");
        })).isInstanceOf(IOException.class).hasMessage("disk gone");
    }

    @Test
    void voidScopeBodyJoinsEveryVoidChild() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Weft.run(ONE_LOOP, () -> {
            TaskScope.run(scope -> {
                scope.spawn(() -> log(events, "anonymous"));
                scope.spawn("named", () -> log(events, "named"));
                scope.spawnOn(Weft.loops().getFirst(), "placed", () -> {
                    log(events, "placed");
                });
            });
            events.add("after scope");
        });
        assertThat(events).containsExactly("anonymous", "named", "placed", "after scope");
    }

    @Test
    void voidChildHandleJoinsToNullAndReportsFailure() {
        Weft.run(ONE_LOOP, () -> {
            TaskScope.supervise(scope -> {
                Task<Void> ok = scope.spawn("ok", () -> Cancellation.checkpoint());
                Task<Void> bad = scope.spawn("bad", () -> {
                    throw new IOException("boom");
                });
                assertThat(ok.join()).isNull();
                assertThatThrownBy(bad::join).isInstanceOf(TaskFailedException.class).hasRootCauseMessage("boom");
            }, (task, e) -> { });
        });
    }

    @Test
    void expressionScopeBodySelectsTheValueFormAndReturnsIt() {
        int v = Weft.run(ONE_LOOP, () -> TaskScope.run(scope -> scope.spawn(() -> 7).join()));
        assertThat(v).isEqualTo(7);
    }

    @Test
    void typedVoidExpressionScopeBodySelectsTheVoidForm() {
        AtomicInteger runs = new AtomicInteger();
        Weft.run(ONE_LOOP, () -> TaskScope.run((TaskScope scope) -> bump(runs)));
        Weft.run(ONE_LOOP, () -> TaskScope.run(scope -> {
            runs.incrementAndGet();
        }));
        assertThat(runs).hasValue(2);
    }

    @Test
    void methodReferencesPickByReturnType() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        String r = Weft.run(ONE_LOOP, () -> TaskScope.run(scope -> {
            Task<String> value = scope.spawn(VoidFormsTest::answer);       // returns a value: Task<String>
            Task<Void> none = scope.spawn(() -> log(events, "void ref"));
            none.join();
            return value.join();
        }));
        assertThat(r).isEqualTo("42");
        assertThat(events).containsExactly("void ref");
    }

    static void bump(AtomicInteger runs) {
        runs.incrementAndGet();
    }

    static String answer() {
        return "42";
    }

    @Test
    void voidSupervisedChildFailureGoesToTheHandlerAndCancelsNothing() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Weft.run(ONE_LOOP, () -> TaskScope.supervise(scope -> {
            scope.spawn("bad", () -> {
                throw new IllegalStateException("bad");
            });
            scope.spawn("good", () -> log(events, "good ran"));
        }, (task, e) -> events.add(task.name() + ": " + e.getMessage())));
        assertThat(events).containsExactlyInAnyOrder("bad: bad", "good ran");
    }

    @Test
    void nullBodiesNameTheFix() {
        assertThatThrownBy(() -> Weft.run((ThrowingRunnable<RuntimeException>) null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("Weft.run(() -> { ... })");
        Weft.run(ONE_LOOP, () -> TaskScope.run(scope -> {
            assertThatThrownBy(() -> scope.spawn((ThrowingRunnable<Exception>) null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("scope.spawn(() -> work())");
        }));
    }
}
