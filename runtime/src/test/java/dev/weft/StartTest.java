package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Trio's nursery.start: spawn, and wait until the child says it is ready. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StartTest {

    @Test
    void startReturnsTheReadyValueWhileTheChildRunsOn() {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            Channel<String> requests = Channel.create(4);
            TaskScope.run(scope -> {
                int port = scope.start("server", status -> {
                    events.add("binding");
                    status.started(8080);
                    events.add("serving " + requests.receive());
                });
                events.add("started on " + port);
                requests.send("GET /");
            });
        });
        assertThat(events).containsExactly("binding", "started on 8080", "serving GET /");
    }

    @Test
    void aChildThatFailsBeforeItIsReadyFailsTheStart() {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> TaskScope.supervise(scope -> {
            try {
                scope.start("broken", status -> {
                    throw new IOException("port in use");
                });
            } catch (TaskFailedException e) {
                events.add(e.getMessage() + " / cause " + e.getCause().getMessage());
            }
        }, (task, e) -> events.add("handler saw " + task.name())));
        assertThat(events).contains("handler saw broken")
                .anyMatch(l -> l.contains("failed before it called started()") && l.endsWith("cause port in use"));
    }

    @Test
    void inARunScopeTheEarlyFailureComesOutOfTheScope() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.start("broken", status -> {
                throw new IllegalStateException("no config");
            });
        }))).isInstanceOf(IllegalStateException.class).hasMessage("no config");
    }

    @Test
    void aChildThatReturnsWithoutReportingReadyIsAMisuseNamedInTheMessage() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.start("forgetful", status -> Cancellation.checkpoint());
        }))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'forgetful' returned without calling status.started()");
    }

    @Test
    void startedTwiceIsRefused() {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.start("twice", status -> {
                status.started();
                try {
                    status.started();
                } catch (IllegalStateException e) {
                    events.add(e.getMessage());
                }
            });
        }));
        assertThat(events).singleElement().asString().contains("started() called twice");
    }

    @Test
    void cancellingTheStarterBeforeTheChildIsReadyCancelsTheChild() {
        VirtualClock clock = VirtualClock.create();
        List<String> events = new ArrayList<>();
        Runs.oneLoop(clock, () -> TaskScope.run(scope -> {
            scope.spawn("advancer", () -> clock.advance(Duration.ofSeconds(2)));
            CancelScope deadline = CancelScope.withTimeout(Duration.ofSeconds(1));
            deadline.run(() -> scope.start("slow", status -> {
                try {
                    Weft.sleep(Duration.ofHours(1));
                    status.started();
                } finally {
                    events.add("child cleanup");
                }
            }));
            events.add("starter moved on: " + deadline.cancelledCaught());
        }));
        assertThat(events).containsExactly("starter moved on: true", "child cleanup");
    }
}
