package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import example.cli.programs.PidProgram;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./weft run} as a user types it: the launcher script keeps the child JVM's command line and execs the child
 * directly on the next identical invocation, and the program behaves the same either way: its output, its exit
 * status, SIGTERM reaching it, usage errors and {@code --help}; a program on jars starts from the JDK's AOT cache
 * after its first run. Runs after package (the script needs the jars).
 */
class LauncherScriptCheck {
    private static final Pattern PID = Pattern.compile("pid=(\\d+) parent=(-?\\d+)");

    @TempDir
    Path dir;

    private Path cacheHome() {
        return dir.resolve("cache");
    }

    private Path commands() {
        return cacheHome().resolve("weft").resolve("commands");
    }

    @Test
    void theSecondIdenticalRunExecsTheProgramsJvmInPlaceOfTheLauncher() throws Exception {
        String cp = WeftRunProcess.codeSource(PidProgram.class).toString();
        Run first = run("run", "-cp", cp, PidProgram.class.getName());
        assertThat(first.status()).as(first.output()).isZero();
        assertThat(first.output()).contains("aot-use=false aot-record=false thread-daemon=false"); // a folder: no AOT
        long[] firstPids = pids(first.output());
        // through the command line's JVM: the program runs in its child
        assertThat(firstPids[0]).isNotEqualTo(first.pid());
        assertThat(firstPids[1]).isEqualTo(first.pid());
        assertThat(entries()).hasSize(1);

        Run second = run("run", "-cp", cp, PidProgram.class.getName());
        assertThat(second.status()).as(second.output()).isZero();
        assertThat(pids(second.output())[0]).as("the program is the process the user started").isEqualTo(second.pid());

        Run otherArgs = run("run", "-cp", cp, PidProgram.class.getName(), "x");
        assertThat(pids(otherArgs.output())[0]).as("other arguments: another entry, computed anew")
                .isNotEqualTo(otherArgs.pid());
        assertThat(entries()).hasSize(2);
    }

    @Test
    void aProgramOnJarsStartsFromTheJdksAotCacheAfterItsFirstRun() throws Exception {
        Path jar = dir.resolve("pid.jar");
        String entry = PidProgram.class.getName().replace('.', '/') + ".class";
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry(entry));
            out.write(Files.readAllBytes(WeftRunProcess.codeSource(PidProgram.class).resolve(entry)));
            out.closeEntry();
        }
        Run first = run("run", "-cp", jar.toString(), PidProgram.class.getName());
        assertThat(first.status()).as(first.output()).isZero();
        assertThat(first.output()).contains("aot-use=false aot-record=true");
        Path aot = cacheHome().resolve("weft").resolve("aot");
        try (Stream<Path> s = Files.list(aot)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).as("the cache made after the first run")
                    .anyMatch(n -> n.endsWith(".aot")).noneMatch(n -> n.endsWith(".failed"));
        }
        for (int round = 0; round < 2; round++) { // through the launcher (which keeps the command), then exec'd
            Run later = run("run", "-cp", jar.toString(), PidProgram.class.getName());
            assertThat(later.status()).as(later.output()).isZero();
            // and Thread is still patched when the JVM starts from the cache: threads from main are not daemons
            assertThat(later.output()).contains("aot-use=true aot-record=false thread-daemon=false");
            assertThat(pids(later.output())[0] == later.pid()).as("exec'd in round " + round).isEqualTo(round == 1);
        }
    }

    @Test
    void anExecedRunKeepsTheTimeoutStatusAndSigtermReachesTheProgram() throws Exception {
        String cp = WeftRunProcess.codeSource(PidProgram.class).toString();
        for (int round = 0; round < 2; round++) { // through the launcher, then exec'd
            Run timeout = run("run", "--timeout", "500ms", "-cp", cp, PidProgram.class.getName(), "spin");
            assertThat(timeout.status()).as(timeout.output()).isEqualTo(ExitStatus.TIMEOUT.code());
            assertThat(timeout.output()).contains("started", "finally ran").doesNotContain("returned");
            assertThat(pids(timeout.output())[0] == timeout.pid()).as("exec'd in round " + round).isEqualTo(round == 1);

            Process p = start("run", "--grace", "5s", "-cp", cp, PidProgram.class.getName(), "spin");
            Path out = dir.resolve("output.txt");
            long boundNs = System.nanoTime() + WeftRunProcess.RUN_BOUND_SECONDS * 1_000_000_000L;
            while (!Files.readString(out).contains("started")) {
                assertThat(p.isAlive()).as(Files.readString(out)).isTrue();
                assertThat(System.nanoTime() - boundNs).as("never started: " + Files.readString(out)).isNegative();
                Thread.sleep(20); // polls the condition above (bounded); leaves the CPU to the program under test
            }
            p.destroy(); // SIGTERM to the process the user started: the launcher or, exec'd, the program itself
            Run term = await(p);
            assertThat(term.status()).as(term.output()).isEqualTo(ExitStatus.TERMINATED.code());
            assertThat(term.output()).contains("finally ran");
        }
    }

    @Test
    void usageErrorsAndHelpAreNeverCached() throws Exception {
        for (int round = 0; round < 2; round++) {
            Run bad = run("run", "--timeout", "soon", "-cp", ".", "Main");
            assertThat(bad.status()).as(bad.output()).isEqualTo(ExitStatus.USAGE.code());
            assertThat(bad.output()).contains("bad duration 'soon' for --timeout", "usage: weft run");
            Run help = run("run", "--help");
            assertThat(help.status()).isZero();
            assertThat(help.output()).contains("usage: weft run");
        }
        assertThat(Files.exists(commands()) ? entries() : List.of()).isEmpty();
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(commands())) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private static long[] pids(String output) {
        Matcher m = PID.matcher(output);
        assertThat(m.find()).as(output).isTrue();
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    record Run(int status, String output, long pid) {}

    private Run run(String... args) throws IOException, InterruptedException {
        return await(start(args));
    }

    private Process start(String... args) throws IOException {
        Path script = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent().resolve("weft");
        assertThat(script).as("the launcher script at the repository's root").isRegularFile();
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("output.txt").toFile());
        pb.environment().put("XDG_CACHE_HOME", cacheHome().toString());
        pb.environment().put("WEFT_JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("WEFT_NO_COMMAND_CACHE");
        pb.environment().remove("WEFT_NO_AOT");
        return pb.start();
    }

    private Run await(Process p) throws IOException, InterruptedException {
        Path out = dir.resolve("output.txt");
        if (!p.waitFor(WeftRunProcess.RUN_BOUND_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("./weft did not end within " + WeftRunProcess.RUN_BOUND_SECONDS + "s; output:\n"
                    + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readString(out), p.pid());
    }
}
