package dev.weft.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code weft demo}: the HTTP server under load. Runs the server demo program ({@value #PROGRAM}, in the
 * {@code weft-http} jar) under {@code weft run} with a soft limit, so that the agent makes the CPU-bound
 * {@code /cpu} handler cancellable through compiled checks and the server's memory plan is committed against a
 * limit: the server on a free loopback port with the demo's defaults, an open-loop load of mixed requests that
 * measures what the server admits and rises to three times that, a progress line a second, then the report and a
 * latency plot.
 *
 * <p>Usage: {@code ./weft demo} (about 20 s), or {@code ./weft demo --duration 1m --plot latency.svg};
 * {@code DemoEndToEndCheck} runs a short one.
 *
 * <p>Ctrl-C stops it gracefully: the load stops, handlers are cancelled and cleaned up, the report of what ran is
 * printed, exit status 130. The class path is {@code weft serve}'s ({@link ServeCommand#classPath()}).
 */
final class DemoCommand {
    static final String SYNOPSIS = "[--duration D] [--plot FILE]";
    static final String SUMMARY = """
            the HTTP server under a rising open-loop load (to 3x what it admits,
            about 20 s): progress, then answers by status, latency percentiles,
            rejects, cancellations and their cleanups, memory plan vs heap,
            and a latency plot (SVG)""";
    static final String PROGRAM = "dev.weft.http.internal.demo.ServerDemo";
    /** The soft limit the demo runs under: above its plan and the load generator's working set. */
    static final String SOFT_LIMIT = "256m";

    private DemoCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> programArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    out.println("usage: weft demo " + SYNOPSIS + "\n  " + SUMMARY.replace("\n", "\n  ")
                            + "\n  D: 20s (the default), 1m; FILE: where the plot goes (default: the temporary"
                            + " folder's weft-demo/latency.svg)");
                    return ExitStatus.OK.code();
                }
                case "--duration", "--plot" -> {
                    if (i + 1 >= args.length) {
                        err.println("weft demo: " + a + " needs a value; see weft demo --help");
                        return ExitStatus.USAGE.code();
                    }
                    programArgs.addAll(List.of(a, args[++i]));
                }
                default -> {
                    err.println("weft demo: unknown option '" + a + "'; see weft demo --help (the runtime tour"
                            + " is weft tour)");
                    return ExitStatus.USAGE.code();
                }
            }
        }
        String classPath;
        try {
            classPath = ServeCommand.classPath();
        } catch (IllegalArgumentException e) {
            err.println("weft demo: " + e.getMessage());
            return ExitStatus.USAGE.code();
        }
        List<String> runArgs = new ArrayList<>(List.of("--soft-limit", SOFT_LIMIT, "-cp", classPath, PROGRAM));
        runArgs.addAll(programArgs);
        return RunCommand.run(runArgs.toArray(String[]::new), out, err);
    }
}
