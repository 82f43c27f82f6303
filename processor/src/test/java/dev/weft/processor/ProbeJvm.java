package dev.weft.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.processor.probe.ProbeAgent;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Forks a probe JVM with one layout's flags, JOL's settings and {@link ProbeAgent}; returns its output lines. */
final class ProbeJvm {
    private static final long PROBE_TIMEOUT_S = 120;

    private ProbeJvm() {}

    /**
     * @param temp          a directory for the agent jar and the output
     * @param layoutFlags   space-separated JVM flags that select the layout
     * @param extraClassPath appended to this JVM's class path, or empty
     */
    static List<String> run(Path temp, String layoutFlags, String extraClassPath, String mainClass, String... args)
            throws IOException, InterruptedException {
        Path agent = temp.resolve("probe-agent.jar");
        if (!Files.exists(agent)) {
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().putValue("Premain-Class", ProbeAgent.class.getName());
            try (OutputStream out = Files.newOutputStream(agent); JarOutputStream jar = new JarOutputStream(out, manifest)) {
                jar.flush();
            }
        }
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot find the java binary of this JVM"));
        String classPath = System.getProperty("java.class.path")
                + (extraClassPath.isEmpty() ? "" : File.pathSeparator + extraClassPath);
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(List.of(layoutFlags.split(" +")));
        command.addAll(List.of("-Xmx512m", "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-javaagent:" + agent, "-Djol.magicFieldOffset=true",
                "-Djdk.attach.allowAttachSelf=true", "-XX:+EnableDynamicAgentLoading",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/java.lang.foreign=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.foreign=ALL-UNNAMED",
                "-cp", classPath, mainClass));
        command.addAll(List.of(args));
        Path output = Files.createTempFile(temp, "probe", ".txt");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        if (!process.waitFor(PROBE_TIMEOUT_S, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("probe JVM with " + layoutFlags + " did not finish in " + PROBE_TIMEOUT_S + " s");
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("probe JVM with %s exited; output:%n%s", layoutFlags, text).isZero();
        return text.lines().toList();
    }
}
