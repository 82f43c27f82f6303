package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.event.Jfr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Weft's JFR events, read back from the recording file as a user's tool would. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JfrEventsTest {
    /** The longest an unrelated task holds its cancelled scope open: past it a failing test still ends. */
    private static final Duration HOLD_MAX = Duration.ofSeconds(20);
    @TempDir
    Path dir;

    private List<RecordedEvent> record(Recording r, Runnable program) throws IOException {
        Jfr.watch(); // as the first runtime does
        r.start();
        assertThat(Jfr.recording).as("the listener saw the recording start").isTrue();
        try {
            program.run();
        } finally {
            r.stop();
        }
        Path file = dir.resolve("events.jfr");
        r.dump(file);
        r.close();
        return RecordingFile.readAllEvents(file);
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }

    @Test
    void cancelRequestedNamesTheReasonTheScopeAndWhoAskedAndDeliveryMeasuresNoticeAndExit() throws IOException {
        Recording r = new Recording();
        r.enable("dev.weft.CancelRequested").withStackTrace();
        r.enable("dev.weft.CancelDelivered");
        List<RecordedEvent> events = record(r, () -> Runs.oneLoop(() -> {
            CountDownLatch sleeping = new CountDownLatch(1);
            CancelScope work = CancelScope.create().name("work");
            TaskScope.run(scope -> {
                scope.spawn("sleeper", () -> {
                    work.run(() -> {
                        sleeping.countDown();
                        try {
                            Weft.sleep(Duration.ofHours(1));
                        } finally {
                            Cancellation.isCancelled(); // cleanup: the scope exits after this
                        }
                    });
                    return null;
                });
                scope.spawn("canceller", () -> {
                    sleeping.await();
                    work.cancel();
                    return null;
                });
                return null;
            });
            return null;
        }));
        List<RecordedEvent> requested = named(events, "dev.weft.CancelRequested").stream()
                .filter(e -> "work".equals(e.getString("scope"))).toList();
        assertThat(requested).hasSize(1);
        RecordedEvent req = requested.getFirst();
        assertThat(req.getString("reason")).isEqualTo("EXPLICIT");
        assertThat(req.getString("task")).isEqualTo("sleeper");
        assertThat(req.getString("origin")).contains("canceller");
        assertThat(req.getBoolean("entered")).isTrue();
        assertThat(req.getStackTrace().getFrames()).as("the stack of the cancel() call")
                .anyMatch(f -> f.getMethod().getName().equals("cancel"));
        List<RecordedEvent> delivered = named(events, "dev.weft.CancelDelivered").stream()
                .filter(e -> "work".equals(e.getString("scope"))).toList();
        assertThat(delivered).hasSize(1);
        RecordedEvent d = delivered.getFirst();
        assertThat(d.getBoolean("noticed")).isTrue();
        long notice = d.getLong("noticeLatency");
        long exit = d.getLong("exitLatency");
        assertThat(notice).isNotNegative();
        assertThat(exit).isNotNegative();
        assertThat(d.getDuration().toNanos()).as("request to exit covers both parts")
                .isGreaterThanOrEqualTo(notice + exit - 1_000_000); // JFR's ticks and nanoTime differ by rounding
        assertThat(d.getString("reason")).isEqualTo("EXPLICIT");
    }

    @Test
    void aDeadlineCancelNamesTheDeadlineAsOriginAndAScopeNobodyCheckedIsDeliveredUnnoticed() throws IOException {
        Recording r = new Recording();
        r.enable("dev.weft.CancelRequested");
        r.enable("dev.weft.CancelDelivered");
        VirtualClock clock = VirtualClock.create();
        List<RecordedEvent> events = record(r, () -> Runs.oneLoop(clock, () -> {
            CancelScope deadline = CancelScope.withTimeout(Duration.ofSeconds(5)).name("five-seconds");
            deadline.run(() -> clock.advance(Duration.ofSeconds(6))); // no cancellation point inside
            return null;
        }));
        RecordedEvent req = named(events, "dev.weft.CancelRequested").stream()
                .filter(e -> "five-seconds".equals(e.getString("scope"))).findFirst().orElseThrow();
        assertThat(req.getString("reason")).isEqualTo("DEADLINE");
        assertThat(req.getString("origin")).isEqualTo("deadline");
        RecordedEvent d = named(events, "dev.weft.CancelDelivered").stream()
                .filter(e -> "five-seconds".equals(e.getString("scope"))).findFirst().orElseThrow();
        assertThat(d.getBoolean("noticed")).as("no cancellation point ran after the deadline").isFalse();
        assertThat(d.getLong("noticeLatency")).isEqualTo(-1);
    }

    @Test
    void taskStartAndEndAreOffInTheDefaultSettingsAndRecordEveryTaskWhenEnabled() throws Exception {
        Recording defaults = new Recording(Configuration.getConfiguration("default"));
        List<RecordedEvent> off = record(defaults, () -> Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.spawn("child", () -> 1);
            return null;
        })));
        assertThat(named(off, "dev.weft.TaskStart")).isEmpty();
        assertThat(named(off, "dev.weft.TaskEnd")).isEmpty();

        Recording on = new Recording();
        on.enable("dev.weft.TaskStart");
        on.enable("dev.weft.TaskEnd");
        List<RecordedEvent> events = record(on, () -> Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.spawn("ok", () -> 1);
            Task<Object> failing = scope.spawn("cancelled", () -> {
                Weft.sleep(Duration.ofHours(1));
                return null;
            });
            failing.cancel();
            return null;
        })));
        assertThat(named(events, "dev.weft.TaskStart")).extracting(e -> e.getString("task"))
                .contains("ok", "cancelled");
        RecordedEvent ok = named(events, "dev.weft.TaskStart").stream()
                .filter(e -> e.getString("task").equals("ok")).findFirst().orElseThrow();
        assertThat(ok.getString("parentTask")).isEqualTo("main");
        assertThat(ok.getString("loop")).endsWith("-loop-0");
        assertThat(named(events, "dev.weft.TaskEnd")).anySatisfy(e -> {
            assertThat(e.getString("task")).isEqualTo("ok");
            assertThat(e.getString("outcome")).isEqualTo("SUCCEEDED");
            assertThat(e.getLong("lifetime")).isNotNegative();
        }).anySatisfy(e -> {
            assertThat(e.getString("task")).isEqualTo("cancelled");
            assertThat(e.getString("outcome")).isEqualTo("CANCELLED");
        });
    }

    /** Spins without a cancellation point until the sampler has reported it (or 20 s: the test then fails). */
    private static long spinWithoutChecks(AtomicBoolean stop) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        long x = 0;
        while (!stop.get() && System.nanoTime() - deadline < 0) {
            x += x * 31 + 7;
        }
        return x;
    }

    @Test
    void aTaskThatHoldsItsCarrierWithoutACancellationPointIsReportedWithItsStack() throws Exception {
        AtomicBoolean seen = new AtomicBoolean();
        Path file = dir.resolve("gap.jfr");
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("dev.weft.CheckpointGap").withPeriod(Duration.ofMillis(10)).withThreshold(Duration.ofMillis(20));
            rs.onEvent("dev.weft.CheckpointGap", e -> seen.set(true));
            rs.startAsync();
            Runs.oneLoop(() -> TaskScope.run(scope -> {
                scope.spawn("spinner", () -> spinWithoutChecks(seen));
                return null;
            }));
            rs.stop();
            rs.dump(file);
        }
        assertThat(seen).as("a gap event arrived while the task spun").isTrue();
        RecordedEvent gap = named(RecordingFile.readAllEvents(file), "dev.weft.CheckpointGap").getFirst();
        assertThat(gap.getString("task")).contains("spinner");
        assertThat(gap.getString("loop")).endsWith("-loop-0");
        assertThat(gap.getString("stack")).contains("spinWithoutChecks");
        assertThat(gap.getDuration()).isGreaterThanOrEqualTo(Duration.ofMillis(20));
        assertThat(gap.getLong("carrierCpuTime")).as("the carrier really ran the gap").isPositive();
    }

    @Test
    void aTaskThatReachesCancellationPointsIsNotAGapHoweverLongItRuns() throws Exception {
        AtomicInteger gapsOfChecker = new AtomicInteger();
        AtomicBoolean gapOfSpinner = new AtomicBoolean();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("dev.weft.CheckpointGap").withPeriod(Duration.ofMillis(10)).withThreshold(Duration.ofMillis(20));
            rs.onEvent("dev.weft.CheckpointGap", e -> {
                if (e.getString("task").contains("checker")) {
                    gapsOfChecker.incrementAndGet();
                } else {
                    gapOfSpinner.set(true);
                }
            });
            rs.startAsync();
            // the checker runs first and as long as it takes the sampler to catch the spinner after it: far longer
            // than the threshold, with a cancellation point in every iteration
            AtomicBoolean spinnerReported = gapOfSpinner;
            Runs.oneLoop(() -> TaskScope.run(scope -> {
                scope.spawn("checker", () -> {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    long x = 0;
                    for (int i = 0; i < 200 && System.nanoTime() - deadline < 0; i++) { // 200 x 1 ms-ish
                        long until = System.nanoTime() + 1_000_000;
                        while (System.nanoTime() - until < 0) {
                            x += x * 31 + 7;
                            Cancellation.checkpoint();
                        }
                    }
                    return x;
                });
                scope.spawn("spinner", () -> spinWithoutChecks(spinnerReported));
                return null;
            }));
            rs.stop();
        }
        assertThat(gapOfSpinner).as("the sampler ran and saw the spinner after the checker").isTrue();
        assertThat(gapsOfChecker).as("no gap for a task with a cancellation point in every iteration").hasValue(0);
    }

    @Test
    void aTaskWhoseChecksWentCleanWhileAnotherScopeIsCancelledIsNotAGap() throws Exception {
        // the probe must send the watched task's checks to their slow path even when its own flag is clear (an
        // unrelated cancelled scope made the count non-zero, and the task's first check found nothing to raise)
        AtomicInteger gapsOfChecker = new AtomicInteger();
        AtomicBoolean gapOfSpinner = new AtomicBoolean();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("dev.weft.CheckpointGap").withPeriod(Duration.ofMillis(10)).withThreshold(Duration.ofMillis(20));
            rs.onEvent("dev.weft.CheckpointGap", e -> {
                if (e.getString("task").contains("checker")) {
                    gapsOfChecker.incrementAndGet();
                } else {
                    gapOfSpinner.set(true);
                }
            });
            rs.startAsync();
            AtomicBoolean spinnerReported = gapOfSpinner;
            Channel<Object> release = Channel.create(1);
            Runs.oneLoop(() -> TaskScope.run(scope -> {
                scope.spawn("unrelated", () -> { // runs first (one loop, FIFO) and parks in its cancelled scope
                    CancelScope c = CancelScope.create();
                    c.run(() -> {
                        c.cancel();
                        CancelScope.shielded(HOLD_MAX, () -> { // bounded: a failing test must not wait forever
                            try {
                                release.receive();
                            } catch (ChannelClosedException closed) {
                                // the spinner was reported
                            }
                        });
                    });
                });
                scope.spawn("checker", () -> {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    long x = 0;
                    for (int i = 0; i < 200 && System.nanoTime() - deadline < 0; i++) { // 200 x 1 ms-ish
                        long until = System.nanoTime() + 1_000_000;
                        while (System.nanoTime() - until < 0) {
                            x += x * 31 + 7;
                            Cancellation.checkpoint();
                        }
                    }
                    return x;
                });
                scope.spawn("spinner", () -> {
                    spinWithoutChecks(spinnerReported);
                    release.close();
                });
                return null;
            }));
            rs.stop();
        }
        assertThat(gapOfSpinner).as("the sampler ran and saw the spinner after the checker").isTrue();
        assertThat(gapsOfChecker).as("no gap for a task with a cancellation point in every iteration").hasValue(0);
    }

    @Test
    void nothingIsRecordedAndNoEventClassIsNeededWhileNoRecordingRuns() {
        Jfr.watch();
        assertThat(Jfr.recording).as(jdk.jfr.FlightRecorder.getFlightRecorder().getRecordings().toString()).isFalse();
        int r = Runs.oneLoop(() -> {
            CancelScope s = CancelScope.create();
            s.run(() -> {
                s.cancel();
                Cancellation.checkpoint();
            });
            return TaskScope.run(scope -> scope.spawn(() -> 3).join());
        });
        assertThat(r).isEqualTo(3);
    }
    @Test
    void aRecordingWithWeftsEventTypesDisabledRecordsNoneOfThemOnTheHotPaths() throws Exception {
        Recording r = new Recording(Configuration.getConfiguration("default"));
        for (String type : List.of("TaskStart", "TaskEnd", "CancelRequested", "CancelDelivered", "CheckpointGap",
                "MemoryLimit", "GraceUsed", "GraceExhausted", "PlanCommitted", "OutOfMemoryContained")) {
            r.disable("dev.weft." + type);
        }
        List<RecordedEvent> events = record(r, () -> Runs.oneLoop(() -> {
            CancelScope s = CancelScope.create().name("disabled");
            s.run(() -> {
                s.cancel();
                Cancellation.checkpoint();
            });
            return TaskScope.run(scope -> {
                for (int i = 0; i < 100; i++) {
                    scope.spawn("child", () -> 1);
                }
                return null;
            });
        }));
        assertThat(events).as("the JDK's own events were recorded").isNotEmpty();
        assertThat(events).filteredOn(e -> e.getEventType().getName().startsWith("dev.weft."))
                .extracting(e -> e.getEventType().getName()).isEmpty();
    }
    @Test
    void weftJfcEnablesEveryWeftEventButTaskStartAndEnd() throws Exception {
        java.util.Map<String, String> settings;
        try (var r = new java.io.InputStreamReader(Jfr.weftJfc(), java.nio.charset.StandardCharsets.UTF_8)) {
            settings = Configuration.create(r).getSettings();
        }
        assertThat(settings).containsEntry("dev.weft.TaskStart#enabled", "false")
                .containsEntry("dev.weft.TaskEnd#enabled", "false")
                .containsEntry("dev.weft.CancelRequested#enabled", "true")
                .containsEntry("dev.weft.CancelDelivered#enabled", "true")
                .containsEntry("dev.weft.CheckpointGap#enabled", "true");
    }
}
