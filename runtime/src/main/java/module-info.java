/**
 * Weft: cancellable, structured, memory-bounded tasks for the JVM.
 *
 * <p>Public API: {@link dev.weft} (tasks, scopes, cancellation, loops, context) and
 * {@code dev.weft.memory} (sizing and budgets). Everything under {@code dev.weft.internal} is machinery; the
 * command line ({@code dev.weft.cli}, its own jar) is the one module that may use the three internal packages
 * below (byte sizes, the soft-limit child, SIGINT handling). That module is built after this one, hence the
 * suppressed "module not found" warning. The packages form layers without cycles: docs/design.md, "Layers".
 */
@SuppressWarnings("module")
module dev.weft {
    requires java.management;
    requires jdk.management;
    // Weft's JFR events (dev.weft.internal.event): loaded only while a recording runs
    requires jdk.jfr;
    // sun.misc.Signal: Ctrl-C and SIGTERM cancel the root task and wait for its cleanup (also on the module path)
    requires jdk.unsupported;
    exports dev.weft;
    exports dev.weft.memory;
    // the agent's calls into the runtime (not for application code)
    exports dev.weft.abi;
    exports dev.weft.internal.budget to dev.weft.cli;
    exports dev.weft.internal.jdk to dev.weft.cli;
    exports dev.weft.internal.softlimit to dev.weft.cli;
    exports dev.weft.internal.event to dev.weft.http, dev.weft.cli;
}
