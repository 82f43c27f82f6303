package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Options are a snapshot taken at Weft.run; the machinery's own failures go to the error handler. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RuntimeConfigTest {

    @Test
    void raisingTasksPerLoopMaxAfterStartAdmitsNothingMore() {
        Weft.Options options = Weft.options().loops(1).tasksPerLoopMax(2).handleSigint(false);
        assertThatThrownBy(() -> Weft.run(options, () -> {
            options.tasksPerLoopMax(1_000); // too late: the runtime runs with its snapshot
            return TaskScope.run(scope -> {
                Channel<String> hold = Channel.create(1);
                scope.spawn("first", () -> hold.receive()); // root + first = 2, the limit
                try {
                    scope.spawn("second", () -> "never");
                    return "admitted past the limit";
                } finally {
                    hold.send("release");
                }
            });
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("already runs 2 tasks");
    }

    @Test
    void aFailureHandlerThatThrowsGoesToTheErrorHandlerNotToStderr() {
        List<String> reported = new CopyOnWriteArrayList<>();
        String result = Weft.run(Weft.options().loops(1).handleSigint(false)
                .errorHandler((where, error) -> reported.add(where + ": " + error.getMessage())), () ->
                TaskScope.supervise(scope -> {
                    scope.spawn("bad", () -> {
                        throw new IllegalArgumentException("child failed");
                    });
                    return "the scope survives its handler";
                }, (task, failure) -> {
                    throw new IllegalStateException("handler broke on " + failure.getMessage());
                }));
        assertThat(result).isEqualTo("the scope survives its handler");
        assertThat(reported).singleElement().asString()
                .contains("failure handler").contains("handler broke on child failed");
    }

    @Test
    void optionsRejectANullErrorHandlerNamingTheFix() {
        assertThatThrownBy(() -> Weft.options().errorHandler(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("(where, error) ->");
    }
}
