package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import example.cli.programs.SpinProgram;
import example.cli.programs.WaitingWorkersProgram;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft run --jfr FILE}, {@code weft dump PID} and {@code weft jmx PID} end to end, on unmodified programs
 * under {@code weft run} (after package: see cli/pom.xml, execution {@code weft-run-end-to-end}).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ObservabilityCheck {
    @TempDir
    Path dir;

    @Test
    void weftRunJfrRecordsTheDeadlineCancellationItsDeliveryAndTheAgentsTotals() throws Exception {
        Path jfr = dir.resolve("spin.jfr");
        WeftRunProcess.Outcome o = WeftRunProcess.run(dir, "--timeout", "300ms", "--jfr", jfr.toString(), "-cp",
                WeftRunProcess.codeSource(SpinProgram.class).toString(), SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).as("no JFR start-up lines in the program's output").doesNotContain("Started recording");
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("dev.weft.CancelRequested"))
                .anySatisfy(e -> {
                    assertThat(e.getString("reason")).isEqualTo("DEADLINE");
                    assertThat(e.getString("scope")).isEqualTo("main");
                });
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("dev.weft.CancelDelivered"))
                .anySatisfy(e -> assertThat(e.getBoolean("noticed")).as("the agent's loop check noticed").isTrue());
        assertThat(events).filteredOn(e -> e.getEventType().getName().equals("dev.weft.AgentInstrumentation"))
                .anySatisfy(e -> assertThat(e.getLong("classesInstrumented")).isPositive());
        assertThat(events).as("the JDK's own events are recorded too")
                .anyMatch(e -> e.getEventType().getName().equals("jdk.JVMInformation"));
    }

    @Test
    void weftDumpPrintsTheTaskTreeOfAProgramUnderWeftRunFromAnotherProcess() throws Exception {
        Process run = WeftRunProcess.start(dir, "--timeout", "120s", "-cp",
                WeftRunProcess.codeSource(WaitingWorkersProgram.class).toString(),
                WaitingWorkersProgram.class.getName());
        try {
            Path out = dir.resolve("output.txt");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(out).contains("ready")) { // the program's own signal that every worker waits
                assertThat(run.isAlive()).as(Files.readString(out)).isTrue();
                assertThat(System.nanoTime() - until).as("the program did not start in 60 s").isNegative();
                Thread.onSpinWait();
            }
            long child = run.descendants().filter(p -> p.info().commandLine().orElse("")
                    .contains(RunCommand.CHILD_MAIN)).findFirst().orElseThrow().pid();
            Path answerDir = Files.createDirectory(dir.resolve("dump"));
            WeftRunProcess.Outcome text = WeftRunProcess.weft(answerDir, "dump", Long.toString(child));
            assertThat(text.status()).as(text.output() + "\nthe program's output:\n" + Files.readString(out)).isZero();
            assertThat(text.output()).contains("task 'worker'").contains("cancel-scope 'work-deadline' deadline=");
            Path jsonDir = Files.createDirectory(dir.resolve("json"));
            WeftRunProcess.Outcome json = WeftRunProcess.weft(jsonDir, "dump", "--json", Long.toString(child));
            assertThat(json.status()).as(json.output()).isZero();
            assertThat(json.output()).contains("{\"threadDump\":{\"processId\":\"" + child + "\"")
                    .contains("\"name\":\"worker\"").contains("\"count\":3")
                    .contains("weft/cancel-scope/work-deadline");
            Path jmxDir = Files.createDirectory(dir.resolve("jmx"));
            WeftRunProcess.Outcome jmx = WeftRunProcess.weft(jmxDir, "jmx", Long.toString(child));
            assertThat(jmx.status()).as(jmx.output()).isZero();
            assertThat(jmx.output()).contains("dev.weft:type=Runtime,name=\"main\"");
        } finally {
            run.descendants().forEach(ProcessHandle::destroy);
            run.destroy();
            run.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void weftDumpOfAProcessThatIsNotThereSaysWhy() throws Exception {
        WeftRunProcess.Outcome o = WeftRunProcess.weft(dir, "dump", "999999999");
        assertThat(o.status()).isEqualTo(ExitStatus.FAILED.code());
        assertThat(o.output()).contains("cannot attach to process 999999999");
    }
}
