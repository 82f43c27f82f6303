package dev.weft.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code weft serve}: Weft's HTTP server with its example endpoints ({@code /cpu}, {@code /sleep}, {@code /alloc},
 * {@code /health}), run by {@code weft run} so the agent makes the CPU-bound endpoint cancellable.
 *
 * <p>Usage: {@code ./weft serve --port 8080 --handlers 16 --deadline 2s --soft-limit 256m}; then
 * {@code curl 'localhost:8080/cpu?ms=5000'} is answered 504 after 2 s (the loop was cancelled and its
 * {@code finally} ran), and {@code curl localhost:8080/health} gives the counters.
 *
 * <p>The program is {@code example.http.ExampleServer} from the {@code weft-http} jar; its class path is that jar
 * and the jars the http module's build copies to {@code http/target/lib}. {@code --soft-limit} goes to
 * {@code weft run} (the root budget's limit, the heap watchdog, {@code -Xmx}); the server's memory plan is
 * committed against it and printed, and a configuration that does not fit exits 1 with the table.
 */
final class ServeCommand {
    static final String SYNOPSIS = "[--port N] [--handlers N] [--connections N] [--deadline D] [--soft-limit SIZE]";
    static final String SUMMARY = """
            serves the HTTP server's example endpoints (/cpu, /sleep, /alloc,
            /health) under the agent; prints the memory plan first""";
    private static final String PROGRAM = "example.http.ExampleServer";

    private ServeCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> runArgs = new ArrayList<>();
        List<String> programArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    out.println("usage: weft serve " + SYNOPSIS + "\n  " + SUMMARY.replace("\n", "\n  ")
                            + "\n  D: 500ms, 2s, 1m; SIZE: 64k, 256m, 1g");
                    return ExitStatus.OK.code();
                }
                case "--soft-limit", "--port", "--handlers", "--connections", "--deadline" -> {
                    if (i + 1 >= args.length) {
                        err.println("weft serve: " + a + " needs a value; see weft serve --help");
                        return ExitStatus.USAGE.code();
                    }
                    (a.equals("--soft-limit") ? runArgs : programArgs).addAll(List.of(a, args[++i]));
                }
                default -> {
                    err.println("weft serve: unknown option '" + a + "'; see weft serve --help");
                    return ExitStatus.USAGE.code();
                }
            }
        }
        try {
            SoftLimitSupport.extract(runArgs.toArray(String[]::new)); // checked here, so the error is weft serve's
        } catch (IllegalArgumentException e) {
            err.println("weft serve: " + e.getMessage() + "; see weft serve --help");
            return ExitStatus.USAGE.code();
        }
        String classPath;
        try {
            classPath = classPath();
        } catch (IllegalArgumentException e) {
            err.println("weft serve: " + e.getMessage());
            return ExitStatus.USAGE.code();
        }
        runArgs.addAll(List.of("-cp", classPath, PROGRAM));
        runArgs.addAll(programArgs);
        return RunCommand.run(runArgs.toArray(String[]::new), out, err);
    }

    /** The http jar and its dependencies: in {@code weft.home}'s (or the source tree's) {@code http/target}. */
    static String classPath() {
        List<Path> dirs = new ArrayList<>();
        String home = System.getProperty("weft.home");
        if (home != null) {
            dirs.add(Path.of(home, "http", "target"));
        }
        dirs.add(Path.of("http", "target"));
        for (Path dir : dirs) {
            Path lib = dir.resolve("lib");
            if (!Files.isDirectory(lib)) {
                continue;
            }
            try (Stream<Path> jars = Files.list(dir); Stream<Path> deps = Files.list(lib)) {
                Path http = jars.filter(p -> p.getFileName().toString().matches("weft-http-[^-]+(-SNAPSHOT)?\\.jar"))
                        .findFirst().orElse(null);
                if (http == null) {
                    continue;
                }
                List<String> cp = new ArrayList<>(List.of(http.toString()));
                deps.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> cp.add(p.toString()));
                return String.join(java.io.File.pathSeparator, cp);
            } catch (IOException e) {
                // try the next place
            }
        }
        throw new IllegalArgumentException("cannot find the weft-http jar and its http/target/lib (looked in " + dirs
                + "); build it with mvn -B -pl http -am package");
    }
}
