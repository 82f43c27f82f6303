package dev.weft.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Weft's command line, started by the {@code ./weft} launcher with the runtime and agent jars on the class path.
 *
 * <pre>
 *   weft demo [--duration D]  the HTTP server under a rising open-loop load, then a report and a plot (the main job)
 *   weft tour                 a short tour of scopes, deadlines, shields and context
 *   weft run [options] -cp CP MAIN [ARGS...] | -jar JAR [ARGS...]
 *                             runs an unmodified program as a Weft root task with the agent on
 *   weft plan [FILE]          prints a memory plan of bounded components and its verdict
 *   weft bench [JMH ARGS]     runs the JMH benchmarks (handled by the launcher script)
 *   weft --help               the commands and the exit statuses ({@link ExitStatus})
 * </pre>
 *
 * <p>A new command is one entry in {@link #COMMANDS}: its name, its synopsis and summary for {@code --help},
 * and its {@link Handler}, which returns an {@link ExitStatus} code.
 */
public final class Main {
    private Main() {}

    /** Runs one command. */
    @FunctionalInterface
    interface Handler {
        /**
         * Runs the command on the arguments after its name; returns the process exit status: an
         * {@link ExitStatus} code (or, for {@code weft run}, the program's own).
         */
        int run(String[] args, PrintStream out, PrintStream err);
    }

    /**
     * One command of the table.
     *
     * @param name     what the user types after {@code weft}
     * @param synopsis its arguments for {@code --help}, lines separated by {@code \n}
     * @param summary  what it does, lines separated by {@code \n}
     * @param handler  what runs it
     */
    record Command(String name, String synopsis, String summary, Handler handler) {}

    /** The commands, in the order {@code --help} lists them: one entry per command. */
    static final List<Command> COMMANDS = List.of(
            new Command("demo", DemoCommand.SYNOPSIS, DemoCommand.SUMMARY, DemoCommand::run),
            new Command("tour", "", """
                    a short tour: a task scope, a deadline that cancels a task whose
                    cleanup runs, a shield, context travelling to children, a failure
                    that cancels siblings, and a task-tree dump""", Tour::run),
            new Command("run", """
                    [--timeout D] [--grace D] [--instrument GLOB,...] [--agent-options OPTS]
                    [--soft-limit SIZE] [--heap SIZE] (-cp CLASSPATH MAIN | -jar JAR) [ARGS...]""", """
                    runs an unmodified Java program as a Weft root task, with the
                    Weft agent compiling cancellation points into its loops; the
                    deadline, Ctrl-C or SIGTERM cancels all of its threads
                    (weft run --help explains each option)""", RunCommand::run),
            new Command("dump", "[--json] PID", """
                    prints the task tree of a running Weft program (or one under
                    weft run): tasks, scopes, deadlines, cancel state, budgets""", AttachCommand::dump),
            new Command("jmx", "PID", """
                    registers Weft's MBeans in a running Weft program (for jconsole)""", AttachCommand::jmx),
            new Command("plan", "[--soft-limit SIZE] [FILE]", """
                    prints a startup memory plan (components x sizes) and its verdict""", PlanCommand::run),
            new Command("serve", ServeCommand.SYNOPSIS, ServeCommand.SUMMARY, ServeCommand::run),
            new Command("torture", "[--seconds N [--base B] | --seed S [--repeat R]] [--verbose]", """
                    runs seeded random trees of cancel scopes, shields, deadlines,
                    waits, spawns, failures and cancels against a model of Trio's
                    semantics; prints each failing seed (replay it with --seed)""",
                    dev.weft.cli.torture.TortureMain::run),
            new Command("bench", "[JMH ARGS]", """
                    runs the JMH benchmarks (e.g. ./weft bench SpawnJoin -f 2)""", Main::bench),
            new Command("--version", "", "prints Weft's version and the JDK it runs on", Main::version),
            new Command("--help", "", "prints this text (also -h, help)", Main::help));

    /** {@code weft --version}: the cli jar's Implementation-Version (a build from classes says so). */
    static int version(String[] args, java.io.PrintStream out, java.io.PrintStream err) {
        String v = Main.class.getPackage().getImplementationVersion();
        out.println("weft " + (v != null ? v : "(development build, not from a jar)") + " on Java "
                + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")");
        return ExitStatus.OK.code();
    }

    /** Where a summary starts: after a short synopsis on the same line, else on the next line. */
    private static final int SUMMARY_COLUMN = 24;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.print(usage());
            return ExitStatus.USAGE.code();
        }
        String name = args[0].equals("-h") || args[0].equals("help") ? "--help" : args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        for (Command c : COMMANDS) {
            if (c.name().equals(name)) {
                return c.handler().run(rest, out, err);
            }
        }
        err.println("weft: unknown command '" + args[0] + "'; run ./weft --help for the list");
        return ExitStatus.USAGE.code();
    }

    /** The text of {@code weft --help}: the commands, then the exit statuses. */
    static String usage() {
        StringBuilder sb = new StringBuilder("usage: weft COMMAND [ARGS...]\n\ncommands:\n");
        String indent = " ".repeat(SUMMARY_COLUMN);
        for (Command c : COMMANDS) {
            List<String> synopsis = (c.name() + " " + c.synopsis()).strip().lines().toList();
            for (int i = 0; i < synopsis.size(); i++) {
                sb.append(i == 0 ? "  " : "      ").append(synopsis.get(i));
                if (i < synopsis.size() - 1) {
                    sb.append('\n');
                }
            }
            int used = (synopsis.size() == 1 ? 2 : 6) + synopsis.getLast().length();
            List<String> summary = c.summary().lines().toList();
            if (used < SUMMARY_COLUMN - 1) {
                sb.append(" ".repeat(SUMMARY_COLUMN - used));
            } else {
                sb.append('\n').append(indent);
            }
            sb.append(String.join("\n" + indent, summary)).append('\n');
        }
        sb.append("\nexit status:\n").append(ExitStatus.table());
        sb.append("  weft run also exits with the program's own status when the program calls System.exit.\n");
        return sb.toString();
    }

    private static int help(String[] args, PrintStream out, PrintStream err) {
        out.print(usage());
        return ExitStatus.OK.code();
    }

    private static int bench(String[] args, PrintStream out, PrintStream err) {
        err.println("weft: 'bench' is run by the ./weft launcher (it needs the benchmarks jar): ./weft bench [JMH ARGS]");
        return ExitStatus.USAGE.code();
    }
}
