package dev.weft.internal.softlimit;

import dev.weft.Weft;
import java.lang.reflect.Method;

/** The examples of {@link SoftLimitRun}'s comments, compiled with the tests. */
@SuppressWarnings("unused")
final class SoftLimitRunSnippets {
    private SoftLimitRunSnippets() {}

    static void child(Weft.Options options, Method main, String[] args) {
        // @start region=child
        // In the child (dev.weft.agent.internal.RunMain), instead of Weft.exitStatus(...) around the program's main:
        int status = SoftLimitRun.exitStatus(() -> Weft.run(options, () -> { main.invoke(null, (Object) args); }));
        System.exit(status);                                 // 122 + report after the memory error
        // @end
    }

    static int session(Runnable program) {
        // @start region=session
        try (SoftLimitRun.Session s = SoftLimitRun.startInChild()) {   // null (and closed as null) without --soft-limit
            try {
                program.run();
                return 0;
            } catch (RuntimeException | Error failure) {
                int status = s == null ? -1 : s.exitStatus(failure);      // 122 and the report for a memory failure
                return status >= 0 ? status : 1;
            }
        }
        // @end
    }
}
