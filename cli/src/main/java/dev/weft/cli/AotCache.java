package dev.weft.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The JDK's AOT cache (JEP 483, JEP 514) for the child JVM of {@code weft run}: the classes the program, Weft's
 * runtime and the agent load, loaded and linked ahead of time, so that a later start reads them from the cache.
 *
 * <p>The first run of a program records ({@code -XX:AOTMode=record}); once it has ended, this JVM creates the cache
 * from the recording ({@code -XX:AOTMode=create}, in a JVM of its own, its output in a log beside the cache) before
 * it exits, so the first run is the slow one. Later runs start with {@code -XX:AOTCache}. A cache is keyed by the JDK,
 * the child's JVM options (the agent's options among them) and each class path entry's path, size and time: a
 * rebuilt jar is a new key. Only class paths of jars can have a cache (the JDK refuses folders); a program on a
 * class path with a folder runs without. If creating fails, a marker keeps later runs from trying again (delete the
 * folder to retry). Classes the agent changed are not in the cache (the JDK leaves out classes a
 * {@code ClassFileTransformer} changed); the agent's own cache supplies them ({@code TransformCache}). The folder
 * keeps at most {@link #CACHES_MAX} caches, the oldest deleted first. {@code WEFT_NO_AOT=1} turns it off.
 *
 * <p>The run that records does not retransform {@code java.lang.Thread} (the archive builder of JDK 25.0.3 crashes on
 * it; {@code RunMain.AOT_TRAINING_PROPERTY}): in that one run, threads the program creates from {@code main} are
 * daemons in the {@code VirtualThreads} group. Its JVM messages are hidden ({@code -XX:-DisplayVMOutput}): the JVM
 * prints the recording's path on standard output, which is the program's.
 */
final class AotCache {
    /** The agent's {@code RunMain.AOT_TRAINING_PROPERTY} (the agent jar is not a module this one reads). */
    static final String TRAINING_PROPERTY = "weft.aot.training";
    /** Caches kept (each tens of megabytes). */
    static final int CACHES_MAX = 8;
    /** The bound on creating one cache. */
    static final long CREATE_BOUND_SECONDS = 300;

    private AotCache() {}

    /** What the child does about the cache. */
    enum Mode {
        /** No cache: turned off, a folder on the class path, or an earlier failure. */
        NONE,
        /** Records this run; the cache is created after it. */
        RECORD,
        /** Starts from the cache. */
        USE
    }

    /**
     * The plan for one child.
     *
     * @param mode   what the child does
     * @param cache  the cache file (for {@code NONE}, {@code null})
     * @param config the recording, while {@code RECORD}
     */
    record Plan(Mode mode, Path cache, Path config) {
        static final Plan NONE = new Plan(Mode.NONE, null, null);
    }

    /** The folder of the caches: {@code $XDG_CACHE_HOME/weft/aot}, else {@code ~/.cache/weft/aot}. */
    static Path folder() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "weft", "aot");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "weft", "aot");
    }

    /**
     * Decides what the child with {@code command} (its JVM options from index 1 up to {@code mainIndex}) does, and
     * inserts the options for it after the {@code java} executable.
     */
    static Plan apply(List<String> command, int mainIndex, String classPath) {
        if ("1".equals(System.getenv("WEFT_NO_AOT"))) {
            return Plan.NONE;
        }
        List<Path> jars = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.endsWith("*")) {
                Path d = Path.of(entry.substring(0, entry.length() - 1).isEmpty() ? "." : entry.substring(0, entry.length() - 1));
                try (Stream<Path> s = Files.list(d)) {
                    s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().forEach(jars::add);
                } catch (IOException e) {
                    return Plan.NONE;
                }
                continue;
            }
            Path p = Path.of(entry);
            if (!Files.isRegularFile(p)) {
                return Plan.NONE; // a folder (or nothing): the JDK makes no cache for it
            }
            jars.add(p);
        }
        String key;
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((command.getFirst() + "\0" + System.getProperty("java.vm.version") + "\0")
                    .getBytes(StandardCharsets.UTF_8));
            for (String option : command.subList(1, mainIndex)) {
                d.update((option + "\0").getBytes(StandardCharsets.UTF_8));
            }
            for (Path jar : jars) {
                d.update((jar.toAbsolutePath() + "\0" + Files.size(jar) + "\0" + Files.getLastModifiedTime(jar).toMillis()
                        + "\0").getBytes(StandardCharsets.UTF_8));
            }
            key = HexFormat.of().formatHex(d.digest(), 0, 16);
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
            return Plan.NONE;
        }
        Path dir = folder();
        Path cache = dir.resolve(key + ".aot");
        if (Files.isRegularFile(cache)) {
            command.addAll(1, List.of("-XX:AOTCache=" + cache, "-Xlog:aot*=off", "-Xlog:cds*=off"));
            return new Plan(Mode.USE, cache, null);
        }
        if (Files.exists(dir.resolve(key + ".failed"))) {
            return Plan.NONE;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            return Plan.NONE;
        }
        Path config = dir.resolve(key + ".conf-" + ProcessHandle.current().pid());
        command.addAll(1, List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + config,
                "-D" + TRAINING_PROPERTY + "=true", "-Xlog:aot*=off", "-Xlog:cds*=off",
                // the JVM prints where it recorded on standard output, into the program's own output
                "-XX:+UnlockDiagnosticVMOptions", "-XX:-DisplayVMOutput"));
        return new Plan(Mode.RECORD, cache, config);
    }

    /**
     * After a recording run: creates the cache from its recording, in a JVM with the child's options ({@code command}
     * as {@link #apply} left it, with its main class at {@code mainIndex}). Never throws; a failure leaves a marker
     * and the log.
     */
    static void create(Plan plan, List<String> command, int mainIndex) {
        if (plan.mode() != Mode.RECORD || !Files.isRegularFile(plan.config())) {
            return; // the child did not get as far as writing its recording (it was killed, or failed to start)
        }
        String name = plan.cache().getFileName().toString();
        String key = name.substring(0, name.length() - ".aot".length());
        Path dir = plan.cache().getParent();
        Path tmp = dir.resolve(key + ".aot-" + ProcessHandle.current().pid());
        Path log = dir.resolve(key + ".log");
        List<String> create = new ArrayList<>();
        create.add(command.getFirst());
        for (String option : command.subList(1, mainIndex)) {
            if (!option.startsWith("-XX:AOTMode=") && !option.startsWith("-XX:AOTConfiguration=")) {
                create.add(option);
            }
        }
        create.addAll(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + plan.config(), "-XX:AOTCache=" + tmp));
        try {
            Process p = new ProcessBuilder(create).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = p.waitFor(CREATE_BOUND_SECONDS, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly();
            }
            if (ended && p.exitValue() == 0 && Files.isRegularFile(tmp)) {
                Files.move(tmp, plan.cache(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Files.deleteIfExists(log);
            } else {
                Files.writeString(dir.resolve(key + ".failed"), "creating the AOT cache failed; see " + log + "\n");
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.writeString(dir.resolve(key + ".failed"), "creating the AOT cache failed: " + e + "\n");
            } catch (IOException ignored) {
                // nothing more to do: the next run records again
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Files.deleteIfExists(plan.config());
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // left for the next trim
            }
            trim(dir);
        }
    }

    private static void trim(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> caches = new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".aot")).toList());
            if (caches.size() <= CACHES_MAX) {
                return;
            }
            caches.sort(Comparator.comparingLong(p -> {
                try {
                    return Files.getLastModifiedTime(p).toMillis();
                } catch (IOException gone) {
                    return Long.MIN_VALUE;
                }
            }));
            for (Path p : caches.subList(0, caches.size() - CACHES_MAX)) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException ignored) {
            // trimmed next time
        }
    }
}
