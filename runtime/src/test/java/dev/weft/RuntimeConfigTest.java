package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    /** Runs a supervised scope whose failure handler throws, with {@code options}; returns what reached stderr. */
    private static String stderrOfAFailingFailureHandler(Weft.Options options, long[] internalErrors) {
        PrintStream before = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            internalErrors[0] = Weft.run(options.loops(1).handleSigint(false), () -> {
                TaskScope.supervise(scope -> {
                    scope.spawn("bad", () -> {
                        throw new IllegalArgumentException("child failed");
                    });
                    return "the scope survives its handler";
                }, (task, failure) -> {
                    throw new IllegalStateException("handler broke on " + failure.getMessage());
                });
                return Weft.statistics().internalErrors();
            });
        } finally {
            System.setErr(before);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aFailureHandlerThatThrowsGoesToTheErrorHandlerNotToStderr() {
        List<String> reported = new CopyOnWriteArrayList<>();
        long[] errors = new long[1];
        String stderr = stderrOfAFailingFailureHandler(Weft.options()
                .errorHandler((where, error) -> reported.add(where + ": " + error.getMessage())), errors);
        assertThat(reported).singleElement().asString()
                .contains("failure handler").contains("handler broke on child failed");
        assertThat(stderr).as("the handler replaces the default print").doesNotContain("weft:");
        assertThat(errors[0]).as("counted either way").isEqualTo(1);
    }

    @Test
    void withoutAHandlerTheFailureIsOneLineOnStderrNamingWhereAndHowToHandleIt() {
        long[] errors = new long[1];
        String stderr = stderrOfAFailingFailureHandler(Weft.options(), errors);
        assertThat(stderr.lines().filter(l -> l.startsWith("weft: internal error")).toList()).as(stderr)
                .singleElement().asString().contains("failure handler").contains("handler broke on child failed")
                .contains("Weft.options().errorHandler(");
        assertThat(stderr).as("no stack without -Dweft.debug=true").doesNotContain("\tat ");
        assertThat(errors[0]).isEqualTo(1);
    }

    @Test
    void anErrorHandlerThatThrowsIsCountedAndTheRuntimeCarriesOn() {
        long[] errors = new long[1];
        String stderr = stderrOfAFailingFailureHandler(Weft.options().errorHandler((where, error) -> {
            throw new IllegalStateException("the error handler failed too");
        }), errors);
        assertThat(errors[0]).as("the failure and the handler's own").isEqualTo(2);
        assertThat(stderr).doesNotContain("weft:");
    }

    @Test
    void optionsRejectANullErrorHandlerNamingTheFix() {
        assertThatThrownBy(() -> Weft.options().errorHandler(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("(where, error) ->");
    }
}
