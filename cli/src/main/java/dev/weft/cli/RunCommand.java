package dev.weft.cli;

import dev.weft.Weft;
import dev.weft.internal.event.Jfr;
import dev.weft.internal.jdk.Signals;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code weft run}: runs an unmodified Java program as a Weft root task, with the Weft agent compiling
 * cancellation points into its loops, so that a deadline or Ctrl-C cancels it and its {@code finally} blocks run.
 *
 * <p>Usage: {@code ./weft run --timeout 2s -cp app.jar com.example.Main arg1}, or
 * {@code ./weft run --timeout 500ms --instrument 'java.util.regex.**' -jar app.jar}; {@code WeftRunEndToEndCheck}
 * runs programs with {@code --timeout} and {@code --instrument}.
 *
 * <p>Exit status ({@link ExitStatus}): the program's own (0 when {@code main} returns), {@code FAILED} if it
 * threw, {@code MEMORY} after the soft limit, {@code TIMEOUT} when {@code --timeout} cancelled it (after its
 * cleanup ran), {@code INTERRUPTED} after Ctrl-C, {@code USAGE} for a usage error. The child reports all but the
 * usage errors found here; this JVM passes its status through.
 *
 * @implNote The program runs in a child JVM (the JDK running this command) with {@code -javaagent}, on the class
 * path of the program, the runtime jar and the agent jar (not this command line's jar), with the agent's
 * {@value #CHILD_MAIN} as its main class. This JVM ignores Ctrl-C, which the terminal delivers to the child too,
 * and forwards termination if it is killed alone. The {@code ./weft} script keeps the child's command line
 * ({@link CommandCache}) and execs it directly the next time the same invocation is made. A program on a class path of
 * jars gets the JDK's AOT cache ({@link AotCache}), created after its first run.
 */
final class RunCommand {
    /** The child's main class, in the agent jar: runs the program as the root task, under the soft limit if asked. */
    static final String CHILD_MAIN = "dev.weft.agent.internal.RunMain";
    /** A class of the agent jar, to find that jar on this JVM's class path. */
    private static final String AGENT_CLASS = "dev.weft.agent.WeftAgent";

    private static final String USAGE = """
            usage: weft run [--timeout DURATION] [--grace DURATION] [--instrument GLOB[,GLOB...]]
                            [--agent-options OPTS] [--soft-limit SIZE] [--heap SIZE] [--jfr FILE]
                            (-cp CLASSPATH MAIN | -jar JAR) [ARGS...]
              (options also as --option=value)
              --timeout DURATION   cancel the program at the deadline (e.g. 500ms, 2s, 1m, PT1.5S); exit %d
              --grace DURATION     how long its cleanup may take after the deadline, Ctrl-C or SIGTERM
                                   (default 10s); then it is cancelled hard for 2s more; then the
                                   threads still running are printed with where they are stuck; exit %d
              --instrument GLOBS   also instrument these packages (e.g. com.example.**,java.util.regex.**)
              --agent-options OPTS more agent options (see dev.weft.agent.WeftAgent), e.g. report=stderr
              --soft-limit SIZE    soft limit on the live heap (e.g. 256m, 1g; at least 8m): the task that
                                   crosses it gets a MemoryLimitError, its cleanup runs with a grace of an
                                   eighth; direct buffers are capped at SIZE too; exit %d and a report
              --heap SIZE          the program's maximum heap (default 1.5 x the soft limit; at least 12m
                                   and more than the limit plus its grace)
              --jfr FILE           record the run with JFR into FILE: the JDK's default events and Weft's
                                   (weft.jfc: cancellations, checkpoint gaps, memory, the agent's totals)
            exit status: the program's own, or %s""".formatted(ExitStatus.TIMEOUT.code(), ExitStatus.STUCK.code(),
            ExitStatus.MEMORY.code(),
            ExitStatus.summary(ExitStatus.FAILED, ExitStatus.MEMORY, ExitStatus.TIMEOUT, ExitStatus.INTERRUPTED,
                    ExitStatus.TERMINATED, ExitStatus.STUCK, ExitStatus.USAGE));

    /** How long cleanup may run after the deadline before weft run halts (docker stop's default). */
    static final Duration GRACE_DEFAULT = Duration.ofSeconds(10);

    private RunCommand() {}

    /** Runs the command; returns the process exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println(USAGE);
            return ExitStatus.OK.code();
        }
        args = splitEquals(args);
        Invocation inv;
        SoftLimitSupport.Flags memory;
        try {
            memory = SoftLimitSupport.extract(args);
            inv = parse(memory.remaining());
        } catch (IllegalArgumentException e) {
            err.println("weft run: " + e.getMessage());
            err.println(USAGE);
            return ExitStatus.USAGE.code();
        }
        List<String> command;
        try {
            command = command(inv, memory);
        } catch (IllegalArgumentException e) {
            err.println("weft run: " + e.getMessage());
            return ExitStatus.USAGE.code();
        }
        int mainIndex = command.indexOf(CHILD_MAIN);
        AotCache.Plan aot = AotCache.apply(command, mainIndex, command.get(mainIndex - 1));
        mainIndex = command.indexOf(CHILD_MAIN);
        String commandFile = System.getProperty(CommandCache.FILE_PROPERTY);
        if (commandFile != null && !commandFile.isBlank() && aot.mode() != AotCache.Mode.RECORD) {
            CommandCache.write(Path.of(commandFile), command); // the next identical run execs the child directly
        }
        Runnable restore = Signals.onInterrupt(sig -> { }); // the child gets Ctrl-C from the terminal too
        Runnable restoreTerm = null;
        try {
            Process child = new ProcessBuilder(command).inheritIO().start();
            // SIGTERM sent to weft run reaches the program (its root is cancelled, cleanup runs, status 143), and
            // weft run waits for it and exits with its status instead of dying first
            restoreTerm = Signals.onTerminate(sig -> child.destroy());
            Thread forward = new Thread(child::destroy, "weft-run-forward-termination");
            Runtime.getRuntime().addShutdownHook(forward);
            try {
                int status = child.waitFor();
                AotCache.create(aot, command, mainIndex); // after the first run of a program: its AOT cache
                return status;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(forward);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: nothing to remove
                }
            }
        } catch (IOException e) {
            err.println("weft run: cannot start " + command.getFirst() + " (" + e + ")");
            return ExitStatus.USAGE.code();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitStatus.INTERRUPTED.code();
        } finally {
            if (restore != null) {
                restore.run();
            }
            if (restoreTerm != null) {
                restoreTerm.run();
            }
        }
    }

    /** {@code --option=value} as {@code --option value}, up to the program (-cp/-jar) and never after it. */
    static String[] splitEquals(String[] args) {
        List<String> out = new ArrayList<>();
        boolean program = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (program) {
                out.add(a);
                continue;
            }
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 2) {
                out.add(a.substring(0, eq));
                out.add(a.substring(eq + 1));
            } else {
                out.add(a);
            }
            if (a.equals("-jar")) {
                program = true; // the jar, then the program's own arguments
            } else if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path")) {
                if (i + 1 < args.length) {
                    out.add(args[++i]); // the class path, then the main class and its arguments
                }
                program = true;
            }
        }
        return out.toArray(String[]::new);
    }

    /** A parsed command line. */
    record Invocation(Duration timeout, Duration grace, List<String> instrument, String agentOptions,
                      String classPath, String jar, String mainClass, List<String> programArgs, String jfrFile) {
        Invocation(Duration timeout, Duration grace, List<String> instrument, String agentOptions,
                   String classPath, String jar, String mainClass, List<String> programArgs) {
            this(timeout, grace, instrument, agentOptions, classPath, jar, mainClass, programArgs, null);
        }
    }

    static Invocation parse(String[] args) {
        Duration timeout = null;
        Duration grace = null;
        List<String> instrument = new ArrayList<>();
        String agentOptions = null;
        String jfr = null;
        int i = 0;
        for (; i < args.length; i++) {
            switch (args[i]) {
                case "--timeout" -> timeout = parseDuration(value(args, i++, "--timeout"), "--timeout");
                case "--grace" -> grace = parseDuration(value(args, i++, "--grace"), "--grace");
                case "--instrument" -> {
                    for (String g : value(args, i++, "--instrument").split(",")) {
                        if (!g.isBlank()) {
                            instrument.add(g.strip());
                        }
                    }
                }
                case "--agent-options" -> agentOptions = value(args, i++, "--agent-options");
                case "--jfr" -> jfr = checkJfrFile(value(args, i++, "--jfr"));
                case "-cp", "-classpath", "--class-path" -> {
                    String option = args[i];
                    String cp = value(args, i++, option);
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("no main class after -cp " + cp
                                + "; write -cp CLASSPATH MAIN [ARGS...]");
                    }
                    return new Invocation(timeout, grace(timeout, grace), instrument, agentOptions, cp, null,
                            args[i + 1], List.of(args).subList(i + 2, args.length), jfr);
                }
                case "-jar" -> {
                    String jar = value(args, i++, "-jar");
                    return new Invocation(timeout, grace(timeout, grace), instrument, agentOptions, null, jar, null,
                            List.of(args).subList(i + 1, args.length), jfr);
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i]
                        + "'; options come before -cp CLASSPATH MAIN or -jar JAR");
            }
        }
        throw new IllegalArgumentException("nothing to run; give -cp CLASSPATH MAIN or -jar JAR");
    }

    /** The recording's file: its folder must exist (JFR would only say so when the program ends). */
    private static String checkJfrFile(String file) {
        Path p = Path.of(file).toAbsolutePath();
        if (p.getParent() != null && !Files.isDirectory(p.getParent())) {
            throw new IllegalArgumentException("--jfr " + file + ": the folder " + p.getParent()
                    + " does not exist; create it or record elsewhere");
        }
        if (file.contains(",") || file.contains("=")) {
            throw new IllegalArgumentException("--jfr " + file + ": JFR cannot take a file name with ',' or '='; rename"
                    + " it");
        }
        return p.toString();
    }

    /** Copies weft.jfc out of the runtime jar (JFR reads settings from a file), deleted when this JVM exits. */
    private static Path weftJfc() {
        try (var in = Jfr.weftJfc()) {
            Path f = Files.createTempFile("weft-", ".jfc");
            f.toFile().deleteOnExit();
            Files.write(f, in.readAllBytes());
            return f;
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write Weft's JFR settings to a temporary file (" + e + ")");
        }
    }

    private static Duration grace(Duration timeout, Duration grace) {
        return grace != null ? grace : GRACE_DEFAULT;
    }

    private static String value(String[] args, int i, String option) {
        if (i + 1 >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i + 1];
    }

    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h)");

    /** Parses {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 1m}, {@code 1h}, or ISO-8601 {@code PT2S}. */
    static Duration parseDuration(String text, String option) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        Duration d = null;
        Matcher m = SIMPLE_DURATION.matcher(t);
        if (m.matches()) {
            double v = Double.parseDouble(m.group(1));
            double nanosPerUnit = switch (m.group(2)) {
                case "ns" -> 1;
                case "us" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            double ns = v * nanosPerUnit;
            if (ns < Long.MAX_VALUE) {
                d = Duration.ofNanos((long) ns);
            }
        } else if (t.startsWith("pt") || t.startsWith("p")) {
            try {
                d = Duration.parse(text.strip());
            } catch (DateTimeParseException e) {
                d = null;
            }
        }
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("bad duration '" + text + "' for " + option + "; write a positive amount"
                    + " with a unit: 500ms, 2s, 1.5s, 1m, 1h (or ISO-8601 such as PT2S)");
        }
        return d;
    }

    static List<String> command(Invocation inv) {
        return command(inv, SoftLimitSupport.extract(new String[0]));
    }

    /** The child JVM's command line, with the soft-limit flags ({@link SoftLimitSupport}) if given. */
    static List<String> command(Invocation inv, SoftLimitSupport.Flags memory) {
        String java = System.getProperty("weft.java");
        if (java == null) {
            java = ProcessHandle.current().info().command().orElse("java");
        }
        Path runtimeJar = codeSource(Weft.class);
        Path agentJar = agentJar(runtimeJar);
        StringBuilder agentArgs = new StringBuilder();
        for (String g : inv.instrument()) {
            agentArgs.append(agentArgs.isEmpty() ? "" : ",").append("instrument=").append(g);
        }
        if (inv.agentOptions() != null && !inv.agentOptions().isBlank()) {
            agentArgs.append(agentArgs.isEmpty() ? "" : ",").append(inv.agentOptions());
        }
        String classPath;
        String mainClass;
        if (inv.jar() != null) {
            Path jar = Path.of(inv.jar());
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no such jar: " + jar.toAbsolutePath());
            }
            try (JarFile jf = new JarFile(jar.toFile())) {
                Manifest mf = jf.getManifest();
                mainClass = mf == null ? null : mf.getMainAttributes().getValue("Main-Class");
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + jar + " as a jar (" + e + ")");
            }
            if (mainClass == null) {
                throw new IllegalArgumentException(jar + " has no Main-Class in its manifest; use -cp " + jar + " MAIN");
            }
            classPath = jar.toString();
        } else {
            classPath = inv.classPath();
            mainClass = inv.mainClass();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(SoftLimitSupport.childJvmArgs(memory));
        cmd.add("--add-opens");
        cmd.add("java.base/java.lang=ALL-UNNAMED");
        cmd.add("--add-exports"); // the JDK's thread containers: the program's own virtual threads are found too
        cmd.add("java.base/jdk.internal.vm=ALL-UNNAMED");
        if (inv.jfrFile() != null) {
            // the JDK's default events and Weft's, written when the program exits (also after a cancellation)
            cmd.add("-Xlog:jfr+startup=off"); // no "Started recording" line in the program's output
            cmd.add("-XX:StartFlightRecording:settings=default,settings=" + weftJfc() + ",filename=" + inv.jfrFile()
                    + ",dumponexit=true");
        }
        cmd.add("-XX:+EnableDynamicAgentLoading"); // weft dump PID and weft jmx PID load the agent jar again, quietly
        cmd.add("-javaagent:" + agentJar + (agentArgs.isEmpty() ? "" : "=" + agentArgs));
        cmd.add("-cp");
        cmd.add(classPath + File.pathSeparator + runtimeJar + File.pathSeparator + agentJar);
        cmd.add(CHILD_MAIN);
        if (inv.timeout() != null) {
            cmd.add("--timeout-ns");
            cmd.add(Long.toString(inv.timeout().toNanos()));
        }
        cmd.add("--grace-ns"); // also after Ctrl-C and SIGTERM
        cmd.add(Long.toString(inv.grace().toNanos()));
        cmd.add(mainClass);
        cmd.addAll(inv.programArgs());
        return cmd;
    }

    static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot locate the jar of " + c.getName() + " (" + e + ")");
        }
    }

    /**
     * The agent jar: {@code -Dweft.agent.jar}, else the jar on this JVM's class path that holds the agent (where
     * {@code ./weft} puts it), else beside the runtime jar, else in the source tree's agent/target.
     */
    static Path agentJar(Path runtimeJar) {
        String explicit = System.getProperty("weft.agent.jar");
        if (explicit != null) {
            return Path.of(explicit);
        }
        try {
            Path onClassPath = codeSource(Class.forName(AGENT_CLASS, false, RunCommand.class.getClassLoader()));
            if (Files.isRegularFile(onClassPath)) {
                return onClassPath;
            }
        } catch (ClassNotFoundException | IllegalArgumentException notOnTheClassPathAsAJar) {
            // look in the usual places
        }
        List<Path> dirs = new ArrayList<>();
        if (runtimeJar.getParent() != null) {
            dirs.add(runtimeJar.getParent());
        }
        String home = System.getProperty("weft.home");
        if (home != null) {
            dirs.add(Path.of(home, "agent", "target"));
        }
        if (runtimeJar.getParent() != null && runtimeJar.getParent().getParent() != null
                && runtimeJar.getParent().getParent().getParent() != null) {
            dirs.add(runtimeJar.getParent().getParent().getParent().resolve("agent").resolve("target"));
        }
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                Path found = s.filter(p -> p.getFileName().toString().matches("weft-agent-[^-]+(-SNAPSHOT)?\\.jar"))
                        .findFirst().orElse(null);
                if (found != null) {
                    return found;
                }
            } catch (IOException ignored) {
                // try the next place
            }
        }
        throw new IllegalArgumentException("cannot find weft-agent.jar (looked on the class path, beside " + runtimeJar
                + " and in " + dirs + "); build it with mvn -pl agent -am package, or pass -Dweft.agent.jar=PATH");
    }
}
