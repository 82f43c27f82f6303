package dev.weft.cli;

import dev.weft.Weft;
import dev.weft.internal.softlimit.SoftLimitRun;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The exit statuses of the {@code weft} command: the one table, used by every command and printed by
 * {@code weft --help}.
 *
 * {@snippet class=dev.weft.cli.Snippets region=exitStatus}
 *
 * <p>The statuses of a program run as a Weft root task are the runtime's ({@link Weft#EXIT_FAILED},
 * {@link Weft#EXIT_TIMEOUT}, {@link Weft#EXIT_INTERRUPTED}, returned by {@link Weft#exitStatus}) and the
 * soft-limit child's ({@link SoftLimitRun#EXIT_MEMORY}); this table refers to those constants rather than
 * repeating their values. {@code weft run} also passes through whatever status the program itself gives
 * {@code System.exit}.
 *
 * @apiNote Each code appears once: a new command reuses the meanings here (and widens one if it must) rather
 * than giving a code a second meaning. New codes stay below 128: a shell reports death by signal N as 128 + N,
 * which {@link #INTERRUPTED} and {@link #TERMINATED} follow on purpose (130 = 128 + SIGINT, 143 = 128 + SIGTERM).
 */
public enum ExitStatus {
    /** Success. */
    OK(0, "ok", "success: the program's main returned, the demo's checks held, the plan fits"),
    /** Failure. */
    FAILED(Weft.EXIT_FAILED, "failure", "failure: the program threw, a demo check failed, the plan does not fit"),
    /** Bad usage. */
    USAGE(2, "bad usage", "bad usage: an unknown command or option, a bad value, no such jar or main class"),
    /** {@code weft run --soft-limit}: the program crossed its soft memory limit. */
    MEMORY(SoftLimitRun.EXIT_MEMORY, "soft limit", "run --soft-limit: the program crossed its soft memory limit;"
            + " the report on stderr says what ran out and whether the cleanup completed"),
    /** {@code weft run --timeout}: the deadline passed. */
    TIMEOUT(Weft.EXIT_TIMEOUT, "timeout", "run --timeout: the deadline passed; the program's cleanup ran"),
    /** {@code weft run --timeout}: the program did not stop within the deadline plus the grace. */
    STUCK(125, "stuck", "run: the program did not stop within the deadline (or signal) plus --grace plus 2 s of"
            + " hard cancellation; the threads still running were printed with where each is stuck; halted"),
    /** Ctrl-C. */
    INTERRUPTED(Weft.EXIT_INTERRUPTED, "interrupted", "interrupted (Ctrl-C); cleanup ran (a second Ctrl-C prints"
            + " the task tree and exits at once)"),
    /** SIGTERM. */
    TERMINATED(Weft.EXIT_TERMINATED, "terminated", "terminated (SIGTERM); cleanup ran (a second signal exits at"
            + " once)");

    private final int code; // the process exit status
    private final String label; // a word or two, for one-line summaries in a command's usage
    private final String meaning; // a sentence, for the table in weft --help

    ExitStatus(int code, String label, String meaning) {
        assert code >= 0 && code <= 255 : "exit status " + code + " is outside 0..255";
        this.code = code;
        this.label = label;
        this.meaning = meaning;
    }

    /** The process exit status. */
    public int code() {
        return code;
    }

    /** A word or two, such as {@code "timeout"}. */
    public String label() {
        return label;
    }

    /** What the status means, as printed by {@code weft --help}. */
    public String meaning() {
        return meaning;
    }

    /** The table for {@code weft --help}: one line per status, {@code "  124  run --timeout: ..."}. */
    static String table() {
        StringBuilder sb = new StringBuilder();
        for (ExitStatus s : values()) {
            sb.append(String.format("  %-4d %s\n", s.code, s.meaning));
        }
        return sb.toString();
    }

    /** A list for a command's usage line: {@code "0 ok, 1 failure, 2 bad usage"}. */
    static String summary(ExitStatus... statuses) {
        return Arrays.stream(statuses).map(s -> s.code + " " + s.label).collect(Collectors.joining(", "));
    }
}
