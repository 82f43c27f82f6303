package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Weft;
import dev.weft.agent.WeftAgent;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code weft run} as a user does: a JVM runs Weft's command line ({@code dev.weft.cli.Main run}) on the class
 * path {@code ./weft} gives it (the command line, the runtime jar, the agent jar), and it starts the program in a
 * child JVM with the agent. Needs the packaged agent jar (the end-to-end checks run after package).
 */
final class WeftRunProcess {
    private WeftRunProcess() {}

    /** How long a run may take before the test gives up on it: the bound on a hang, not a performance target. */
    static final long RUN_BOUND_SECONDS = 120;

    record Outcome(int status, String output, long elapsedMs) {}

    /** Runs {@code weft run ARGS}, output (stdout and stderr merged) into a file in {@code dir}. */
    static Outcome run(Path dir, String... args) throws IOException, InterruptedException {
        Process p = start(dir, args);
        return await(p, dir, args);
    }

    /** Runs {@code weft COMMAND ARGS} (any command), as {@link #run} does. */
    static Outcome weft(Path dir, String... commandAndArgs) throws IOException, InterruptedException {
        Process p = startWeft(dir, commandAndArgs);
        return await(p, dir, commandAndArgs);
    }

    /** Starts {@code weft COMMAND ARGS} (any command); {@link #await} collects it. */
    static Process startCommand(Path dir, String... commandAndArgs) throws IOException {
        return startWeft(dir, commandAndArgs);
    }

    /** Starts {@code weft run ARGS}; {@link #await} collects it. */
    static Process start(Path dir, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("run"));
        all.addAll(List.of(args));
        return startWeft(dir, all.toArray(String[]::new));
    }

    /** Starts {@code weft run ARGS} with these environment variables added. */
    static Process start(Path dir, java.util.Map<String, String> env, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("run"));
        all.addAll(List.of(args));
        return startWeft(dir, env, all.toArray(String[]::new));
    }

    private static Process startWeft(Path dir, String... commandAndArgs) throws IOException {
        return startWeft(dir, java.util.Map.of(), commandAndArgs);
    }

    private static Process startWeft(Path dir, java.util.Map<String, String> env, String... commandAndArgs)
            throws IOException {
        Path agentJar = codeSource(WeftAgent.class);
        assertThat(agentJar).as("the packaged agent jar (run with mvn verify, after the agent module's package)")
                .isRegularFile();
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java runs this test"));
        String classPath = String.join(File.pathSeparator, codeSource(Main.class).toString(),
                codeSource(Weft.class).toString(), agentJar.toString());
        // weft.home as ./weft sets it: weft demo and weft serve find the http jar and its lib under it
        Path home = Path.of("").toAbsolutePath().getParent();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-Dweft.home=" + home, "-cp", classPath, Main.class.getName()));
        cmd.addAll(List.of(commandAndArgs));
        Path out = dir.resolve("output.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits for a run {@link #start} started, within {@link #RUN_BOUND_SECONDS}. */
    static Outcome await(Process p, Path dir, String... args) throws IOException, InterruptedException {
        return await(p, dir, RUN_BOUND_SECONDS, args);
    }

    /** Waits for a run {@link #start} started, within {@code boundSeconds}. */
    static Outcome await(Process p, Path dir, long boundSeconds, String... args) throws IOException,
            InterruptedException {
        long t0 = System.nanoTime();
        Path out = dir.resolve("output.txt");
        if (!p.waitFor(boundSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("weft " + String.join(" ", args) + " did not end within " + boundSeconds
                    + "s; output so far:\n" + Files.readString(out));
        }
        return new Outcome(p.exitValue(), Files.readString(out), (System.nanoTime() - t0) / 1_000_000);
    }

    /** The class path entry (jar or folder) {@code c} was loaded from. */
    static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the class path entry of " + c.getName(), e);
        }
    }
}
