package dev.weft.agent.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the agent says what it did: one report line per class it changed or looked at under a rule, and at
 * most one warning per class it could not transform (always on standard error).
 *
 * <p>Report lines: {@code instrumented <class> policy=<policy> <counts>},
 * {@code skipped <class> policy=<policy> <reason>}, {@code unchanged <class> <error>}. The counts end with
 * {@code recursion=name(how,what),...} when the class has recursive methods, and {@code class-version=49.0 ...} for
 * class files older than 50; a hidden class has {@code hidden-class} before them.
 */
public final class Report {
    private final PrintStream out; // null: no report; synchronized by PrintStream
    private final PrintStream warnings;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    private Report(PrintStream out, PrintStream warnings) {
        this.out = out;
        this.warnings = warnings;
    }

    /** A report to {@code destination} ({@code null}: none; {@code stderr}; else a file, truncated). */
    public static Report open(String destination, PrintStream warnings) {
        if (destination == null || destination.isEmpty()) {
            return new Report(null, warnings);
        }
        if (destination.equals("stderr")) {
            return new Report(warnings, warnings);
        }
        try {
            Path file = Path.of(destination);
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            return new Report(new PrintStream(os, true, StandardCharsets.UTF_8), warnings);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot open the agent report file '" + destination + "' (" + e
                    + "); give a writable path as report=PATH, or report=stderr");
        }
    }

    void instrumented(String className, CheckpointCompiler.Result r) {
        AgentStatistics.INSTRUMENTED.increment();
        line("instrumented " + className + " policy=" + r.policy() + " " + r.detail());
    }

    void skipped(String className, CheckpointCompiler.Result r) {
        AgentStatistics.SKIPPED.increment();
        line("skipped " + className + " policy=" + r.policy() + " " + r.detail());
    }

    /** Warns once per class name and records the class as unchanged. */
    void unchanged(String className, Throwable cause) {
        AgentStatistics.UNCHANGED.increment();
        if (warned.add(className)) {
            warnings.println("[weft-agent] warning: cannot compile cancellation points into " + className
                    + " (" + cause + "); loading it unchanged, so it can only be cancelled at the checkpoints it"
                    + " calls");
        }
        line("unchanged " + className + " " + cause);
    }

    public void warn(String message) {
        warnings.println("[weft-agent] warning: " + message);
    }

    private void line(String s) {
        if (out != null) {
            out.println(s);
        }
    }
}
