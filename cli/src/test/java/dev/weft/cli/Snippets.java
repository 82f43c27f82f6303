package dev.weft.cli;

import dev.weft.memory.MemoryPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * The code of every {@code {@snippet}} in this module's comments, compiled with the tests (the module has no
 * Javadoc of its own: it is an application; {@code EverySnippetIsCompiledTest} checks the references).
 */
@SuppressWarnings("unused")
final class Snippets {
    private Snippets() {}

    static int exitStatus(MemoryPlan plan, long limit) {
        // @start region=exitStatus
        return plan.fits(limit) ? ExitStatus.OK.code() : ExitStatus.FAILED.code();
        // @end
    }

    static List<String> launcher(String[] args) {
        List<String> command = new ArrayList<>();
        // @start region=launcher
        // In the launcher (weft run):
        SoftLimitSupport.Flags mem = SoftLimitSupport.extract(args);   // strips --soft-limit / --heap
        command.addAll(SoftLimitSupport.childJvmArgs(mem));             // before -cp; -Xmx, -Dweft.memory.*
        // @end
        return command;
    }

    static SoftLimitSupport.Flags extract() {
        // @start region=extract
        SoftLimitSupport.Flags f = SoftLimitSupport.extract(new String[] {"--soft-limit", "64m", "-cp", "app.jar", "Main"});
        // f.softLimitBytes() == 64 MiB, f.heapBytes() == -1, f.remaining() == ["-cp", "app.jar", "Main"]
        // @end
        return f;
    }
}
