package dev.weft.cli;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * Weft's command line, started by the {@code ./weft} launcher.
 *
 * <pre>
 *   weft demo                 a short tour of scopes, deadlines, shields and context (the main job)
 *   weft run [options] -cp CP MAIN [ARGS...] | -jar JAR [ARGS...]
 *                             runs an unmodified program as a Weft root task with the agent on
 *   weft plan [FILE]          prints a memory plan of bounded components and its verdict
 *   weft bench [JMH ARGS]     runs the JMH benchmarks (handled by the launcher script)
 *   weft --help               this text
 * </pre>
 */
public final class Main {
    private Main() {}

    static final String USAGE = """
            usage: weft COMMAND [ARGS...]

            commands:
              demo                  a short tour: a task scope, a deadline that cancels a task whose
                                    cleanup runs, a shield, context travelling to children, a failure
                                    that cancels siblings, and a task-tree dump
              run [--timeout D] [--instrument GLOB,...] [--soft-limit SIZE] [--heap SIZE]
                  (-cp CLASSPATH MAIN | -jar JAR) [ARGS...]
                                    runs an unmodified Java program as a Weft root task, with the
                                    Weft agent compiling cancellation points into its loops
              plan [FILE]           prints a startup memory plan (components x sizes) and its verdict
              bench [JMH ARGS]      runs the JMH benchmarks (e.g. ./weft bench SpawnJoin -f 2)
              --help                prints this text

            exit status: 0 ok, 1 failure, 2 bad usage, 124 --timeout passed, 130 interrupted (Ctrl-C)
            """;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "demo" -> Demo.run(rest, out, err);
            case "run" -> dispatch("dev.weft.cli.RunCommand", rest, err);
            case "plan" -> dispatch("dev.weft.cli.PlanCommand", rest, err);
            case "bench" -> {
                err.println("weft: 'bench' is run by the ./weft launcher (it needs the benchmarks jar):"
                        + " ./weft bench [JMH ARGS]");
                yield 2;
            }
            default -> {
                err.println("weft: unknown command '" + args[0] + "'; run ./weft --help for the list");
                yield 2;
            }
        };
    }

    /** Commands contributed by other parts of Weft; a missing one is reported, not crashed on. */
    private static int dispatch(String className, String[] args, PrintStream err) {
        try {
            Class<?> c = Class.forName(className);
            return (int) c.getMethod("run", String[].class).invoke(null, (Object) args);
        } catch (ClassNotFoundException e) {
            err.println("weft: this build has no " + className + "; rebuild with: mvn -B -DskipTests package");
            return 2;
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error x) {
                throw x;
            }
            throw new IllegalStateException(cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot call " + className + ".run(String[])", e);
        }
    }
}
