package dev.weft.cli;

import dev.weft.internal.budget.ByteSizes;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryPlan;
import dev.weft.memory.Sizes;
import dev.weft.memory.StackBound;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code weft plan}: prints a startup memory plan (bounded component counts times sized footprints) and its
 * verdict against a soft limit.
 *
 * <p>Usage: {@code ./weft plan} (the built-in example server, against this JVM's root soft limit),
 * {@code ./weft plan --soft-limit 64m plan.txt} (a plan file, against 64 MiB), {@code ./weft plan --stack
 * com.example.Handler#handle -cp app.jar} (a task's stack bound and its worst path); {@code PlanCommandTest} runs
 * each form (the file and the stack bound against their fixtures).
 *
 * <p>A plan file has one component per line, {@code NAME COUNT SIZE} (SIZE such as {@code 16k}, {@code 2m}
 * or bytes; NAME may not contain blanks), and optionally a line {@code soft-limit SIZE}; {@code #} starts a
 * comment. Exit status ({@link ExitStatus}): {@code OK} if the plan fits, {@code FAILED} if it does not,
 * {@code USAGE} for a usage error.
 */
final class PlanCommand {
    private static final String USAGE = """
            usage: weft plan [--soft-limit SIZE] [FILE]
              FILE lines: NAME COUNT SIZE (e.g. 'handlers 64 16k'), optionally 'soft-limit SIZE'; # comments
              without FILE: an example server sized with dev.weft.memory.Sizes
            usage: weft plan --stack CLASS#METHOD [-cp CLASSPATH] [--max-depth CLASS#METHOD=N]...
                             [--declare CLASS#METHOD=SIZE]... [--module JDK_MODULE]... [--methods-max N]
                             [--agent-checks on|off]
              the bound on a task's stack from its class files (dev.weft.memory.StackBound), its worst path
              frame by frame, and every unresolved call or undeclared recursion that keeps it from one;
              --agent-checks off: the task runs without the Weft agent, and only frames on the way to a park,
              a wait or a monitor count (default on: with the agent's checks, every frame can be frozen)
            exit status:\s""" + ExitStatus.summary(ExitStatus.OK, ExitStatus.FAILED, ExitStatus.USAGE)
            + " (failure: the plan does not fit, or the stack has no bound)";

    private PlanCommand() {}

    /** Runs the command; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (java.util.Arrays.asList(args).contains("--stack")) {
            return stack(args, out, err);
        }
        try {
            long limit = -1;
            String file = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--soft-limit" -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("--soft-limit needs a size, e.g. --soft-limit 64m");
                        }
                        limit = ByteSizes.parse(args[++i], "--soft-limit");
                    }
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return ExitStatus.OK.code();
                    }
                    default -> {
                        if (args[i].startsWith("-") || file != null) {
                            throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
                        }
                        file = args[i];
                    }
                }
            }
            MemoryPlan plan;
            if (file == null) {
                plan = examplePlan();
            } else {
                Parsed p = parse(readPlanFile(file), file);
                plan = p.plan();
                if (limit < 0) {
                    limit = p.limitBytes();
                }
            }
            String against;
            if (limit < 0) {
                MemoryBudget root = MemoryBudget.root();
                limit = root.limitBytesSoft();
                against = "the root budget of this JVM (soft limit " + ByteSizes.format(limit) + " = "
                        + MemoryBudget.ROOT_FRACTION_DEFAULT + " x max heap " + ByteSizes.format(Runtime.getRuntime()
                        .maxMemory()) + "; set it with --soft-limit)";
            } else {
                against = "a soft limit of " + ByteSizes.format(limit);
            }
            out.print(plan.table(against, limit));
            return plan.fits(limit) ? ExitStatus.OK.code() : ExitStatus.FAILED.code();
        } catch (IllegalArgumentException e) {
            err.println("weft plan: " + e.getMessage());
            err.println(USAGE);
            return ExitStatus.USAGE.code();
        }
    }

    /**
     * Reads a plan file's lines. The JDK's messages name only the path ({@code NoSuchFileException: plan.txt}) or
     * only the cause ({@code Is a directory}, {@code Input length = 1}); this says both, and what to give instead.
     */
    private static List<String> readPlanFile(String file) {
        try {
            return Files.readAllLines(Path.of(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("plan file '" + file + "' does not exist; give the path of a file with"
                    + " lines NAME COUNT SIZE, or no FILE for the example plan");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("plan file '" + file + "' is not UTF-8 text; write it as UTF-8 with"
                    + " lines NAME COUNT SIZE");
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException("plan file '" + file + "' cannot be read (" + e.getMessage()
                    + "); give the path of a readable file with lines NAME COUNT SIZE");
        }
    }

    /** {@code weft plan --stack}: prints the stack bound's report; OK if it is a bound, FAILED if not. */
    static int stack(String[] args, PrintStream out, PrintStream err) {
        try {
            StackBound.Analyser analyser = StackBound.analyser();
            String entry = null;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    out.println(USAGE);
                    return ExitStatus.OK.code();
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--stack" -> entry = v;
                    case "-cp", "-classpath", "--class-path" -> {
                        List<Path> cp = new ArrayList<>();
                        for (String e : v.split(File.pathSeparator)) {
                            if (!e.isBlank()) {
                                cp.add(Path.of(e));
                            }
                        }
                        analyser = analyser.classPath(cp);
                    }
                    case "--max-depth" -> {
                        String[] kv = keyValue(a, v);
                        analyser = analyser.maxDepth(kv[0], parseInt(a, kv[1]));
                    }
                    case "--declare" -> {
                        String[] kv = keyValue(a, v);
                        analyser = analyser.declare(kv[0], ByteSizes.parse(kv[1], a));
                    }
                    case "--module" -> analyser = analyser.modules(Set.of(v));
                    case "--methods-max" -> analyser = analyser.methodsMax(parseInt(a, v));
                    case "--agent-checks" -> analyser = analyser.agentChecks(switch (v) {
                        case "on" -> true;
                        case "off" -> false;
                        default -> throw new IllegalArgumentException("--agent-checks takes on or off, got '" + v + "'");
                    });
                    default -> throw new IllegalArgumentException("unexpected argument '" + a + "'");
                }
            }
            if (entry == null) {
                throw new IllegalArgumentException("--stack needs CLASS#METHOD, e.g. --stack com.example.Handler#handle");
            }
            StackBound bound = analyser.analyse(entry);
            out.print(bound.report());
            return bound.isBounded() ? ExitStatus.OK.code() : ExitStatus.FAILED.code();
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            err.println("weft plan: " + e.getMessage());
            err.println(USAGE);
            return ExitStatus.USAGE.code();
        }
    }

    private static String[] keyValue(String option, String v) {
        int eq = v.lastIndexOf('=');
        if (eq <= 0 || eq == v.length() - 1) {
            throw new IllegalArgumentException(option + " takes CLASS#METHOD=VALUE, got '" + v + "'");
        }
        return new String[] {v.substring(0, eq), v.substring(eq + 1)};
    }

    private static int parseInt(String option, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + v + "' is not a whole number");
        }
    }

    record Parsed(MemoryPlan plan, long limitBytes) {}

    static Parsed parse(List<String> lines, String source) {
        MemoryPlan.Builder b = MemoryPlan.builder(Path.of(source).getFileName().toString());
        long limit = -1;
        long total = 0;
        int n = 0;
        for (String raw : lines) {
            n++;
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            String where = source + ":" + n + ": ";
            if (f[0].equals("soft-limit") && f.length == 2) {
                limit = ByteSizes.parse(f[1], where + "soft-limit");
                continue;
            }
            if (f.length != 3) {
                throw new IllegalArgumentException(where + "expected 'NAME COUNT SIZE', got '" + line + "'");
            }
            long count;
            try {
                count = Long.parseLong(f[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + "count '" + f[1] + "' is not a whole number");
            }
            long size = ByteSizes.parse(f[2], where + "size");
            long product;
            try {
                product = Math.multiplyExact(count, size);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(where + f[0] + ": " + count + " x " + ByteSizes.format(size)
                        + " is more than 8 EiB, which no plan can commit; check the count and the size");
            }
            try {
                total = Math.addExact(total, product);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(where + "the plan's total passes 8 EiB at this line ("
                        + f[0] + " adds " + ByteSizes.format(product) + "); check the counts and sizes");
            }
            try {
                b.component(f[0], count, size);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage(), e);
            }
        }
        return new Parsed(b.build(), limit);
    }

    /** An example server: bounded handlers, connections and a cache, sized with the sizing helpers. */
    static MemoryPlan examplePlan() {
        long handler = Sizes.sum(Sizes.byteBufferSizeBytes(16 << 10), Sizes.byteBufferSizeBytes(16 << 10),
                Sizes.arraySizeBytes(long.class, 256));
        long connection = Sizes.sum(Sizes.byteBufferSizeBytes(4 << 10), Sizes.arraySizeBytes(byte.class, 512));
        long cacheEntry = Sizes.sum(Sizes.arraySizeBytes(byte.class, 1024), Sizes.arraySizeBytes(Object.class, 4));
        return MemoryPlan.builder("example-server")
                .component("request-handlers", 64, handler)
                .component("connections", 10_000, connection)
                .component("cache-entries", 50_000, cacheEntry)
                .build();
    }
}
